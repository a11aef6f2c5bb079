/**
 * Prompts an assistant can offer its user: how Cliniko's ids and links work with these tools, and
 * the front-desk jobs (today's schedule, a cancelled slot, no-shows, unpaid invoices, a workflow
 * from a sentence), each a plan over the job tools that asks before it changes anything.
 */
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

export interface PromptArgument {
  name: string;
  description: string;
  required?: boolean;
}

export interface PromptDef {
  name: string;
  title: string;
  description: string;
  arguments: PromptArgument[];
  text(args: Record<string, string | undefined>): string;
}

/** Asked of every plan that could change Cliniko: the person decides, the assistant proposes. */
const ASK_FIRST =
  "Before anything that changes Cliniko (a booking, a message, a saved workflow), show exactly what you will do and wait for a yes.";

const given = (v: string | undefined, fallback: string) => (v && v.trim() !== "" ? v.trim() : fallback);

export const PROMPTS: readonly PromptDef[] = [
  {
    ...IDS_PROMPT,
    arguments: [],
    text: () => IDS_TEXT,
  },
  {
    name: "todays_schedule",
    title: "Today's schedule",
    description: "The day's appointments at a glance: who is in, with whom, and what needs attention.",
    arguments: [
      { name: "date", description: "YYYY-MM-DD (default: today in the clinic)" },
      { name: "practitioner", description: "A practitioner's name, to show only theirs" },
    ],
    text: (
      a,
    ) => `Show the clinic's schedule for ${given(a.date, "today")}${a.practitioner ? ` for ${a.practitioner}` : ""}.
1. ${a.practitioner ? "Find the practitioner's id with list_practitioners, then call" : "Call"} day_schedule${a.date ? ` with date ${a.date}` : ""}${a.practitioner ? " and that practitioner_id" : ""}; follow next_cursor if there is one.
2. Present it per practitioner in time order: time, patient, appointment type, status.
3. Point out gaps longer than an hour, patients marked "did not arrive", and anything cancelled (include_cancelled: true) that left a slot to fill.
Only read: change nothing.`,
  },
  {
    name: "fill_cancelled_slot",
    title: "Fill a cancelled slot",
    description: "Finds patients who could take a slot freed by a cancellation, and books one once you agree.",
    arguments: [
      { name: "appointment_id", description: "The cancelled appointment's id, if known" },
      { name: "when", description: "Or the slot in words, e.g. 'Dr Lee, Thursday 10:30'" },
    ],
    text: (
      a,
    ) => `A slot has been freed: ${a.appointment_id ? `the cancelled appointment ${a.appointment_id}` : given(a.when, "ask which one")}.
1. ${a.appointment_id ? "Read it with find_appointment" : "Find it with day_schedule (include_cancelled: true)"}: its practitioner, business, appointment type and start.
2. Confirm the slot is free with find_free_slots for that day, practitioner and appointment type.
3. Find candidates: patients booked with the same practitioner later on (list_individual_appointments with q practitioner_id and starts_at after the slot) who might come earlier, and patients_due_for_recall for that practitioner.
4. Propose up to five, with why each fits. ${ASK_FIRST}
5. Book the chosen one with book_appointment (it refuses a slot taken meanwhile; then offer the next free slot).`,
  },
  {
    name: "follow_up_no_shows",
    title: "Follow up no-shows",
    description: "Lists the patients who did not arrive and drafts a follow-up for each.",
    arguments: [
      { name: "from", description: "First day, YYYY-MM-DD (default: seven days ago)" },
      { name: "to", description: "Last day, YYYY-MM-DD (default: today)" },
    ],
    text: (a) => `Follow up the no-shows from ${given(a.from, "seven days ago")} to ${given(a.to, "today")}.
1. Call no_shows for those dates (clinic dates, YYYY-MM-DD).
2. For each patient, check with day_schedule or list_individual_appointments whether they have rebooked since; leave those out.
3. Draft a short, kind message per patient offering to rebook (find_free_slots can suggest times), and list who has no email or phone (search_patients shows both).
${ASK_FIRST} Record a sent message with create_communication only after that.`,
  },
  {
    name: "chase_unpaid_invoices",
    title: "Chase unpaid invoices",
    description: "Finds open invoices, groups them by patient and drafts polite reminders.",
    arguments: [
      { name: "older_than_days", description: "Only invoices issued at least this many days ago (default 14)" },
    ],
    text: (a) => `Chase the unpaid invoices issued more than ${given(a.older_than_days, "14")} days ago.
1. Work out the date that many days before today, then call unpaid_invoices with issued_before set to it; follow next_cursor until done.
2. Group by patient: invoice numbers, dates, amounts and what each owes; give the total owed.
3. Draft one polite reminder per patient with the amounts and how to pay.
${ASK_FIRST}`,
  },
  {
    name: "build_workflow",
    title: "Build a workflow from a sentence",
    description:
      "Turns a sentence into a workflow definition, shows it, and saves it (switched off) only once you agree.",
    arguments: [
      {
        name: "sentence",
        description: "What should happen, e.g. 'when a new patient is added, email them our intake form'",
        required: true,
      },
    ],
    text: (a) => `Build a cliniko-flow workflow for: "${given(a.sentence, "ask what it should do")}".
1. Read the resource ${CATALOGUE_URI} and pick the trigger and the actions (their keys and input schemas).
2. Write the definition as JSON: { "name", "trigger": { "key" }, "steps": [{ "id", "action", "input" }] }; step inputs may use {{ trigger.field }} and {{ steps.<id>.field }}.
3. Check it with flow_check_workflow and fix every problem it lists.
4. Show the person the definition and say in plain words what it will do, to whom, and when. ${ASK_FIRST}
5. Save it with flow_save_workflow (it is saved switched off); offer flow_enable_workflow as a separate step.`,
  },
];
