/**
 * Time-zone arithmetic with Intl (no dependency): the offset of a zone at an instant, the UTC
 * instant a wall-clock time names in a zone, and the calendar date at an instant. A time a
 * daylight-saving change skips (02:30 on the night clocks go forward) is read with the offset
 * before the change (03:30), and a time that happens twice (the night they go back) is its first
 * occurrence. Actions (offset-less inputs) and expressions (clinic-time functions) both use it.
 */

/** A date-time without `Z` or `±hh:mm` (a wall-clock time), with its parts captured. */
export const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in ms (its wall clock minus UTC). */
function offsetAt(zone: string, ms: number): number {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const n = (k: string) => Number(parts[k]);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** True for a date-time without `Z` or `±hh:mm`: the clinic's local time. */
export function isLocalDateTime(value: unknown): value is string {
  return typeof value === "string" && LOCAL_DATE_TIME.test(value);
}

/** The UTC instant (ISO, `Z`) that a wall-clock time `local` names in `zone`. */
export function zonedToUtc(local: string, zone: string): string {
  const m = LOCAL_DATE_TIME.exec(local);
  if (!m) throw new Error(`Not a local date-time: ${local}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const wall =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)) +
    Math.round(Number(frac ?? 0) * 1000);
  // The offsets in force around that day; an instant is right when its own offset is the one used.
  const offsets = [...new Set([offsetAt(zone, wall - DAY), offsetAt(zone, wall), offsetAt(zone, wall + DAY)])];
  const fits = offsets
    .map((o) => wall - o)
    .filter((t) => offsetAt(zone, t) === wall - t)
    .sort((a, b) => a - b);
  const instant = fits[0] ?? wall - offsetAt(zone, wall - DAY);
  return new Date(instant).toISOString().replace(/\.000Z$/, "Z");
}

/** Whether a name is a time zone Intl knows (`Australia/Sydney`). */
export function knownZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || zone === "") return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar date (YYYY-MM-DD) at instant `ms` in `zone` (UTC without one). */
export function dateIn(zone: string | undefined, ms: number): string {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone ?? "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return f.format(new Date(ms));
}
