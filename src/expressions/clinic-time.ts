/**
 * Clinic time in expressions: JSONata functions that read the clinic's time zone, so a workflow
 * says "tomorrow" or "Tuesday 1 December 2026, 9:00 am" as the clinic's diary does, not as UTC.
 *
 * - `$today()`, `$tomorrow()`: the date (`YYYY-MM-DD`) in the clinic's zone;
 * - `$clinicDate(time)`: the clinic's date at a time;
 * - `$addDuration(time, "2d")`: a time (or a date) moved by a duration (`-2h` goes back);
 * - `$clinicTime(time, style)`: a time as readable text in the clinic's zone;
 * - `$clinicToUtc(local)`: the UTC instant of a clinic wall-clock time, or of a date's midnight
 *   (for Cliniko's filters, which compare instants).
 *
 * The zone is the scope's `clinic.time_zone` (the journals put it there from the workflow's Cliniko
 * connection: its first business's zone); without one, the server's own zone. Zone arithmetic is
 * Intl's: no dependency.
 */
import { DURATION_PATTERN, parseDuration } from "./duration.ts";
import { dateIn, isLocalDateTime, LOCAL_DATE_TIME, zonedToUtc } from "./zone.ts";

const DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The functions that need the clinic's zone: a workflow using none of them never asks for it. */
const ZONED = /\$(today|tomorrow|clinicDate|clinicTime|clinicToUtc)\s*\(/;

/** Whether any expression in a definition (or any text) calls a function that reads the clinic's zone. */
export function usesClinicTime(definition: unknown): boolean {
  return ZONED.test(typeof definition === "string" ? definition : JSON.stringify(definition ?? null));
}

/** The zone of the machine the server runs on (the fallback when no clinic zone is known). */
export function hostZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export const READABLE_STYLES = ["datetime", "date", "time", "short"] as const;
export type ReadableStyle = (typeof READABLE_STYLES)[number];

const readableFormats: Record<ReadableStyle, Intl.DateTimeFormatOptions> = {
  datetime: { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit" },
  date: { weekday: "long", day: "numeric", month: "long", year: "numeric" },
  time: { hour: "numeric", minute: "2-digit" },
  short: { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" },
};

/** Built formats by zone and style (building one is far slower than using it). */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as a clinic reads it in `zone`: "Tuesday 1 December 2026, 9:00 am" (datetime),
 * "Tuesday 1 December 2026" (date), "9:00 am" (time) or "Tue 1 Dec, 9:00 am" (short).
 */
export function readableIn(zone: string, ms: number, style: ReadableStyle = "datetime"): string {
  const key = `${zone}\0${style}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { ...readableFormats[style], timeZone: zone, hour12: true });
    if (formats.size > 500) formats.clear(); // zones come from records: keep the cache bounded
    formats.set(key, format);
  }
  const parts = format.formatToParts(new Date(ms)).reduce<Record<string, string>>((o, p) => {
    o[p.type] = p.value;
    return o;
  }, {});
  const day = [parts.weekday, parts.day, parts.month, parts.year].filter(Boolean).join(" ");
  const time = parts.hour ? `${parts.hour}:${parts.minute} ${(parts.dayPeriod ?? "").toLowerCase()}`.trim() : "";
  return [day, time].filter(Boolean).join(", ");
}

/** Why a value is refused, in the words an expression's error shows. */
class ClinicTimeError extends Error {}

/** The instant a time names (a date-time with an offset or `Z`). */
function instant(fn: string, value: unknown): number {
  const ms =
    typeof value === "string" && !LOCAL_DATE_TIME.test(value) && !DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new ClinicTimeError(
      `${fn}: ${JSON.stringify(value)} is not a date and time with a time zone, such as 2026-12-01T09:00:00Z`,
    );
  return ms;
}

/** `YYYY-MM-DD` moved by whole days (calendar days: no daylight-saving hour in the way). */
function shiftDate(date: string, days: number): string {
  const [, y, m, d] = DATE.exec(date)!;
  return new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)) + days * DAY).toISOString().slice(0, 10);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/** A signed duration (`2d`, `-90m`) in ms. */
function signedDuration(value: unknown): number {
  const text = typeof value === "string" ? value.trim() : "";
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  if (!DURATION_PATTERN.test(body))
    throw new ClinicTimeError(`$addDuration: ${JSON.stringify(value)} is not a duration such as 30m, 2h, 1d or -2h`);
  return (negative ? -1 : 1) * parseDuration(body);
}

/**
 * `time` moved by `duration`: a date (`2026-12-01`) by whole days, giving a date; a wall-clock
 * time (no offset) on the wall clock, giving one; a time with an offset as an instant, giving UTC.
 */
export function addDuration(time: unknown, duration: unknown): string | undefined {
  if (time === undefined || time === null) return undefined;
  const ms = signedDuration(duration);
  if (typeof time === "string" && DATE.test(time)) {
    if (ms % DAY !== 0)
      throw new ClinicTimeError(`$addDuration: a date moves by whole days (${JSON.stringify(duration)} is not)`);
    return shiftDate(time, ms / DAY);
  }
  if (typeof time === "string" && LOCAL_DATE_TIME.test(time)) {
    const [, y, mo, d, h, mi, s, frac] = LOCAL_DATE_TIME.exec(time)!;
    const wall =
      Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)) +
      Math.round(Number(frac ?? 0) * 1000);
    return iso(wall + ms)
      .replace(/Z$/, "")
      .replace(/\.\d+$/, "");
  }
  return iso(instant("$addDuration", time) + ms);
}

/** The JSONata functions, bound to a zone and a clock. */
export function clinicTimeFunctions(zone: string, now: () => number = Date.now) {
  const readable = (time: unknown, style: unknown = "datetime"): string | undefined => {
    if (time === undefined || time === null) return undefined;
    if (!(READABLE_STYLES as readonly unknown[]).includes(style))
      throw new ClinicTimeError(`$clinicTime: the style must be one of ${READABLE_STYLES.join(", ")}`);
    const s = style as ReadableStyle;
    // A date or a wall-clock time is already the clinic's: shown as written, not moved by a zone.
    if (typeof time === "string" && DATE.test(time))
      return readableIn("UTC", Date.parse(`${time}T00:00:00Z`), s === "datetime" ? "date" : s);
    if (typeof time === "string" && LOCAL_DATE_TIME.test(time)) return readableIn("UTC", Date.parse(`${time}Z`), s);
    return readableIn(zone, instant("$clinicTime", time), s);
  };
  return {
    today: () => dateIn(zone, now()),
    tomorrow: () => shiftDate(dateIn(zone, now()), 1),
    clinicDate: (time?: unknown) =>
      time === undefined ? dateIn(zone, now()) : time === null ? undefined : dateIn(zone, instant("$clinicDate", time)),
    clinicTime: readable,
    clinicToUtc: (local: unknown) => {
      if (local === undefined || local === null) return undefined;
      const wall = typeof local === "string" && DATE.test(local) ? `${local}T00:00` : local;
      if (!isLocalDateTime(wall))
        throw new ClinicTimeError(
          `$clinicToUtc: ${JSON.stringify(local)} is not a date or a date and time without a time zone, such as 2026-12-01T09:00`,
        );
      return zonedToUtc(wall, zone);
    },
    addDuration,
  };
}
