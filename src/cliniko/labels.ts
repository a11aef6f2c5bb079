/**
 * Field names as a clinic reads them: `concession_type_id` → "Concession type", `dob` → "Date of
 * birth", `allowInvalidCertificate` → "Allow invalid certificate". One place, so the editor's
 * labels (web/ imports this leaf module), the activation check's messages and the action inputs'
 * titles say the same words.
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
  api: "API",
  sid: "SID",
  html: "HTML",
  http: "HTTP",
  json: "JSON",
};

/**
 * "patient_id" → "Patient", "appointment_type_ids" → "Appointment types", "starts_at" → "Starts at",
 * "messagingServiceSid" → "Messaging service SID".
 */
export function fieldLabel(name: string): string {
  let base = name;
  if (base.endsWith("_ids") && base.length > 4) base = `${base.slice(0, -4)}s`;
  else if (base.endsWith("_id") && base.length > 3) base = base.slice(0, -3);
  const words = base
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a form shows for a field: the title its schema gives it, else its name in words. */
export function fieldTitle(name: string, schema?: { title?: unknown }): string {
  return typeof schema?.title === "string" && schema.title !== "" ? schema.title : fieldLabel(name);
}

/** "a patient", "an invoice", "an individual appointment". */
export function withArticle(label: string): string {
  return `${/^[aeiou]/i.test(label) ? "an" : "a"} ${label}`;
}
