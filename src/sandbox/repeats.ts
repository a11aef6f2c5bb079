/**
 * Repeat rules (`{ repeat_type, number_of_repeats, repeating_interval }`), as pure functions.
 * Cliniko turns a repeating appointment or unavailable block into real records that point back at
 * the first one (`repeated_from_id`); an availability block keeps one record and its rule. Both
 * need the same list of occurrences, so it is computed here once.
 */
import { isoSeconds } from "./clock.ts";
import { ValidationError } from "./validate.ts";

export interface RepeatRule {
  repeat_type?: "Daily" | "Weekly" | "Monthly" | null;
  number_of_repeats?: number | null;
  repeating_interval?: number | null;
}

export type Occurrence = {
  starts_at: string;
  ends_at: string;
};

/** A rule that asks for repeats; `undefined` for none (null, `{}` or a rule without a type). */
interface ActiveRule {
  repeat_type: "Daily" | "Weekly" | "Monthly";
  number_of_repeats: number;
  repeating_interval: number;
}

export function activeRule(rule: unknown): ActiveRule | undefined {
  if (!rule || typeof rule !== "object") return undefined;
  const r = rule as RepeatRule;
  if (!r.repeat_type) return undefined;
  return {
    repeat_type: r.repeat_type,
    number_of_repeats: r.number_of_repeats ?? 0,
    repeating_interval: r.repeating_interval ?? 1,
  };
}

/**
 * Rejects a rule that names a type but no positive count or interval: the document's bounds are
 * exclusive at 0, which the extracted schema does not carry.
 */
export function checkRule(rule: unknown): void {
  const r = activeRule(rule);
  if (!r) return;
  const errors: Record<string, string> = {};
  if (!(r.number_of_repeats >= 1)) errors["repeat_rule.number_of_repeats"] = "must be greater than 0";
  if (!(r.repeating_interval >= 1)) errors["repeat_rule.repeating_interval"] = "must be greater than 0";
  const first = Object.entries(errors)[0];
  if (first) throw new ValidationError(errors, `${first[0]} ${first[1]}`);
}

function shift(ms: number, type: ActiveRule["repeat_type"], steps: number): number {
  const d = new Date(ms);
  if (type === "Daily") d.setUTCDate(d.getUTCDate() + steps);
  else if (type === "Weekly") d.setUTCDate(d.getUTCDate() + 7 * steps);
  else d.setUTCMonth(d.getUTCMonth() + steps);
  return d.getTime();
}

/**
 * The repeats of a record, without the record itself: `number_of_repeats` more occurrences, each
 * `repeating_interval` days, weeks or months after the previous one, keeping the duration.
 */
export function repeatsOf(row: Record<string, unknown>): Occurrence[] {
  const rule = activeRule(row.repeat_rule);
  const start = Date.parse(String(row.starts_at));
  const end = Date.parse(String(row.ends_at));
  if (!rule || Number.isNaN(start) || Number.isNaN(end)) return [];
  const out: Occurrence[] = [];
  for (let i = 1; i <= rule.number_of_repeats; i++) {
    const s = shift(start, rule.repeat_type, i * rule.repeating_interval);
    out.push({ starts_at: isoSeconds(s), ends_at: isoSeconds(s + (end - start)) });
  }
  return out;
}
