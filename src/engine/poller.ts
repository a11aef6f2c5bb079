/**
 * One poll of one (connection, resource) pair, shared by every active workflow whose trigger
 * reads that resource: read what changed since the settled mark (poll-window.ts: new changes,
 * and the overlap window once it is final), detect each workflow's events, and commit seen keys +
 * queued runs + the new cursor and marks in one transaction (PollingStore.commit). Seen keys make
 * overlapping and repeated polls harmless.
 */

import type { TriggerDef, TriggerRecord } from "../catalog/index.ts";
import { trigger as catalogTrigger, detect, fetchChanges, isFlagEvent } from "../catalog/index.ts";
import type { ResourceName } from "../cliniko/resources.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import { type DetectedEvent, pollWindow, type Store, type StoredWorkflow } from "../store/index.ts";
import { BookingReads, keepByBooking } from "./booking-filter.ts";
import { ensureDueIndex, indexWrite } from "./due/index-fill.ts";
import { snapshotFlags } from "./flag-snapshot.ts";
import { readWindow } from "./poll-window.ts";
import type { WorkflowDefinition } from "./workflow.ts";

/**
 * Default overlap: Cliniko commits a change with a timestamp a little before it becomes visible,
 * so a change may appear stamped up to this long before stamps already seen.
 */
export const DEFAULT_OVERLAP_MS = 2 * 60_000;

export interface PollTarget {
  workflow: StoredWorkflow;
  definition: WorkflowDefinition;
  trigger: TriggerDef;
}

export interface PollJob {
  connectionKey: string;
  /** The connection name as written in the workflows (undefined = default/env). */
  connectionName?: string;
  pollKey: string;
  resource: ResourceName;
  targets: PollTarget[];
}

/** A job's identity: the scheduler keeps one job per (connection, resource). */
export function pollJobId(job: Pick<PollJob, "connectionKey" | "pollKey">): string {
  return `${job.connectionKey}\0${job.pollKey}`;
}

export interface PollResult {
  records: number;
  pages: number;
  events: number;
  runIds: number[];
  duplicates: number;
  /** The listing changed under us while paging; the cursor was held back. */
  disturbed: boolean;
  /** The read found a change newer than the pair's cursor (adaptive polling speeds up). */
  changed: boolean;
  cursor: string;
  /** Where the next poll reads from (see PollWindow). */
  settled: string;
}

const ms = (t: string) => Date.parse(t);
const iso = (n: number) => new Date(n).toISOString();

export async function pollResource(
  job: PollJob,
  deps: { store: Store; client: ClinikoClient; overlapMs?: number; onPage?(n: number, records: number): void },
): Promise<PollResult> {
  const { store } = deps;
  const overlap = deps.overlapMs ?? DEFAULT_OVERLAP_MS;
  // A new pair starts at the earliest activation among its workflows: no history flood.
  const start = job.targets.map((t) => t.workflow.activatedAt ?? new Date().toISOString()).sort()[0]!;
  const state = await store.polling.ensureCursor(job.connectionKey, job.pollKey, start);
  // The due triggers' index of appointments and classes: filled once, then kept by this poll's commit.
  const indexed = await ensureDueIndex(job, { store, client: deps.client });
  const window = pollWindow(state, overlap);
  const backfills = job.targets.flatMap((t) => (t.workflow.backfillFrom ? [ms(t.workflow.backfillFrom)] : []));

  let records: TriggerRecord[] = [];
  let pages = 0;
  const onPage = (n: number, read: number) => {
    pages = n;
    deps.onPage?.(n, read);
  };
  let settled: number | undefined;
  if (backfills.length > 0) {
    // A backfill reads all its history, oldest first, in one pass (its settled mark is set below).
    const since = iso(Math.min(window.settled, ...backfills));
    for await (const r of fetchChanges(deps.client, job.resource, since, { onPage: (n) => onPage(n, records.length) }))
      records.push(r);
  } else {
    const read = await readWindow(
      deps.client,
      job.resource,
      { settled: window.settled, cursor: await readThrough(store, job, state.cursor), overlapMs: overlap },
      { onPage },
    );
    records = read.records;
    settled = read.settled;
  }

  // A record seen twice with different updated_at moved while we paged: oldest first (a backfill),
  // pages may have shifted and skipped a record, so keep the cursor and marks and re-read.
  const versions = new Map<string, unknown>();
  let disturbed = false;
  let maxUpdated = ms(state.cursor);
  for (const r of records) {
    const prior = versions.get(String(r.id));
    if (prior !== undefined && prior !== r.updated_at) disturbed = true;
    versions.set(String(r.id), r.updated_at);
    const u = r.updated_at ? ms(r.updated_at) : Number.NaN;
    if (!Number.isNaN(u) && u > maxUpdated) maxUpdated = u;
  }
  // A whole read from the settled mark settles everything an overlap below the newest stamp.
  settled ??= Math.max(window.settled, Math.floor((maxUpdated - overlap) / 1000) * 1000);

  // Before detecting: a flag trigger just switched on first records what was flagged before.
  await snapshotFlags(job.targets, {
    store,
    client: deps.client,
    connectionKey: job.connectionKey,
    pollKey: job.pollKey,
    handledBefore: window.seenFloor,
  });

  const events: DetectedEvent[] = [];
  const bookings = new BookingReads({ store, client: deps.client, connectionKey: job.connectionKey });
  for (const t of job.targets) {
    // Cliniko stamps to the second: floor, so a change in the activation's own second still fires.
    const from =
      Math.floor(
        (t.workflow.backfillFrom
          ? ms(t.workflow.backfillFrom)
          : Math.max(window.seenFloor, ms(t.workflow.activatedAt ?? state.cursor))) / 1000,
      ) * 1000;
    const found = detect(t.trigger, records, { activatedAt: iso(from), seen: () => false });
    if (found.length === 0) continue;
    const seen = await store.polling.seen(
      t.workflow.id,
      found.map((e) => e.key),
    );
    // Options on the record's booking (an attendee's class) are checked for new events only.
    for (const e of await keepByBooking(
      t,
      found.filter((e) => !seen.has(e.key)),
      bookings,
    )) {
      events.push({
        workflowId: t.workflow.id,
        workflowVersion: t.workflow.version,
        triggerKey: t.trigger.key,
        eventKey: e.key,
        eventTime: iso(ms(e.at)),
        payload: e.record,
        keep: isFlagEvent(t.trigger),
      });
    }
  }
  const cursor = disturbed ? null : iso(maxUpdated);
  // A change first read now may be an overlap older than the settled mark (poll-window.ts).
  const seenFloor = disturbed ? undefined : iso(Math.max(window.seenFloor, settled - overlap));
  const committed = await store.polling.commit({
    connectionKey: job.connectionKey,
    pollKey: job.pollKey,
    cursor,
    settled: disturbed ? null : iso(settled),
    seenFloor,
    events,
    pruneBefore: seenFloor,
    overlapMs: overlap,
    backfillDone: job.targets.filter((t) => t.workflow.backfillFrom).map((t) => t.workflow.id),
    readers: job.targets.map((t) => t.workflow.id),
    alsoWrite: indexed ? indexWrite(job, records) : undefined,
  });
  return {
    records: records.length,
    pages,
    events: events.length,
    runIds: committed.runIds,
    duplicates: committed.duplicates,
    disturbed,
    changed: maxUpdated > ms(state.cursor),
    cursor: cursor ?? state.cursor,
    settled: iso(disturbed ? window.settled : settled),
  };
}

/**
 * How far down this poll must read on-time changes: the oldest read-through mark among the
 * workflows it serves. The pair's cursor is what the last poll of any workflow read; a workflow
 * that poll did not serve (another file's `run --once`) has not seen what lies between its own
 * mark and the pair's, and must get it now, not once its range is final. A workflow with no mark
 * yet (activated since, or stored before marks existed) is owed everything since its activation.
 * Reading further down never breaks exactness: it only reads more.
 */
async function readThrough(store: Store, job: PollJob, pairCursor: string): Promise<number> {
  const marks = await store.polling.readThrough(
    job.connectionKey,
    job.pollKey,
    job.targets.map((t) => t.workflow.id),
  );
  let oldest = ms(pairCursor);
  for (const t of job.targets) {
    const mark = marks.get(t.workflow.id) ?? t.workflow.activatedAt;
    if (mark && ms(mark) < oldest) oldest = ms(mark);
  }
  return oldest;
}

/**
 * Groups active workflows with catalogue triggers into one job per (connection, resource). A
 * trigger that reads more than its own resource (the due triggers: classes and attendees too) is a
 * target of each of those jobs.
 */
export async function planPollJobs(
  workflows: { workflow: StoredWorkflow; definition: WorkflowDefinition }[],
  keyOf: (connectionName?: string) => Promise<string>,
): Promise<{ jobs: PollJob[]; errors: { workflow: StoredWorkflow; error: Error }[] }> {
  const jobs = new Map<string, PollJob>();
  const errors: { workflow: StoredWorkflow; error: Error }[] = [];
  for (const w of workflows) {
    const t = w.definition.trigger;
    if (t.key === "schedule" || t.key === "webhook") continue;
    try {
      const def = catalogTrigger(t.key);
      const connectionKey = await keyOf(t.connection);
      for (const polled of [def.resource, ...(def.alsoPolls ?? [])]) {
        const pollKey = polled;
        const id = pollJobId({ connectionKey, pollKey });
        let job = jobs.get(id);
        if (!job) {
          job = { connectionKey, connectionName: t.connection, pollKey, resource: polled, targets: [] };
          jobs.set(id, job);
        }
        job.targets.push({ workflow: w.workflow, definition: w.definition, trigger: def });
      }
    } catch (error) {
      errors.push({ workflow: w.workflow, error: error as Error });
    }
  }
  return { jobs: [...jobs.values()], errors };
}
