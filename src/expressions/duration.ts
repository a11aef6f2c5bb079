/** `30s`, `1m`, `1.5h`, `2d`, `500ms` → milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (use e.g. 30s, 5m, 1h, 1d).`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
