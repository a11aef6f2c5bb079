/**
 * Field names as a clinic reads them: `concession_type_id` → "Concession type", `dob` → "Date of
 * birth". One place, so the editor's labels, the activation check's messages and the action
 * inputs' titles say the same words.
 */

/** Words that read better spelled out or in capitals. */
const WORDS: Record<string, string> = {
  dob: "date of birth",
  url: "URL",
  sms: "SMS",
  id: "ID",
  ids: "IDs",
  q: "filters",
  per: "per",
  acc: "ACC",
  nhs: "NHS",
  dva: "DVA",
  ndis: "NDIS",
  abn: "ABN",
};

/** "patient_id" → "Patient", "appointment_type_ids" → "Appointment types", "starts_at" → "Starts at". */
export function fieldLabel(name: string): string {
  let base = name;
  if (base.endsWith("_ids") && base.length > 4) base = `${base.slice(0, -4)}s`;
  else if (base.endsWith("_id") && base.length > 3) base = base.slice(0, -3);
  const words = base
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "a patient", "an invoice", "an individual appointment". */
export function withArticle(label: string): string {
  return `${/^[aeiou]/i.test(label) ? "an" : "a"} ${label}`;
}
