/**
 * What a trigger event is about, in the words a list can show: who (the patient or the record's
 * name), when (an appointment's start, an invoice's date) and what (an invoice number), instead
 * of 19-digit ids. Read from the event's own fields; no request to Cliniko.
 */
export interface EventSummary {
  who: string | null;
  /** ISO date or date-time; the UI formats it in the reader's zone. */
  when: string | null;
  what: string | null;
}

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

export function eventSummary(payload: unknown): EventSummary | null {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return null;
  const e = payload as Record<string, unknown>;
  const fullName = [text(e.first_name), text(e.last_name)].filter(Boolean).join(" ") || null;
  const who = text(e.patient_name) ?? fullName ?? text(e.name) ?? text(e.business_name);
  const when = text(e.starts_at) ?? text(e.issue_date) ?? text(e.date);
  const what = e.number !== undefined && e.number !== null ? `No. ${String(e.number)}` : null;
  if (!who && !when && !what) return null;
  return { who, when, what };
}
