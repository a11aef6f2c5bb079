/**
 * The due index rides on the shared poll of individual appointments: the poll's commit writes the
 * changed appointments into it (same transaction as the cursor), and the first poll after a due
 * trigger is switched on fills it once with every appointment starting from far enough back for
 * the longest follow-up or recall (`q[]=starts_at:>=…`, through the connection's client, so in the
 * key's budget). A later workflow that needs further back widens the fill once more.
 */

import type { Kysely } from "kysely";
import { dueOptions, type TriggerRecord } from "../../catalog/index.ts";
import { resource } from "../../cliniko/resources.ts";
import type { ClinikoClient } from "../../cliniko/types.ts";
import { writeIndex } from "../../store/due.ts";
import type { Store } from "../../store/index.ts";
import type { Database } from "../../store/schema.ts";
import type { PollJob } from "../poller.ts";
import { dueRowOf } from "./index-rows.ts";

const DAY = 86_400_000;
export const INDEXED_RESOURCE = "individual_appointments";

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

/**
 * Makes sure the connection's index exists when a due trigger polls this pair; true when the poll
 * must keep it (an index exists for the connection).
 */
export async function ensureDueIndex(
  job: PollJob,
  deps: { store: Store; client: ClinikoClient; now?: number },
): Promise<boolean> {
  if (job.resource !== INDEXED_RESOURCE) return false;
  const fill = await deps.store.due.fill(job.connectionKey, INDEXED_RESOURCE);
  if (!job.targets.some((t) => t.trigger.due)) return fill !== undefined;
  const from = (deps.now ?? Date.now()) - lookbackMs(job);
  if (fill && Date.parse(fill.filledFrom) <= from) return true;
  const rows = [];
  const list = resource(INDEXED_RESOURCE).ops.list!;
  for await (const page of deps.client.pagesOf<TriggerRecord>(list, {
    q: [`starts_at:>=${second(from)}`],
    perPage: 100,
  }))
    for (const record of page.records) {
      const row = dueRowOf(record);
      if (row) rows.push(row);
    }
  await deps.store.due.recordFill(job.connectionKey, INDEXED_RESOURCE, new Date(from).toISOString(), rows);
  return true;
}

/** The poll's index writes, run inside its commit. */
export function indexWrite(connectionKey: string, records: readonly TriggerRecord[]) {
  const rows = records.flatMap((r) => dueRowOf(r) ?? []);
  return (trx: Kysely<Database>) => writeIndex(trx, connectionKey, rows);
}
