/**
 * Available times, a deliberately simple model (documented in docs/sandbox.md):
 * a practitioner works Monday–Friday 09:00–17:00 UTC, plus any availability blocks they have at
 * the business (repeats included). Slots are back to back, as long as the appointment type, starting at the window's
 * start. A slot is free when it starts after now and overlaps none of the practitioner's live
 * individual or group appointments or unavailable blocks (at any business).
 */
import type { ApiRequest, ApiResponse } from "./api.ts";
import { NotFoundError } from "./api.ts";
import { isoSeconds } from "./clock.ts";
import { parsePaging } from "./query.ts";
import { isHidden } from "./records.ts";
import { repeatsOf } from "./repeats.ts";
import type { Row, SandboxStore } from "./store.ts";
import { ValidationError } from "./validate.ts";

const DAY = 86_400_000;
const OPEN_HOUR = 9;
const CLOSE_HOUR = 17;
const MAX_SPAN_DAYS = 7;

interface Interval {
  start: number;
  end: number;
}

function parseRange(store: SandboxStore, search: URLSearchParams): { from: number; to: number } {
  const errors: Record<string, string> = {};
  const read = (name: "from" | "to") => {
    const v = search.get(name);
    if (!v) errors[name] = "is required (a date, YYYY-MM-DD)";
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) errors[name] = "must be a date, YYYY-MM-DD";
    else return Date.parse(`${v}T00:00:00Z`);
    return Number.NaN;
  };
  const from = read("from");
  const to = read("to");
  if (!errors.from && !errors.to) {
    const today = Date.parse(`${store.clock.iso().slice(0, 10)}T00:00:00Z`);
    if (from < today) errors.from = "must not be before today";
    else if (to < from) errors.to = "must not be before from";
    else if ((to - from) / DAY > MAX_SPAN_DAYS) errors.to = `must be at most ${MAX_SPAN_DAYS} days after from`;
  }
  if (Object.keys(errors).length) {
    const [field, message] = Object.entries(errors)[0]!;
    throw new ValidationError(errors, `${field} ${message}`);
  }
  return { from, to: to + DAY };
}

function interval(row: Record<string, unknown>): Interval {
  return { start: Date.parse(String(row.starts_at)), end: Date.parse(String(row.ends_at)) };
}

const live = (row: Row) => !isHidden(row);

/** Free slot starts, in ms, for the request's practitioner, business and appointment type. */
export function freeSlots(store: SandboxStore, params: Record<string, string>, from: number, to: number): number[] {
  const business = store.get("businesses", params.business_id!);
  const practitioner = store.get("practitioners", params.practitioner_id!);
  const type = store.get("appointment_types", params.appointment_type_id!);
  if (!business || !practitioner || !type) throw new NotFoundError("Not found");
  const duration = Number(type.duration_in_minutes ?? 30) * 60_000 || 30 * 60_000;
  const mine = (r: Row) => r.practitioner_id === practitioner.id && live(r);
  const busy = ["individual_appointments", "group_appointments", "unavailable_blocks"].flatMap((k) =>
    store.rows(k).filter(mine).map(interval),
  );
  const windows: Interval[] = [];
  for (let day = from; day < to; day += DAY) {
    const weekday = new Date(day).getUTCDay();
    if (weekday >= 1 && weekday <= 5)
      windows.push({ start: day + OPEN_HOUR * 3_600_000, end: day + CLOSE_HOUR * 3_600_000 });
  }
  for (const block of store.rows("availability_blocks")) {
    if (block.practitioner_id !== practitioner.id || block.business_id !== business.id || !live(block)) continue;
    // An availability block stays one record; its repeat rule adds the later occurrences.
    for (const w of [block, ...repeatsOf(block)].map(interval)) {
      if (w.end > from && w.start < to) windows.push({ start: Math.max(w.start, from), end: Math.min(w.end, to) });
    }
  }
  const now = store.clock.nowMs();
  const starts = new Set<number>();
  for (const w of windows) {
    for (let s = w.start; s + duration <= w.end; s += duration) {
      if (s <= now) continue;
      if (busy.some((b) => b.start < s + duration && b.end > s)) continue;
      starts.add(s);
    }
  }
  return [...starts].sort((a, b) => a - b);
}

export function availableTimes(store: SandboxStore, req: ApiRequest): ApiResponse {
  const { from, to } = parseRange(store, req.search);
  const { page, perPage } = parsePaging(req.search.get("page") ?? undefined, req.search.get("per_page") ?? undefined);
  const slots = freeSlots(store, req.params, from, to);
  const url = (p: number) => {
    const q = new URLSearchParams(req.search);
    q.set("page", String(p));
    return `${req.base}${req.path}?${q.toString()}`;
  };
  const start = (page - 1) * perPage;
  const links: Record<string, string> = { self: url(page) };
  if (start + perPage < slots.length) links.next = url(page + 1);
  if (page > 1) links.previous = url(page - 1);
  return {
    status: 200,
    body: {
      available_times: slots.slice(start, start + perPage).map((s) => ({ appointment_start: isoSeconds(s) })),
      total_entries: slots.length,
      links,
    },
  };
}

export function nextAvailableTime(store: SandboxStore, req: ApiRequest): ApiResponse {
  const { from, to } = parseRange(store, req.search);
  const first = freeSlots(store, req.params, from, to)[0];
  return {
    status: 200,
    body: {
      appointment_start: first === undefined ? null : isoSeconds(first),
      total_entries: first === undefined ? 0 : 1,
      links: { self: `${req.base}${req.path}?${req.search.toString()}` },
    },
  };
}
