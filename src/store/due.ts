/**
 * The state behind the time-relative triggers and the flag triggers' switch-on snapshots:
 *
 * - the due index: per connection, the individual appointments and the classes (group
 *   appointments) with their times and state, and the classes' attendees, written by the shared
 *   poll of each resource inside its commit (`writeIndex` / `writeAttendees` are handed to
 *   `PollingStore.commit` as `alsoWrite`), filled once by a read of the recent and upcoming ones;
 * - flag snapshots: the records already flagged when a flag trigger is switched on, stored as kept
 *   seen keys of that workflow together with the activation they belong to.
 */
import type { Kysely, Transaction } from "kysely";
import { keptPollKey } from "./polling.ts";
import type { Database, DueAttendeesTable, DueIndexTable } from "./schema.ts";
import { isoNow } from "./time.ts";

/** An appointment's or a class's row in the due index. */
export type DueRow = Omit<DueIndexTable, "connection_key">;
/** A class attendee's row (its class is a DueRow of resource group_appointments). */
export type DueAttendeeRow = Omit<DueAttendeesTable, "connection_key">;

/**
 * What the due triggers fire for: an individual appointment's row, or a class attendee's, which
 * takes its class's times, practitioner, type and business, and its own patient (`resource`
 * "attendees", `group_appointment_id` set).
 */
export interface DueItem extends DueIndexTable {
  group_appointment_id: string | null;
}

const INDIVIDUAL = "individual_appointments";
export const GROUP = "group_appointments";
/** A class that no longer happens takes its attendees with it. */
const CLASS_OFF = new Set(["cancelled", "archived", "deleted"]);
const later = (a: string, b: string) => (a > b ? a : b);

/**
 * A class attendee as the due triggers see it: the class's times and ids; the class's state when it
 * is off, else the attendee's; timed when the class got its time or the attendee was booked, the
 * later (so a booking into a class inside the reminder window, or a class moved into it, is last-minute).
 */
export function attendeeItem(group: DueRow & { connection_key?: string }, a: DueAttendeeRow): DueItem {
  return {
    connection_key: group.connection_key ?? "",
    resource: "attendees",
    record_id: a.record_id,
    patient_id: a.patient_id,
    practitioner_id: group.practitioner_id,
    appointment_type_id: group.appointment_type_id,
    business_id: group.business_id,
    starts_at: group.starts_at,
    ends_at: group.ends_at,
    state: CLASS_OFF.has(group.state) ? group.state : a.state,
    timed_at: later(group.timed_at, a.booked_at),
    record_updated_at: later(group.record_updated_at, a.record_updated_at),
    group_appointment_id: group.record_id,
  };
}

const individualItem = (r: DueIndexTable): DueItem => ({ ...r, group_appointment_id: null });

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
  async recordFill(
    connectionKey: string,
    resource: string,
    filledFrom: string,
    rows: DueRow[],
    attendees: DueAttendeeRow[] = [],
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await writeIndex(trx, connectionKey, rows);
      await writeAttendees(trx, connectionKey, attendees);
      await trx
        .insertInto("due_fills")
        .values({ connection_key: connectionKey, resource, filled_from: filledFrom, filled_at: isoNow() })
        .onConflict((oc) =>
          oc.columns(["connection_key", "resource"]).doUpdateSet({ filled_from: filledFrom, filled_at: isoNow() }),
        )
        .execute();
    });
  }

  /**
   * What is due-able on a connection with `column` in [from, to): its individual appointments, and
   * the attendees of its classes in that range (a class itself never fires).
   */
  async rowsBetween(
    connectionKey: string,
    column: "starts_at" | "ends_at",
    from: string,
    to: string,
  ): Promise<DueItem[]> {
    const rows = await this.#db
      .selectFrom("due_index")
      .selectAll()
      .where("connection_key", "=", connectionKey)
      .where(column, ">=", from)
      .where(column, "<", to)
      .execute();
    const individual = rows.filter((r) => r.resource === INDIVIDUAL);
    const groups = rows.filter((r) => r.resource === GROUP);
    const items = [...individual.map(individualItem), ...(await this.#attendeesOf(connectionKey, groups))];
    return items.sort((a, b) => (a[column] < b[column] ? -1 : a[column] > b[column] ? 1 : 0));
  }

  /** The classes' attendees, as items. */
  async #attendeesOf(connectionKey: string, groups: DueIndexTable[]): Promise<DueItem[]> {
    const byId = new Map(groups.map((g) => [g.record_id, g]));
    const out: DueItem[] = [];
    const ids = [...byId.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const attendees = await this.#db
        .selectFrom("due_attendees")
        .selectAll()
        .where("connection_key", "=", connectionKey)
        .where("group_id", "in", ids.slice(i, i + 500))
        .execute();
      for (const a of attendees) out.push(attendeeItem(byId.get(a.group_id)!, a));
    }
    return out;
  }

  /** The appointment or class with this id in a connection's index (an attendee's booking), if any. */
  async booking(connectionKey: string, id: string): Promise<DueIndexTable | undefined> {
    return this.#db
      .selectFrom("due_index")
      .selectAll()
      .where("connection_key", "=", connectionKey)
      .where("resource", "in", [INDIVIDUAL, GROUP])
      .where("record_id", "=", id)
      .executeTakeFirst();
  }

  /** The patients' appointments and class attendances (for recall: what else each has booked). */
  async rowsOfPatients(connectionKey: string, patientIds: string[]): Promise<DueItem[]> {
    const out: DueItem[] = [];
    for (let i = 0; i < patientIds.length; i += 500) {
      const chunk = patientIds.slice(i, i + 500);
      const individual = await this.#db
        .selectFrom("due_index")
        .selectAll()
        .where("connection_key", "=", connectionKey)
        .where("resource", "=", INDIVIDUAL)
        .where("patient_id", "in", chunk)
        .execute();
      out.push(...individual.map(individualItem));
      const attendances = await this.#db
        .selectFrom("due_attendees as a")
        .innerJoin("due_index as g", (j) =>
          j.onRef("g.connection_key", "=", "a.connection_key").onRef("g.record_id", "=", "a.group_id"),
        )
        .selectAll("g")
        .select([
          "a.record_id as a_record_id",
          "a.group_id as a_group_id",
          "a.patient_id as a_patient_id",
          "a.state as a_state",
          "a.booked_at as a_booked_at",
          "a.record_updated_at as a_record_updated_at",
        ])
        .where("a.connection_key", "=", connectionKey)
        .where("g.resource", "=", GROUP)
        .where("a.patient_id", "in", chunk)
        .execute();
      for (const r of attendances)
        out.push(
          attendeeItem(r, {
            record_id: r.a_record_id,
            group_id: r.a_group_id,
            patient_id: r.a_patient_id,
            state: r.a_state,
            booked_at: r.a_booked_at,
            record_updated_at: r.a_record_updated_at,
          }),
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

  /**
   * Drops rows that ended before `before` (nothing relative to them can fall due any more), the
   * attendees of individual appointments (every appointment has one; only a class's fire), and
   * attendees booked before `before` whose class is not in the index (it ended long ago).
   */
  async prune(before: string): Promise<number> {
    const r = await this.#db.deleteFrom("due_index").where("ends_at", "<", before).executeTakeFirst();
    const a = await this.#db
      .deleteFrom("due_attendees")
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom("due_index as i")
              .select("i.record_id")
              .whereRef("i.connection_key", "=", "due_attendees.connection_key")
              .whereRef("i.record_id", "=", "due_attendees.group_id")
              .where("i.resource", "=", INDIVIDUAL),
          ),
          eb.and([
            eb("booked_at", "<", before),
            eb.not(
              eb.exists(
                eb
                  .selectFrom("due_index as g")
                  .select("g.record_id")
                  .whereRef("g.connection_key", "=", "due_attendees.connection_key")
                  .whereRef("g.record_id", "=", "due_attendees.group_id")
                  .where("g.resource", "=", GROUP),
              ),
            ),
          ]),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows) + Number(a.numDeletedRows);
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

/**
 * Upserts class attendees' rows, never going back to an older version of one. The attendee of an
 * individual appointment (its booking is an individual appointment in the index) is left out: the
 * appointment itself fires.
 */
export async function writeAttendees(
  trx: Kysely<Database> | Transaction<Database>,
  connectionKey: string,
  rows: DueAttendeeRow[],
): Promise<void> {
  for (const row of rows) {
    const individual = await trx
      .selectFrom("due_index")
      .select("record_id")
      .where("connection_key", "=", connectionKey)
      .where("resource", "=", INDIVIDUAL)
      .where("record_id", "=", row.group_id)
      .executeTakeFirst();
    if (individual) continue;
    const prior = await trx
      .selectFrom("due_attendees")
      .select("record_updated_at")
      .where("connection_key", "=", connectionKey)
      .where("record_id", "=", row.record_id)
      .executeTakeFirst();
    if (!prior) {
      await trx
        .insertInto("due_attendees")
        .values({ ...row, connection_key: connectionKey })
        .onConflict((oc) => oc.columns(["connection_key", "record_id"]).doNothing())
        .execute();
      continue;
    }
    if (prior.record_updated_at > row.record_updated_at) continue;
    await trx
      .updateTable("due_attendees")
      .set(row)
      .where("connection_key", "=", connectionKey)
      .where("record_id", "=", row.record_id)
      .execute();
  }
}
