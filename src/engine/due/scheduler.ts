/**
 * The due scheduler: fires the time-relative triggers from the due index. It sleeps until the next
 * due time in the index (not the next poll; at most `maxSleepMs`, and a poll that changed the index
 * wakes it through `notify()`), then, per active due workflow, finds the rows that came due, drops
 * the keys the workflow has seen, builds each event (record reads cached per connection) and
 * commits seen keys and queued runs, ten events per transaction (PollingStore.commit), exactly as a
 * poll does: with several schedulers (workers) or after a crash, the seen-key insert decides, once.
 */
import type { Logger } from "pino";
import { trigger as catalogTrigger, dueOptions, REMINDER_CHANNELS, type TriggerDef } from "../../catalog/index.ts";
import type { ClinikoRecord } from "../../cliniko/types.ts";
import { attendeeItem, type DetectedEvent, type DueItem, type Store, type StoredWorkflow } from "../../store/index.ts";
import type { ClientProvider } from "../clients.ts";
import type { RunQueue } from "../queue.ts";
import { validateWorkflow, type WorkflowDefinition } from "../workflow.ts";
import { appointmentRecord, attendeeRecord, dueEvent, RecordLookups } from "./event.ts";
import { attendeeRowOf, dueRowOf } from "./index-rows.ts";
import { type DueCandidate, dueCandidates, dueWindow, nextDueAt } from "./plan.ts";

export interface DueSchedulerOptions {
  store: Store;
  clients: ClientProvider;
  /** Told when runs were queued (only `notify` is used: `run --once` drains its own). */
  queue: Pick<RunQueue, "notify">;
  logger?: Logger;
  /** Longest sleep (default 30 s): workflows switched on elsewhere are picked up within it. */
  maxSleepMs?: number;
  /** How long record reads are reused (default 5 min). */
  lookupTtlMs?: number;
}

interface DueWorkflow {
  workflow: StoredWorkflow;
  definition: WorkflowDefinition;
  trigger: TriggerDef & { due: NonNullable<TriggerDef["due"]> };
}

/** The seen keys of a workflow's due events live under this poll key (pruned on their own). */
export const duePollKey = (workflowId: number) => `due:${workflowId}`;

const iso = (ms: number) => new Date(ms).toISOString();
const PRUNE_AFTER_MS = 3 * 86_400_000;
/** Due events read and queued per transaction (see #commit). */
const COMMIT_CHUNK = 10;

export class DueScheduler {
  readonly #o: DueSchedulerOptions;
  readonly #lookups = new Map<string, RecordLookups>();
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #again = false;
  #stopped = false;
  #lastPrune = 0;

  constructor(options: DueSchedulerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#wake();
  }

  /** The index may have changed (a poll committed): look again now. */
  notify(): void {
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  #wake = (): void => {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    const maxSleep = this.#o.maxSleepMs ?? 30_000;
    this.#running = this.tick()
      .catch((err: Error) => {
        this.#o.logger?.warn({ err: err.message }, "due scheduler pass failed");
        return Date.now() + Math.min(maxSleep, 5000);
      })
      .then((next) => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.#wake();
          return;
        }
        const delay = Math.max(50, Math.min(next - Date.now(), maxSleep));
        this.#timer = setTimeout(this.#wake, delay);
      });
  };

  /** A stored workflow as a due workflow with its connection's key; undefined when it is none. */
  async #dueWorkflow(workflow: StoredWorkflow): Promise<(DueWorkflow & { connectionKey: string }) | undefined> {
    const key = (workflow.definition as WorkflowDefinition | undefined)?.trigger?.key;
    let trigger: TriggerDef;
    try {
      trigger = catalogTrigger(key ?? "");
    } catch {
      return undefined;
    }
    if (!trigger.due) return undefined;
    let definition: WorkflowDefinition;
    try {
      definition = validateWorkflow(workflow.definition, workflow.name);
    } catch {
      return undefined; // the scheduler pauses it with the reason
    }
    const connectionKey = await this.#o.clients.keyOf(definition.trigger.connection).catch(() => undefined);
    if (!connectionKey) return undefined;
    return { workflow, definition, trigger: trigger as DueWorkflow["trigger"], connectionKey };
  }

  /**
   * Fires what is due for one workflow at `now`, active or not (`run --once`): the same window,
   * seen keys and commit as a pass, so a running `serve` never fires it again. False when its
   * connection has no index yet.
   */
  async fireOne(workflow: StoredWorkflow, now = Date.now()): Promise<boolean> {
    const w = await this.#dueWorkflow(workflow);
    if (!w || !(await this.#indexed(w.connectionKey))) return false;
    await this.#fire(w.connectionKey, w, now);
    return true;
  }

  /** Whether the connection's index was filled (until then there is nothing to read: that poll notifies). */
  async #indexed(connectionKey: string): Promise<boolean> {
    const filled = await Promise.all(
      (["individual_appointments", "group_appointments"] as const).map((r) => this.#o.store.due.fill(connectionKey, r)),
    );
    return filled.some(Boolean);
  }

  /** One pass: fires what is due at `now`; returns when the next row comes due (or +∞). */
  async tick(now = Date.now()): Promise<number> {
    const { store } = this.#o;
    const byConnection = new Map<string, DueWorkflow[]>();
    for (const workflow of await store.workflows.listActive()) {
      const w = await this.#dueWorkflow(workflow);
      if (!w) continue;
      const list = byConnection.get(w.connectionKey) ?? [];
      list.push(w);
      byConnection.set(w.connectionKey, list);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const [connectionKey, workflows] of byConnection) {
      if (!(await this.#indexed(connectionKey))) continue;
      for (const w of workflows) {
        try {
          next = Math.min(next, await this.#fire(connectionKey, w, now));
        } catch (err) {
          this.#o.logger?.warn({ workflow: w.workflow.name, err: (err as Error).message }, "due trigger failed");
          next = Math.min(next, now + 5000);
        }
      }
    }
    if (now - this.#lastPrune > 3_600_000) {
      this.#lastPrune = now;
      // Nothing can come due relative to an appointment that ended longer ago than the longest option.
      await store.due.prune(iso(now - 401 * 86_400_000));
    }
    return next;
  }

  async #fire(connectionKey: string, w: DueWorkflow, now: number): Promise<number> {
    const { store } = this.#o;
    const kind = w.trigger.due;
    const options = dueOptions(kind, w.definition.trigger.options);
    const window = dueWindow(kind, options.offsetMs, now);
    const rows = await store.due.rowsBetween(connectionKey, window.column, iso(window.from), iso(window.to));
    const patientRows =
      kind === "recall"
        ? await store.due.rowsOfPatients(connectionKey, [...new Set(rows.flatMap((r) => r.patient_id ?? []))])
        : undefined;
    const activatedAt = Date.parse(w.workflow.activatedAt ?? iso(now));
    const candidates = dueCandidates(kind, options, rows, { now, activatedAt, patientRows });
    const seen = await store.polling.seen(
      w.workflow.id,
      candidates.map((c) => c.key),
    );
    const fresh = candidates.filter((c) => !seen.has(c.key));
    if (fresh.length > 0)
      await this.#commit(connectionKey, w, fresh, now, (row) =>
        dueCandidates(kind, options, [row], { now, activatedAt, patientRows }),
      );
    const after = await store.due.nextTime(connectionKey, window.column, iso(window.to - 1));
    return after ? nextDueAt(kind, options.offsetMs, Date.parse(after)) : Number.POSITIVE_INFINITY;
  }

  /**
   * Reads and queues the due candidates a chunk at a time: a pass with many due (a busy minute, a
   * worker back from a crash) queues its first runs after a few reads, not after all of them, and
   * before each later chunk drops what another scheduler (worker) has queued meanwhile, so three
   * workers do not each read every due record.
   */
  async #commit(
    connectionKey: string,
    w: DueWorkflow,
    due: DueCandidate[],
    now: number,
    stillDue: (row: DueItem) => DueCandidate[],
  ): Promise<void> {
    const lookups = await this.#lookupsFor(connectionKey, w.definition.trigger.connection);
    for (let i = 0; i < due.length; i += COMMIT_CHUNK) {
      let chunk = due.slice(i, i + COMMIT_CHUNK);
      if (i > 0) {
        const seen = await this.#o.store.polling.seen(
          w.workflow.id,
          chunk.map((c) => c.key),
        );
        chunk = chunk.filter((c) => !seen.has(c.key));
      }
      const events: DetectedEvent[] = [];
      for (const c of chunk) {
        const event = await dueEventOf(lookups, w, c, stillDue);
        if (event) events.push(event);
      }
      if (events.length === 0) continue;
      const { runIds } = await this.#o.store.polling.commit({
        connectionKey,
        pollKey: duePollKey(w.workflow.id),
        cursor: iso(now),
        events,
        pruneBefore: iso(now - PRUNE_AFTER_MS),
      });
      if (runIds.length > 0) {
        this.#o.queue.notify();
        this.#o.logger?.debug({ workflow: w.workflow.name, runs: runIds.length }, "due runs queued");
      }
    }
  }

  async #lookupsFor(connectionKey: string, name: string | undefined): Promise<RecordLookups> {
    let l = this.#lookups.get(connectionKey);
    if (!l) {
      const { client } = await this.#o.clients.resolve(name);
      l = new RecordLookups(client, this.#o.lookupTtlMs);
      this.#lookups.set(connectionKey, l);
    }
    return l;
  }
}

/**
 * The run a due candidate queues, read as it is now: undefined when a cancellation or a move since
 * the last poll means it is no longer due, or the patient's reminder preference rules it out.
 */
async function dueEventOf(
  lookups: RecordLookups,
  w: DueWorkflow,
  c: DueCandidate,
  stillDue: (row: DueItem) => DueCandidate[],
): Promise<DetectedEvent | undefined> {
  // The appointment (or attendee and class) as it is now: a cancellation or a move since the
  // last poll wins (and the index keeps no copy of the record, which holds patient data).
  const now = await currentItem(lookups, c.row);
  if (!now) return undefined;
  if (!stillDue({ ...now.item, timed_at: c.row.timed_at }).some((x) => x.key === c.key)) return undefined;
  const payload = await dueEvent(now.record, iso(c.dueAt), lookups);
  const { reminders } = dueOptions(w.trigger.due, w.definition.trigger.options);
  if (reminders) {
    const allowed = REMINDER_CHANNELS[String(payload.patient?.reminder_type ?? "None")] ?? [];
    if (reminders === "any" ? allowed.length === 0 : !allowed.includes(reminders)) return undefined;
  }
  return {
    workflowId: w.workflow.id,
    workflowVersion: w.workflow.version,
    triggerKey: w.trigger.key,
    eventKey: c.key,
    eventTime: iso(c.eventTime),
    payload,
  };
}

/** The item as Cliniko has it now, with the event's record; null when it is gone. */
async function currentItem(
  lookups: RecordLookups,
  row: DueItem,
): Promise<{ item: DueItem; record: ClinikoRecord } | null> {
  if (row.resource !== "attendees") {
    const record = await lookups.current("individual_appointments", row.record_id);
    const now = record && dueRowOf(record);
    return now ? { item: { ...row, ...now }, record: appointmentRecord(record) } : null;
  }
  const attendee = await lookups.current("attendees", row.record_id);
  const a = attendee && attendeeRowOf(attendee);
  if (!attendee || !a) return null;
  const group = await lookups.current("group_appointments", a.group_id);
  const g = group && dueRowOf(group, "group_appointments");
  if (!group || !g) return null;
  return { item: attendeeItem(g, a), record: attendeeRecord(attendee, group) };
}
