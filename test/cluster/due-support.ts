/**
 * What the cluster scenarios of the clinic jobs (reminders, follow-ups, recalls, class flags)
 * share: one `serve --role api` and three `worker --concurrency 4` processes on the stage's
 * PostgreSQL and Redis, the clinic's changes made at set moments while workers are SIGKILLed and
 * restarted at moments spread over the minute the runs come due in, then the count: every owed
 * run queued exactly once, none invented, every write landed at most once (checkExactness counts
 * the sandbox's medical alerts named `<tag>|<event key>`), and each run queued no earlier than it
 * was owed and within 60 s of it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateWorkflow, type WorkflowDefinition } from "../../src/engine/workflow.ts";
import type { Store, StoredWorkflow } from "../../src/store/index.ts";
import { sleep } from "../engine/helpers.ts";
import { ProcessGroup } from "../support/cli-process.ts";
import { type ClusterStage, clusterStage } from "../support/cluster-stage.ts";
import { alertsByName, checkExactness, kill } from "../support/exactness.ts";

export const quick = process.env.CLUSTER_QUICK === "1";
/** Worker SIGKILLs per scenario (CLUSTER_KILLS). */
export const KILLS = Number(process.env.CLUSTER_KILLS ?? (quick ? 3 : 10));
export const WORKERS = 3;
const WORKER = ["worker", "--concurrency", "4"];

/** A time as Cliniko stamps it: whole seconds, no milliseconds. */
export const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
/** A Cliniko time as the event keys spell it. */
export const iso = (v: unknown) => new Date(Date.parse(v as string)).toISOString();
/** Created and last changed an hour ago: only what the scenario changes later is new. */
export const anHourAgo = () => {
  const old = at(Date.now() - 3_600_000);
  return { created_at: old, updated_at: old };
};

/**
 * A workflow on `trigger` whose one step writes a medical alert for `alertPatient` named
 * `<tag>|<event>`, `event` being a template that spells the run's event key.
 */
function alertingWorkflow(
  name: string,
  trigger: WorkflowDefinition["trigger"],
  tag: string,
  alertPatient: string,
  event: string,
): WorkflowDefinition {
  return validateWorkflow({
    name,
    trigger: { every: "30s", ...trigger },
    steps: [
      { id: "alert", action: "create_medical_alert", input: { patient_id: alertPatient, name: `${tag}|${event}` } },
    ],
  });
}

/** The template of an item's name in the due keys: an appointment's id, or `attendee:<id>`. */
export const ITEM_NAME = `{{ trigger.kind = "attendee" ? "attendee:" & trigger.id : trigger.id }}`;

/** An alert name spelling a due key: the item's name and its time (`starts_at` or `ends_at`) as the keys write it. */
export const timedKey = (field: "starts_at" | "ends_at") =>
  `${ITEM_NAME}@{{ $fromMillis($toMillis(trigger.${field})) }}`;

/** A reminder two minutes before each appointment or class place, as the reminder scenarios switch on. */
export const watchReminders = (clinic: DueClinic, name: string, tag: string) =>
  clinic.watch(name, { key: "before_appointment", options: { before: "2m" } }, tag, timedKey("starts_at"));

export interface DueCheck {
  /** The alerts' tag of this workflow. */
  tag: string;
  workflow: StoredWorkflow;
  /** Each run owed: its event key and the moment it is owed (its due time, or the change's time). */
  expected: Map<string, number>;
  /** When the workflow was switched on (ms since the epoch). */
  switchedOnAt: number;
}

/** A scenario's clinic: the sandbox, the cluster's database and settings, and its workflows. */
export interface DueClinic {
  stage: ClusterStage;
  control: ClusterStage["sandbox"]["control"];
  /** Stamps for records made before switching on (anHourAgo). */
  old: ReturnType<typeof anHourAgo>;
  /** The patient every workflow writes its alerts for. */
  alertHolder: string;
  env: NodeJS.ProcessEnv;
  store: Store;
  /** Switches on a workflow writing `<tag>|<event>` alerts; the check to fill with the runs it owes. */
  watch(name: string, trigger: WorkflowDefinition["trigger"], tag: string, event: string): Promise<DueCheck>;
}

/**
 * Registers one cluster scenario as the file's test (titled by what it does and what must hold),
 * on a stage of its own: `body` builds the clinic's records and workflows on the clinic it is
 * handed and ends with runDueScenario.
 */
export function dueScenarioTest(subject: string, outcome: string, body: (clinic: DueClinic) => Promise<void>): void {
  const stage = clusterStage();
  const title = `${subject} over 1 api + ${WORKERS} workers with ${KILLS} worker SIGKILLs: ${outcome}`;
  test(title, { skip: stage.skip, timeout: 300_000 }, async () => {
    const control = stage.sandbox.control;
    const old = anHourAgo();
    const alertHolder = control.create("patients", { first_name: "Alert", ...old }).id;
    const { env, store } = await stage.open({ leaseMs: 3000 });
    const watch: DueClinic["watch"] = async (name, trigger, tag, event) => {
      const definition = alertingWorkflow(name, trigger, tag, alertHolder, event);
      const workflow = await store.workflows.save(definition.name, definition);
      return { tag, workflow, expected: new Map(), switchedOnAt: Date.parse(workflow.activatedAt!) };
    };
    await body({ stage, control, old, alertHolder, env, store, watch });
  });
}

export interface DueScenario {
  checks: DueCheck[];
  /** When the workflows were switched on: the runs come due (or the changes come) over the minute from T0 + 15 s. */
  T0: number;
  /** The clinic's changes while the cluster runs, each at its moment (ms since the epoch). */
  changes?: { at: number; make: () => unknown }[];
}

/** The minute in which the scenarios' runs are owed and the workers are killed: from T0 + 15 s on. */
const OWED_FROM_MS = 15_000;
const OWED_OVER_MS = 60_000;

/** The `i`th of `n` moments spread evenly over the minute in which the runs are owed. */
export const owedAt = (T0: number, i: number, n: number) => T0 + OWED_FROM_MS + Math.floor((OWED_OVER_MS * i) / n);
/** How long after T0 to wait for the runs at most. */
const DEADLINE_MS = 185_000;

/**
 * Runs the scenario on a new cluster, with the KILLS worker SIGKILLs spread evenly over the minute
 * the runs are owed in, and asserts the count; prints and returns its figures.
 */
export async function runDueScenario(
  name: string,
  clinic: DueClinic,
  s: DueScenario,
): Promise<Record<string, unknown>> {
  const { stage, store } = clinic;
  const { checks } = s;
  const group = new ProcessGroup(clinic.env);
  stage.group = group;
  group.start(["serve", "--role", "api", "--port", "0"]);
  const workers = group.workers(WORKERS);
  const kills = Array.from({ length: KILLS }, (_, k) => ({
    at: owedAt(s.T0, k + 0.5, KILLS),
    make: async () => {
      const i = Math.floor(Math.random() * WORKERS);
      await kill(workers[i]);
      workers[i] = group.start(WORKER);
    },
  }));
  for (const step of [...(s.changes ?? []), ...kills].sort((a, b) => a.at - b.at)) {
    await sleep(Math.max(0, step.at - Date.now()));
    await step.make();
  }
  const runsOf = (c: DueCheck) => store.runs.list({ workflowId: c.workflow.id, limit: 10_000 });
  for (;;) {
    const runs = await Promise.all(checks.map(runsOf));
    const done = runs.every((r, i) => r.length >= checks[i]!.expected.size && r.every((x) => x.finishedAt !== null));
    if (done || Date.now() > s.T0 + DEADLINE_MS) break;
    await sleep(500);
  }
  await sleep(2000); // a run that would (wrongly) come twice has had time to
  await group.stop("SIGTERM");

  const alerts = alertsByName(stage.sandbox);
  const figures: Record<string, unknown> = { kills: KILLS };
  let maxLateMs = Number.NEGATIVE_INFINITY;
  for (const c of checks) {
    const runs = await runsOf(c);
    figures[c.tag] = checkExactness({ ...c, runs, alerts, stderr: group.stderr.join("") });
    const late = runs.map((r) => Date.parse(r.createdAt) - c.expected.get(r.eventKey)!);
    assert.ok(Math.min(...late) >= -1000, `${c.tag}: a run was queued ${-Math.min(...late)} ms before it was owed`);
    assert.ok(Math.max(...late) <= 60_000, `${c.tag}: a run was queued ${Math.max(...late)} ms after it was owed`);
    maxLateMs = Math.max(maxLateMs, ...late);
  }
  figures.maxLateMs = maxLateMs;
  console.log(`${name} cluster suite: ${JSON.stringify(figures)}`);
  return figures;
}
