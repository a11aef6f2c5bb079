/**
 * "Did you mean": which field a template meant when it names one the trigger's or a step's sample
 * does not have. The activation check words the message; this module finds the field to offer.
 */
import { closest } from "../catalog/index.ts";

/**
 * The first name of `names` that `shape` (an example value) does not have, as written (`patient.id`
 * when the record under `patient` has no `id`), and the field to offer instead, if any.
 */
export function missingField(shape: unknown, names: string[]): { name: string; hint?: string } | undefined {
  let cur = shape;
  let parent: { name: string; keys: string[] } | undefined;
  for (const name of names) {
    while (Array.isArray(cur)) cur = cur[0];
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    const keys = Object.keys(cur);
    // A free-form object (a webhook body, an HTTP response) has no known fields: anything goes.
    if (keys.length === 0) return undefined;
    if (!(name in cur)) {
      // A linked record's id sits beside the link (`patient_id`), not inside it (`patient.id`).
      const flat = parent && `${parent.name}_${name}`;
      if (flat && parent!.keys.includes(flat)) return { name: `${parent!.name}.${name}`, hint: flat };
      return { name, hint: closestName(name, keys) };
    }
    parent = { name, keys };
    cur = (cur as Record<string, unknown>)[name];
  }
  return undefined;
}

/** How a name is spelt regardless of case and separators: `patientId`, `Patient-ID` and `patient_id` agree. */
const spelling = (s: string) => s.toLowerCase().replace(/[\s_-]/g, "");

/**
 * The known name to offer for a mistyped one: the same name spelt another way (`patientId` →
 * `patient_id`), else the nearest by edit distance, else one that contains it or that it contains
 * (the closest in length). A field's prefix (`patient` for `patientid`) only comes last.
 */
export function closestName(name: string, known: string[]): string | undefined {
  const spelt = spelling(name);
  // A field name is short: three edits would turn `foo` into `id`, so a third of its length at most.
  const near =
    known.find((k) => spelling(k) === spelt) ?? closest(name, known, Math.max(1, Math.floor(name.length / 3)));
  if (near !== undefined) return near;
  const related = known.filter((k) => spelling(k).includes(spelt) || spelt.includes(spelling(k)));
  return related.sort((a, b) => Math.abs(a.length - name.length) - Math.abs(b.length - name.length))[0];
}
