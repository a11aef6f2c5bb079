/** Prompts an assistant can offer its user: how Cliniko's ids and links work with these tools. */
import { CATALOGUE_URI } from "./resources.ts";

export const IDS_PROMPT = {
  name: "cliniko_ids_and_links",
  title: "Cliniko ids and links",
  description: "How to refer to Cliniko records with these tools: ids, links.self URLs, related records, archives.",
};

export const IDS_TEXT = `You are working with a Cliniko account through cliniko-flow's tools.

How records are referred to:
- Every record has an "id": a string of digits such as "1234567890123456789". Ids are too large for
  floating-point numbers, so always copy them as strings, never as numbers, and never round them.
- Every record also has "links": {"self": "https://api.<shard>.cliniko.com/v1/<collection>/<id>"}.
  Wherever a tool asks for an id you may pass either the digits or that full links.self URL. A URL
  must point at this connection's own API host and at the right collection (a patient's URL for a
  patient id), or the call is refused before anything is sent.
- Related records appear as links, not ids: an appointment has "patient": {"links": {"self": ...}},
  "practitioner": {"links": ...}. To read the patient, pass that URL as "id" to find_patient.
- Dates and times are ISO 8601: Cliniko answers in UTC ("2025-03-01T09:00:00Z"). A date-time you
  send without an offset ("2025-03-01T09:00") is the clinic's local time (its business's time zone)
  and is turned into UTC before sending; dates without time are "YYYY-MM-DD".

Reading:
- find_* reads one record by id; list_* reads a page (per_page up to 100), or every page with
  "all": true and a "limit". Filter with "q": ["field:=value"], e.g. ["email:=jo@example.com"],
  ["created_at:>2025-01-01T00:00:00Z"]; each list tool's schema names its filterable fields.

Changing:
- Cliniko rarely deletes: patients and most records are archived (hidden, kept), appointments are
  cancelled. Tools that delete, archive or cancel are off unless the server was started with
  --allow <tool>; the server may also be read-only. A refused tool says why.
- Invalid arguments are refused before any request reaches Cliniko, with the field that is wrong.

The automation itself:
- flow_list_workflows, flow_enable_workflow, flow_disable_workflow manage stored workflows;
  flow_list_runs, flow_show_run and flow_replay_run inspect and replay their runs;
  flow_poll_trigger shows what a trigger would fire for recent changes, without starting runs.
- The resource ${CATALOGUE_URI} lists every action and trigger with its schema.`;
