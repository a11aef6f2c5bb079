/**
 * The due index rides on the shared polls of individual appointments, group appointments (classes)
 * and attendees: each poll's commit writes the changed records into it (same transaction as the
 * cursor), and the first poll after a due trigger is switched on fills it once with every
 * appointment and class starting from far enough back for the longest follow-up or recall
 * (`q[]=starts_at:>=…`), a class with its attendees (one list per class: the attendees list has no
 * time to filter on), all through the connection's client, so in the key's budget. A later
 * workflow that needs further back widens the fill once more. Attendees are filled with their
 * classes: their own poll keeps them once the classes' fill exists.
 */

import type { Kysely } from "kysely";
import { dueOptions, type TriggerRecord } from "../../catalog/index.ts";
import { ClinikoNotFoundError } from "../../cliniko/errors.ts";
import { type ResourceName, resource } from "../../cliniko/resources.ts";
import type { ClinikoClient } from "../../cliniko/types.ts";
import { writeAttendees, writeIndex } from "../../store/due.ts";
import type { DueAttendeeRow, DueRow, Store } from "../../store/index.ts";
import type { Database } from "../../store/schema.ts";
import type { PollJob } from "../poller.ts";
import { attendeeRowOf, dueRowOf, type IndexedResource } from "./index-rows.ts";

const DAY = 86_400_000;

/** Per polled resource, the fill that covers it (attendees come with their classes). */
const FILL_OF: Partial<Record<ResourceName, IndexedResource>> = {
  individual_appointments: "individual_appointments",
  group_appointments: "group_appointments",
  attendees: "group_appointments",
};

/** The resources whose polls keep the due index (a due trigger polls all of them). */
export const DUE_RESOURCES = Object.keys(FILL_OF) as ResourceName[];

/** How far back the index must reach for these due targets (the longest after, plus a day). */
export function lookbackMs(job: Pick<PollJob, "targets">): number {
  let ms = DAY;
  for (const t of job.targets) {
    if (!t.trigger.due || t.trigger.due === "before") continue;
    try {
      ms = Math.max(ms, dueOptions(t.trigger.due, t.definition.trigger.options).offsetMs + DAY);
    } catch {
      // Invalid options are refused when saving; a stored one that slipped through does not fill.
    }
  }
  return ms;
}

const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** Every appointment or class starting from `from`, as rows; for classes, their attendees too. */
async function readFill(
  client: ClinikoClient,
  indexed: IndexedResource,
  from: number,
): Promise<{ rows: DueRow[]; attendees: DueAttendeeRow[] }> {
  const rows: DueRow[] = [];
  const attendees: DueAttendeeRow[] = [];
  for await (const page of client.pagesOf<TriggerRecord>(resource(indexed).ops.list!, {
    q: [`starts_at:>=${second(from)}`],
    perPage: 100,
  }))
    for (const record of page.records) {
      const row = dueRowOf(record, indexed);
      if (row) rows.push(row);
    }
  if (indexed === "group_appointments")
    for (const row of rows) {
      if (row.state === "deleted") continue;
      try {
        for await (const page of client.pagesOf<TriggerRecord>("ListAttendeesForGroupAppointment-Get", {
          params: { group_appointment_id: row.record_id },
          perPage: 100,
        }))
          for (const record of page.records) {
            const a = attendeeRowOf(record);
            if (a) attendees.push(a);
          }
      } catch (err) {
        if (!(err instanceof ClinikoNotFoundError)) throw err; // deleted since it was listed
      }
    }
  return { rows, attendees };
}

/**
 * Makes sure the connection's index exists when a due trigger polls this pair; true when the poll
 * must keep it (an index exists for the connection).
 */
export async function ensureDueIndex(
  job: PollJob,
  deps: { store: Store; client: ClinikoClient; now?: number },
): Promise<boolean> {
  const indexed = FILL_OF[job.resource];
  if (!indexed) return false;
  const fill = await deps.store.due.fill(job.connectionKey, indexed);
  if (job.resource === "attendees" || !job.targets.some((t) => t.trigger.due)) return fill !== undefined;
  const from = (deps.now ?? Date.now()) - lookbackMs(job);
  if (fill && Date.parse(fill.filledFrom) <= from) return true;
  const { rows, attendees } = await readFill(deps.client, indexed, from);
  await deps.store.due.recordFill(job.connectionKey, indexed, new Date(from).toISOString(), rows, attendees);
  return true;
}

/** The poll's index writes, run inside its commit. */
export function indexWrite(job: Pick<PollJob, "connectionKey" | "resource">, records: readonly TriggerRecord[]) {
  if (job.resource === "attendees") {
    const rows = records.flatMap((r) => attendeeRowOf(r) ?? []);
    return (trx: Kysely<Database>) => writeAttendees(trx, job.connectionKey, rows);
  }
  const indexed = FILL_OF[job.resource] ?? "individual_appointments";
  const rows = records.flatMap((r) => dueRowOf(r, indexed) ?? []);
  return (trx: Kysely<Database>) => writeIndex(trx, job.connectionKey, rows);
}
