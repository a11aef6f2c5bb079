/**
 * The count the fault and cluster suites end with: the product's runs set against the changes the
 * sandbox made and the records the workflows wrote there (a medical alert named `<tag>|<event>`).
 * Asserts every change ran exactly once, every write landed at most once, and each run's status
 * agrees with the sandbox; returns the figures the suites print.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { validateWorkflow, type WorkflowDefinition } from "../../src/engine/workflow.ts";
import type { Sandbox } from "../../src/sandbox/index.ts";
import type { RunRecord } from "../../src/store/index.ts";

/** The five resources whose records the suites change, with the trigger that watches each. */
export const CHANGING_RESOURCES = [
  ["patients", "updated_patient"],
  ["contacts", "updated_contact"],
  ["products", "updated_product"],
  ["billable_items", "updated_billable_item"],
  ["appointment_types", "updated_appointment_type"],
] as const;

/**
 * What the suites change: `changes` records spread over the changing resources, and the patient
 * their alerts are written for, all created an hour ago so that only the coming updates fire.
 */
export function seedChanging(
  sandbox: Sandbox,
  changes: number,
): { alertPatient: string; pending: (readonly [string, string])[] } {
  const old = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const alertPatient = sandbox.control.create("patients", {
    first_name: "Alert",
    last_name: "Holder",
    created_at: old,
    updated_at: old,
  }).id;
  const perResource = Math.ceil(changes / CHANGING_RESOURCES.length);
  const pending = CHANGING_RESOURCES.flatMap(([resource]) =>
    Array.from(
      { length: perResource },
      () => [resource, sandbox.control.create(resource, { created_at: old, updated_at: old }).id] as const,
    ),
  );
  return { alertPatient, pending };
}

/**
 * The suites' workflow on one changing resource: each change writes one medical alert named
 * `<tag>|<id>@<updated_at>` for `alertPatient`, which `checkExactness` counts.
 */
export function alertWorkflow(
  tag: string,
  [resource, trigger]: (typeof CHANGING_RESOURCES)[number],
  alertPatient: string,
): WorkflowDefinition {
  return validateWorkflow({
    name: `${tag}-${resource}`,
    trigger: { key: trigger, every: "30s" },
    steps: [
      {
        id: "alert",
        action: "create_medical_alert",
        input: { patient_id: alertPatient, name: `${tag}|{{ trigger.id }}@{{ trigger.updated_at }}` },
      },
    ],
  });
}

/** Stops a child process with `signal` (SIGKILL by default) and waits until it has exited. */
export async function kill(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

/** Medical alerts in the sandbox, counted by name. */
export function alertsByName(sandbox: Sandbox): Map<string, number> {
  const alerts = new Map<string, number>();
  for (const row of sandbox.store.rows("medical_alerts")) {
    const name = String(row.name);
    alerts.set(name, (alerts.get(name) ?? 0) + 1);
  }
  return alerts;
}

export function checkExactness(c: {
  tag: string;
  runs: RunRecord[];
  /** The event keys of every change the sandbox made. */
  expected: Map<string, unknown>;
  alerts: Map<string, number>;
  /** What the processes printed, shown when runs are missing. */
  stderr: string;
}): Record<string, unknown> {
  const { tag, runs, expected, alerts } = c;
  const byKey = new Map<string, RunRecord[]>();
  for (const r of runs) byKey.set(r.eventKey, [...(byKey.get(r.eventKey) ?? []), r]);
  const dups = [...byKey.values()].filter((rs) => rs.length > 1);
  const dupDetail = JSON.stringify(
    dups.slice(0, 3).map((rs) => rs.map((r) => ({ id: r.id, wf: r.workflowId, at: r.createdAt, s: r.status }))),
  );
  const lost = [...expected.keys()].filter((k) => !byKey.has(k));
  const invented = [...byKey.keys()].filter((k) => !expected.has(k));
  const unfinished = runs.filter((r) => r.finishedAt === null);
  let duplicateWrites = 0;
  let unknownWritten = 0;
  let unknownNotWritten = 0;
  const wrong: string[] = [];
  for (const r of runs) {
    const n = alerts.get(`${tag}|${r.eventKey}`) ?? 0;
    if (n > 1) duplicateWrites++;
    if (r.status === "succeeded" && n !== 1) wrong.push(`${r.eventKey} succeeded with ${n} records`);
    if (r.status === "failed" && n !== 0) wrong.push(`${r.eventKey} failed with ${n} records: ${r.error}`);
    if (r.status === "unknown") n === 1 ? unknownWritten++ : unknownNotWritten++;
  }
  const status = (s: string) => runs.filter((r) => r.status === s).length;
  const figures = {
    changes: expected.size,
    runs: runs.length,
    succeeded: status("succeeded"),
    failed: status("failed"),
    unknown: `${status("unknown")} (${unknownWritten} written, ${unknownNotWritten} not)`,
    duplicateRuns: dups.length,
    duplicateWrites,
    lost: lost.length,
    unfinished: unfinished.length,
  };
  const stderr = c.stderr.slice(0, 1500);
  assert.equal(dups.length, 0, `${tag}: a change ran twice: ${dupDetail}`);
  assert.equal(duplicateWrites, 0, `${tag}: a write landed twice`);
  assert.deepEqual(lost, [], `${tag}: changes without a run; stderr: ${stderr}`);
  assert.deepEqual(invented, [], `${tag}: runs for changes that never happened`);
  assert.deepEqual(
    unfinished.map((r) => `${r.id} ${r.status}`),
    [],
    `${tag}: runs left unfinished; stderr: ${stderr}`,
  );
  assert.deepEqual(wrong, [], `${tag}: a run's status disagrees with the sandbox`);
  return figures;
}
