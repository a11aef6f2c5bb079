/** Timestamps are stored as ISO 8601 UTC with milliseconds so they sort as text on every dialect. */
export function isoNow(now: number = Date.now()): string {
  return new Date(now).toISOString();
}

/** Normalises any parseable time to the stored form; throws on garbage. */
export function toIso(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`Not a valid time: ${String(value)}`);
  return d.toISOString();
}
