/**
 * The state behind the time-relative triggers and the flag triggers' switch-on snapshots:
 *
 * - the due index: per connection, the appointments (and class attendees) with their times and
 *   state, written by the shared poll of the resource inside its commit (`writeIndex` is handed to
 *   `PollingStore.commit` as `alsoWrite`), filled once by a read of the upcoming ones;
 * - flag snapshots: the records already flagged when a flag trigger is switched on, stored as kept
 *   seen keys of that workflow together with the activation they belong to.
 */
import type { Kysely, Transaction } from "kysely";
import { keptPollKey } from "./polling.ts";
import type { Database, DueIndexTable } from "./schema.ts";
import { isoNow } from "./time.ts";

export type DueRow = Omit<DueIndexTable, "connection_key">;

export class DueStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Whether this workflow's activation already has its snapshot of flagged records. */
  async snapshotDone(workflowId: number, activatedAt: string): Promise<boolean> {
    const r = await this.#db
      .selectFrom("trigger_snapshots")
      .select("activated_at")
      .where("workflow_id", "=", workflowId)
      .executeTakeFirst();
    return r?.activated_at === activatedAt;
  }

  /**
   * Records `keys` (the records flagged before `activatedAt`) as seen by the workflow, kept from
   * pruning, and the snapshot as done for that activation: one transaction, so a crash repeats it.
   */
  async recordSnapshot(s: {
    workflowId: number;
    activatedAt: string;
    connectionKey: string;
    pollKey: string;
    keys: { eventKey: string; eventTime: string }[];
  }): Promise<void> {
    const now = isoNow();
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < s.keys.length; i += 200) {
        const chunk = s.keys.slice(i, i + 200);
        await trx
          .insertInto("seen_events")
          .values(
            chunk.map((k) => ({
              workflow_id: s.workflowId,
              event_key: k.eventKey,
              event_time: k.eventTime,
              connection_key: s.connectionKey,
              poll_key: keptPollKey(s.pollKey),
              created_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(["workflow_id", "event_key"]).doNothing())
          .execute();
      }
      await trx
        .insertInto("trigger_snapshots")
        .values({ workflow_id: s.workflowId, activated_at: s.activatedAt, records: s.keys.length, created_at: now })
        .onConflict((oc) =>
          oc
            .column("workflow_id")
            .doUpdateSet({ activated_at: s.activatedAt, records: s.keys.length, created_at: now }),
        )
        .execute();
    });
  }

  // -------------------------------------------------------------------------------------------
  // The due index

  /** When the (connection, resource) index was filled, and from which start time; undefined: never. */
  async fill(connectionKey: string, resource: string): Promise<{ filledFrom: string; filledAt: string } | undefined> {
    const r = await this.#db
      .selectFrom("due_fills")
      .selectAll()
      .where("connection_key", "=", connectionKey)
      .where("resource", "=", resource)
      .executeTakeFirst();
    return r ? { filledFrom: r.filled_from, filledAt: r.filled_at } : undefined;
  }

  /** The fill's rows and its mark, in one transaction (rows a poll wrote meanwhile and newer are kept). */
  async recordFill(connectionKey: string, resource: string, filledFrom: string, rows: DueRow[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await writeIndex(trx, connectionKey, rows);
      await trx
        .insertInto("due_fills")
        .values({ connection_key: connectionKey, resource, filled_from: filledFrom, filled_at: isoNow() })
        .onConflict((oc) =>
          oc.columns(["connection_key", "resource"]).doUpdateSet({ filled_from: filledFrom, filled_at: isoNow() }),
        )
        .execute();
    });
  }

  /** Index rows of a connection whose `column` lies in [from, to). */
  async rowsBetween(
    connectionKey: string,
    column: "starts_at" | "ends_at",
    from: string,
    to: string,
  ): Promise<DueIndexTable[]> {
    return this.#db
      .selectFrom("due_index")
      .selectAll()
      .where("connection_key", "=", connectionKey)
      .where(column, ">=", from)
      .where(column, "<", to)
      .orderBy(column)
      .execute();
  }

  /** The patients' rows (for recall: what else each has booked). */
  async rowsOfPatients(connectionKey: string, patientIds: string[]): Promise<DueIndexTable[]> {
    const out: DueIndexTable[] = [];
    for (let i = 0; i < patientIds.length; i += 500) {
      out.push(
        ...(await this.#db
          .selectFrom("due_index")
          .selectAll()
          .where("connection_key", "=", connectionKey)
          .where("patient_id", "in", patientIds.slice(i, i + 500))
          .execute()),
      );
    }
    return out;
  }

  /** The earliest `column` value after `after` on a connection (the next time anything can fall due). */
  async nextTime(connectionKey: string, column: "starts_at" | "ends_at", after: string): Promise<string | undefined> {
    const r = await this.#db
      .selectFrom("due_index")
      .select(column)
      .where("connection_key", "=", connectionKey)
      .where(column, ">", after)
      .orderBy(column)
      .limit(1)
      .executeTakeFirst();
    return r?.[column];
  }

  /** Drops rows that ended before `before` (nothing relative to them can fall due any more). */
  async prune(before: string): Promise<number> {
    const r = await this.#db.deleteFrom("due_index").where("ends_at", "<", before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/**
 * Upserts index rows; a row never goes back to an older version of its record (two pollers, or a
 * fill racing a poll). A new row is timed when it was booked (`timed_at` as given: its created_at);
 * a row whose times changed is timed when it moved (its record's updated_at).
 */
export async function writeIndex(
  trx: Kysely<Database> | Transaction<Database>,
  connectionKey: string,
  rows: DueRow[],
): Promise<void> {
  for (const row of rows) {
    const prior = await trx
      .selectFrom("due_index")
      .select(["starts_at", "ends_at", "timed_at", "record_updated_at"])
      .where("connection_key", "=", connectionKey)
      .where("resource", "=", row.resource)
      .where("record_id", "=", row.record_id)
      .executeTakeFirst();
    if (!prior) {
      await trx
        .insertInto("due_index")
        .values({ ...row, connection_key: connectionKey })
        .onConflict((oc) => oc.columns(["connection_key", "resource", "record_id"]).doNothing())
        .execute();
      continue;
    }
    if (prior.record_updated_at > row.record_updated_at) continue;
    const moved = prior.starts_at !== row.starts_at || prior.ends_at !== row.ends_at;
    await trx
      .updateTable("due_index")
      .set({ ...row, timed_at: moved ? row.record_updated_at : prior.timed_at })
      .where("connection_key", "=", connectionKey)
      .where("resource", "=", row.resource)
      .where("record_id", "=", row.record_id)
      .execute();
  }
}
