/**
 * `run <file> --once`: store the workflow (a new version if it changed), poll its trigger once —
 * together with every active workflow on the same (connection, resource), since they share the
 * cursor — and, for a time-relative trigger, fire what is due at that moment (the due scheduler's
 * own pass for this workflow: the same seen keys, so `serve` never fires it again), run what was
 * found and any runs an earlier crash left behind, and summarise.
 * The cursor persists, so repeated calls behave like a running scheduler.
 */

import { trigger as catalogTrigger } from "../catalog/index.ts";
import type { RunStatus, Store, StoredWorkflow } from "../store/index.ts";
import { ClientProvider } from "./clients.ts";
import { DueScheduler } from "./due/scheduler.ts";
import { planPollJobs, pollResource } from "./poller.ts";
import { InProcessQueue } from "./queue.ts";
import { Runner, type RunnerOptions } from "./runner.ts";
import { validateWorkflow, type WorkflowDefinition } from "./workflow.ts";

export interface OnceSummary {
  workflow: string;
  version: number;
  trigger: string;
  /** Records read by the poll (0 for schedule triggers). */
  records: number;
  pages: number;
  /** Runs queued by this call. */
  queued: number;
  runs: { id: number; eventKey: string; status: RunStatus; error: string | null }[];
  cursor?: string;
}

export interface OnceOptions {
  store: Store;
  definition: WorkflowDefinition;
  /** Backfill from this time instead of starting from now. */
  since?: string;
  env?: NodeJS.ProcessEnv;
  /** The client provider to use (default: one built from `env`); benchmarks pass their own limiters. */
  clients?: ClientProvider;
  runner?: Partial<RunnerOptions>;
  overlapMs?: number;
  onPage?(pages: number, records: number): void;
}

export async function runOnce(o: OnceOptions): Promise<OnceSummary> {
  const { store, definition } = o;
  const existing = await store.workflows.find(definition.name);
  // Keep the enabled state a user chose; a workflow first seen here is stored but not enabled for `serve`.
  let workflow: StoredWorkflow = await store.workflows.save(definition.name, definition, {
    enabled: existing?.enabled ?? false,
    since: o.since,
    actor: "cli",
  });
  if (!workflow.activatedAt || (o.since && !existing?.enabled))
    workflow = await store.workflows.markActivated(workflow.id, o.since);
  const clients = o.clients ?? new ClientProvider(store, { env: o.env });
  const summary: OnceSummary = {
    workflow: workflow.name,
    version: workflow.version,
    trigger: definition.trigger.key,
    records: 0,
    pages: 0,
    queued: 0,
    runs: [],
  };
  const before = new Set((await store.runs.list({ workflowId: workflow.id })).map((r) => r.id));
  const t = definition.trigger;
  if (t.key === "webhook") throw new Error("A webhook trigger runs when a request arrives; use `cliniko-flow serve`.");
  if (t.key === "schedule") {
    const now = new Date().toISOString();
    await store.runs.enqueue({
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      triggerKey: "schedule",
      eventKey: `once@${now}`,
      payload: { scheduledAt: now, firedAt: now },
    });
    summary.queued = 1;
  } else {
    const others = (await store.workflows.listActive()).filter((w) => w.id !== workflow.id);
    const planned = await planPollJobs(
      [
        { workflow, definition },
        ...others.flatMap((w) => {
          try {
            return [{ workflow: w, definition: validateWorkflow(w.definition, w.name) }];
          } catch {
            return [];
          }
        }),
      ],
      (name) => clients.keyOf(name),
    );
    const mine = planned.errors.find((e) => e.workflow.id === workflow.id);
    if (mine) throw mine.error;
    // A due trigger reads several resources (appointments, classes, attendees): each is polled.
    const jobs = planned.jobs.filter((j) => j.targets.some((x) => x.workflow.id === workflow.id));
    for (const [i, job] of jobs.entries()) {
      const { client } = await clients.resolve(job.connectionName);
      const result = await pollResource(job, { store, client, overlapMs: o.overlapMs, onPage: o.onPage });
      summary.records += result.records;
      summary.pages += result.pages;
      if (i === 0) summary.cursor = result.cursor;
    }
    // What is due now fires as the running engine's due scheduler fires it (same seen keys).
    if (catalogTrigger(t.key).due)
      await new DueScheduler({ store, clients, queue: { notify() {} } }).fireOne(
        await store.workflows.get(workflow.id),
      );
    summary.queued = (await store.runs.list({ workflowId: workflow.id })).filter((r) => !before.has(r.id)).length;
  }
  const runner = new Runner({ store, clients, env: o.env, ...o.runner });
  const queue = new InProcessQueue(store, { workflowIds: [workflow.id], pollMs: 200 });
  const touched = new Set<number>();
  queue.start((run, owner) => {
    touched.add(run.id);
    return runner.execute(run, owner);
  });
  await queue.drain();
  await queue.stop();
  const after = await store.runs.list({ workflowId: workflow.id });
  summary.runs = after
    .filter((r) => !before.has(r.id) || touched.has(r.id))
    .reverse()
    .map((r) => ({ id: r.id, eventKey: r.eventKey, status: r.status, error: r.error }));
  return summary;
}
