import type { Kysely } from "kysely";
import { RunStore } from "./runs.ts";
import type { Database } from "./schema.ts";
import { isoNow } from "./time.ts";

export interface CursorState {
  cursor: string;
  /** As stored; null until a poll sets it (read both through `pollWindow`). */
  settled: string | null;
  seenFloor: string | null;
  lastPollAt: string | null;
  lastError: string | null;
  failures: number;
}

/**
 * A pair's polling window, in ms. `settled`: every change stamped before it was read after it could
 * no longer commit late, so reads start there. `seenFloor`: events stamped before it are handled
 * (detection ignores them, their seen keys are pruned, a slow poller's are dropped at commit).
 * Never stored (earlier versions, new pairs): both are the cursor minus the overlap, which is
 * where earlier versions read from and detected from.
 */
export interface PollWindow {
  settled: number;
  seenFloor: number;
}

export function pollWindow(
  state: Pick<CursorState, "cursor" | "settled" | "seenFloor">,
  overlapMs: number,
): PollWindow {
  const legacy = Date.parse(state.cursor) - overlapMs;
  return {
    settled: state.settled === null ? legacy : Date.parse(state.settled),
    seenFloor: state.seenFloor === null ? legacy : Date.parse(state.seenFloor),
  };
}

/** One event to turn into a run, if this workflow has not seen it yet. */
export interface DetectedEvent {
  workflowId: number;
  workflowVersion: number;
  triggerKey: string;
  eventKey: string;
  eventTime: string;
  payload: unknown;
  /**
   * A key that must outlive the pair's pruning (a flag trigger's `id`: its record can change again
   * any time, and a pruned key would fire again). Stored under `keptPollKey(pollKey)`.
   */
  keep?: boolean;
}

/** Where kept seen keys are stored: the pair's pruning deletes only its own poll key's. */
export function keptPollKey(pollKey: string): string {
  return `${pollKey}#kept`;
}

export interface PollCommit {
  connectionKey: string;
  pollKey: string;
  /** The new cursor (max updated_at seen); the stored one only moves forward. Null keeps it. */
  cursor: string | null;
  /** The new settled mark (PollWindow); the stored one only moves forward. Null or absent keeps it. */
  settled?: string | null;
  /** The new seen floor (PollWindow); the stored one only moves forward. Null or absent keeps it. */
  seenFloor?: string | null;
  events: DetectedEvent[];
  /** Seen keys whose event time is older than this can never be detected again: drop them. */
  pruneBefore?: string;
  /**
   * The poller's overlap window. An event older than the stored seen floor is dropped at commit:
   * another poller that moved the floor past it has handled it and may already have pruned its
   * seen key, so inserting it again would make a second run (two processes polling the same
   * pair, one slow). Events of a backfill this commit serves are exempt. The overlap is needed
   * to read a floor that was never stored.
   */
  overlapMs?: number;
  /** Workflows whose `--since` backfill this poll has served. */
  backfillDone?: number[];
  /** The workflows this poll served: their read-through marks move (forward only) to `cursor`. */
  readers?: number[];
  /** More writes of the same poll, in its transaction (the due index: src/store/due.ts). */
  alsoWrite?(trx: Kysely<Database>): Promise<void>;
}

/**
 * Records that a workflow has seen an event; false when it already had (ON CONFLICT DO NOTHING:
 * the insert itself is the dedupe, so two writers racing on one key cannot both win).
 */
async function markSeen(
  trx: Kysely<Database>,
  e: DetectedEvent,
  connectionKey: string,
  pollKey: string,
  now: string,
): Promise<boolean> {
  const inserted = await trx
    .insertInto("seen_events")
    .values({
      workflow_id: e.workflowId,
      event_key: e.eventKey,
      event_time: e.eventTime,
      connection_key: connectionKey,
      poll_key: e.keep ? keptPollKey(pollKey) : pollKey,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(["workflow_id", "event_key"]).doNothing())
    .returning("workflow_id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Cursors per (connection, poll key) and the seen-event keys that make repeated polls harmless. */
export class PollingStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async cursor(connectionKey: string, pollKey: string): Promise<CursorState | undefined> {
    const r = await this.#db
      .selectFrom("trigger_cursors")
      .selectAll()
      .where("connection_key", "=", connectionKey)
      .where("poll_key", "=", pollKey)
      .executeTakeFirst();
    return r
      ? {
          cursor: r.cursor,
          settled: r.settled,
          seenFloor: r.seen_floor,
          lastPollAt: r.last_poll_at,
          lastError: r.last_error,
          failures: r.failures,
        }
      : undefined;
  }

  /** Creates the cursor at `start` unless one exists; returns the stored state. */
  async ensureCursor(connectionKey: string, pollKey: string, start: string): Promise<CursorState> {
    await this.#db
      .insertInto("trigger_cursors")
      .values({ connection_key: connectionKey, poll_key: pollKey, cursor: start, failures: 0, updated_at: isoNow() })
      .onConflict((oc) => oc.columns(["connection_key", "poll_key"]).doNothing())
      .execute();
    return (await this.cursor(connectionKey, pollKey))!;
  }

  /**
   * Seen keys, queued runs and the new cursor in ONE transaction: a crash before commit repeats
   * the poll harmlessly; after it, the runs exist. The seen-key insert is the dedupe itself
   * (ON CONFLICT DO NOTHING), so two pollers racing on the same pair cannot both queue a run.
   */
  async commit(c: PollCommit): Promise<{ runIds: number[]; duplicates: number }> {
    const now = isoNow();
    return this.#db.transaction().execute(async (trx) => {
      // A write first, so SQLite takes its write lock (and waits on busy_timeout) up front and
      // PostgreSQL locks the pair's row: commits of one pair are serialised from here on.
      await trx
        .updateTable("trigger_cursors")
        .set({ last_poll_at: now })
        .where("connection_key", "=", c.connectionKey)
        .where("poll_key", "=", c.pollKey)
        .execute();
      const before = await trx
        .selectFrom("trigger_cursors")
        .select(["cursor", "settled", "seen_floor"])
        .where("connection_key", "=", c.connectionKey)
        .where("poll_key", "=", c.pollKey)
        .executeTakeFirst();
      const moved = await trx
        .updateTable("trigger_cursors")
        .set((eb) => {
          // A null mark was never stored: any value is ahead of it.
          const forwardOnly = (column: "settled" | "seen_floor", value: string | null | undefined) =>
            value
              ? eb
                  .case()
                  .when(column, "is", null)
                  .then(value)
                  .when(column, "<", value)
                  .then(value)
                  .else(eb.ref(column))
                  .end()
              : eb.ref(column);
          return {
            cursor: c.cursor
              ? eb.case().when("cursor", "<", c.cursor).then(c.cursor).else(eb.ref("cursor")).end()
              : eb.ref("cursor"),
            settled: forwardOnly("settled", c.settled),
            seen_floor: forwardOnly("seen_floor", c.seenFloor),
            last_poll_at: now,
            last_error: null,
            failures: 0,
            updated_at: now,
          };
        })
        .where("connection_key", "=", c.connectionKey)
        .where("poll_key", "=", c.pollKey)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0)
        await trx
          .insertInto("trigger_cursors")
          .values({
            connection_key: c.connectionKey,
            poll_key: c.pollKey,
            cursor: c.cursor ?? now,
            settled: c.settled ?? null,
            seen_floor: c.seenFloor ?? null,
            last_poll_at: now,
            failures: 0,
            updated_at: now,
          })
          .execute();
      // Which backfills this poll still serves (another poller may have served them meanwhile).
      const backfilling = new Set<number>();
      if (c.backfillDone?.length)
        for (const w of await trx
          .selectFrom("workflows")
          .select("id")
          .where("id", "in", c.backfillDone)
          .where("backfill_from", "is not", null)
          .execute())
          backfilling.add(w.id);
      const staleBefore =
        before && c.overlapMs !== undefined
          ? pollWindow({ cursor: before.cursor, settled: before.settled, seenFloor: before.seen_floor }, c.overlapMs)
              .seenFloor
          : Number.NEGATIVE_INFINITY;
      const runs = new RunStore(trx);
      const runIds: number[] = [];
      let duplicates = 0;
      for (const e of c.events) {
        if (Date.parse(e.eventTime) < staleBefore && !backfilling.has(e.workflowId)) {
          duplicates++;
          continue;
        }
        if (!(await markSeen(trx, e, c.connectionKey, c.pollKey, now))) {
          duplicates++;
          continue;
        }
        runIds.push(
          await runs.enqueue({
            workflowId: e.workflowId,
            workflowVersion: e.workflowVersion,
            triggerKey: e.triggerKey,
            eventKey: e.eventKey,
            payload: e.payload,
          }),
        );
      }
      if (c.pruneBefore)
        await trx
          .deleteFrom("seen_events")
          .where("connection_key", "=", c.connectionKey)
          .where("poll_key", "=", c.pollKey)
          .where("event_time", "<", c.pruneBefore)
          .execute();
      if (c.cursor && c.readers?.length) {
        const cursor = c.cursor;
        await trx
          .insertInto("poll_readers")
          .values(
            c.readers.map((id) => ({
              connection_key: c.connectionKey,
              poll_key: c.pollKey,
              workflow_id: id,
              cursor,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc.columns(["connection_key", "poll_key", "workflow_id"]).doUpdateSet((eb) => ({
              cursor: eb
                .case()
                .when("poll_readers.cursor", "<", cursor)
                .then(cursor)
                .else(eb.ref("poll_readers.cursor"))
                .end(),
              updated_at: now,
            })),
          )
          .execute();
      }
      if (c.backfillDone?.length)
        await trx.updateTable("workflows").set({ backfill_from: null }).where("id", "in", c.backfillDone).execute();
      await c.alsoWrite?.(trx);
      return { runIds, duplicates };
    });
  }

  /**
   * Queues a run for an event that arrives by itself (a webhook post with an idempotency key)
   * unless the workflow has seen its key: the seen-key insert and the run are one transaction,
   * as in a poll commit. Returns the new run, or the run the key first made.
   */
  async enqueueOnce(e: DetectedEvent & { connectionKey: string; pollKey: string }): Promise<{
    runId: number;
    duplicate: boolean;
  }> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await markSeen(trx, e, e.connectionKey, e.pollKey, isoNow()))) {
        const first = await trx
          .selectFrom("runs")
          .select("id")
          .where("workflow_id", "=", e.workflowId)
          .where("event_key", "=", e.eventKey)
          .orderBy("id")
          .executeTakeFirst();
        // The first run may have been pruned by retention: the key still counts as seen.
        return { runId: first ? Number(first.id) : 0, duplicate: true };
      }
      const runId = await new RunStore(trx).enqueue({
        workflowId: e.workflowId,
        workflowVersion: e.workflowVersion,
        triggerKey: e.triggerKey,
        eventKey: e.eventKey,
        payload: e.payload,
      });
      return { runId, duplicate: false };
    });
  }

  /**
   * Each workflow's read-through mark on the pair: every change visible up to it was read by a
   * poll that served the workflow (absent: no poll has recorded one). Polls of one pair may serve
   * different workflows (`run FILE --once` serves its file's), so the pair's cursor alone cannot
   * say which on-time changes a workflow has been shown.
   */
  async readThrough(connectionKey: string, pollKey: string, workflowIds: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (let i = 0; i < workflowIds.length; i += 500) {
      const rows = await this.#db
        .selectFrom("poll_readers")
        .select(["workflow_id", "cursor"])
        .where("connection_key", "=", connectionKey)
        .where("poll_key", "=", pollKey)
        .where("workflow_id", "in", workflowIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.workflow_id, r.cursor);
    }
    return out;
  }

  /** Which of these event keys a workflow has already turned into runs. */
  async seen(workflowId: number, eventKeys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < eventKeys.length; i += 500) {
      const rows = await this.#db
        .selectFrom("seen_events")
        .select("event_key")
        .where("workflow_id", "=", workflowId)
        .where("event_key", "in", eventKeys.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(r.event_key);
    }
    return out;
  }

  async recordError(connectionKey: string, pollKey: string, message: string): Promise<void> {
    const now = isoNow();
    await this.#db
      .updateTable("trigger_cursors")
      .set((eb) => ({ last_error: message, failures: eb("failures", "+", 1), last_poll_at: now, updated_at: now }))
      .where("connection_key", "=", connectionKey)
      .where("poll_key", "=", pollKey)
      .execute();
  }
}
