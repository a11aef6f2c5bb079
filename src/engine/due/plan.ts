/**
 * Which index rows are due for one workflow now, and under which key (pure). The key carries the
 * time the trigger is relative to, so a moved appointment is a new key (it fires again for its new
 * time) and the old key can never come due again (the row no longer has that time).
 *
 * - before: `starts_at − before` has come and the appointment has not started. It counts only when
 *   that moment came after the workflow was switched on, or (last-minute) the appointment got its
 *   time after that moment and after switching on.
 * - after: `ends_at + after` has come, after switching on, within the catch-up window.
 * - recall: the patient's last attended appointment ended `after` ago (after switching on, within
 *   the catch-up window) and nothing is booked after it.
 *
 * A class attendee is an item like an appointment (its class's times and ids, its own patient and
 * state); its keys name it as one (`attendee:<id>@<starts_at>`), so they never meet an appointment's.
 */
import { passesBookingFilters } from "../../catalog/booking-filters.ts";
import type { DueKind, DueOptions } from "../../catalog/index.ts";
import type { DueItem } from "../../store/index.ts";

/** How late a follow-up or recall may still fire after its due time (a stopped engine catching up). */
export const CATCH_UP_MS = 86_400_000;

/** Appointments that still happen (or happened): not cancelled, archived, deleted or a no-show. */
const ON = new Set(["booked", "arrived"]);

export interface DueCandidate {
  row: DueItem;
  key: string;
  dueAt: number;
  /** The seen key's time, for pruning: never before the window in which it can come due. */
  eventTime: number;
}

/** The index window a kind reads (on `column`, [from, to)) to find what is due at `now`. */
export function dueWindow(
  kind: DueKind,
  offsetMs: number,
  now: number,
): { column: "starts_at" | "ends_at"; from: number; to: number } {
  if (kind === "before") return { column: "starts_at", from: now + 1, to: now + offsetMs + 1 };
  return { column: "ends_at", from: now - offsetMs - CATCH_UP_MS, to: now - offsetMs + 1 };
}

/** When the next row after the current window comes due (for the wake-up), given the next time in the index. */
export function nextDueAt(kind: DueKind, offsetMs: number, nextTime: number): number {
  return kind === "before" ? nextTime - offsetMs : nextTime + offsetMs;
}

const t = (iso: string) => Date.parse(iso);

/** The item's name in its keys: an appointment's id, or `attendee:<id>`. */
export const itemName = (row: Pick<DueItem, "resource" | "record_id">) =>
  row.resource === "attendees" ? `attendee:${row.record_id}` : row.record_id;

export function dueCandidates(
  kind: DueKind,
  o: DueOptions,
  rows: readonly DueItem[],
  ctx: { now: number; activatedAt: number; patientRows?: readonly DueItem[] },
): DueCandidate[] {
  const { now, activatedAt } = ctx;
  // Cliniko stamps whole seconds: a booking in the second of switching on counts as after it.
  const activatedSecond = Math.floor(activatedAt / 1000) * 1000;
  const out: DueCandidate[] = [];
  for (const row of rows) {
    if (!passesBookingFilters(o, row)) continue;
    const name = itemName(row);
    if (kind === "before") {
      const startsAt = t(row.starts_at);
      const dueAt = startsAt - o.offsetMs;
      if (!ON.has(row.state) || dueAt > now || startsAt <= now) continue;
      const timedAt = t(row.timed_at);
      const lastMinute = o.lastMinute && timedAt > dueAt && timedAt >= activatedSecond;
      if (dueAt < activatedAt && !lastMinute) continue;
      out.push({ row, key: `${name}@${row.starts_at}`, dueAt: Math.max(dueAt, timedAt), eventTime: startsAt });
      continue;
    }
    const endsAt = t(row.ends_at);
    const dueAt = endsAt + o.offsetMs;
    if (dueAt > now || dueAt < activatedAt || dueAt < now - CATCH_UP_MS) continue;
    if (kind === "after") {
      if (!ON.has(row.state) && !(o.includeDidNotArrive && row.state === "did_not_arrive")) continue;
      out.push({ row, key: `${name}@${row.ends_at}`, dueAt, eventTime: dueAt });
      continue;
    }
    // recall: the patient's last visit, nothing booked after it
    if (!ON.has(row.state) || !row.patient_id) continue;
    const later = (ctx.patientRows ?? []).some(
      (r) => r.patient_id === row.patient_id && itemName(r) !== name && ON.has(r.state) && t(r.ends_at) > endsAt,
    );
    if (later) continue;
    out.push({ row, key: `${row.patient_id}@${name}`, dueAt, eventTime: dueAt });
  }
  return out;
}
