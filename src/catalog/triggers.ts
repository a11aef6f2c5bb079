/**
 * The polling triggers (Cliniko has no webhooks): the brief's 36 rows, then New / Updated / Cancelled
 * / Archived for every other resource with created_at/updated_at and the state triggers clinics ask
 * for (derived, `source: "api"`), and the two pure pieces the engine's poller is built on:
 *
 *   fetchChanges(client, resource, since)  — ONE fetch per (connection, resource): every record whose
 *     updated_at ≥ since, from every list operation of the resource, hidden states included, sorted.
 *   detect(trigger, records, state)        — which of those records make this trigger fire.
 *
 * One fetch serves new, updated and cancelled triggers alike because creating, changing, archiving
 * and cancelling a record all move its updated_at. docs/triggers.md lists where that cannot see a
 * change (hard deletes).
 */
import type { z } from "zod";
import { withArticle } from "../cliniko/labels.ts";
import { type ResourceName, resource, resourceNames } from "../cliniko/resources.ts";
import { type OperationSpec, operation } from "../cliniko/spec.ts";
import type { ClinikoClient, ClinikoRecord } from "../cliniko/types.ts";
import { jsonSchemaOf } from "../cliniko/zod-schema.ts";
import { ATTENDEE_FLAG_OPTIONS, optionIssuesOf } from "./booking-filters.ts";
import { dueTriggers } from "./due-triggers.ts";
import { withLinkIds } from "./links.ts";
import { sampleRecord } from "./samples.ts";
import type { CatalogSource, DetectState, TriggerDef, TriggerEvent, TriggerEventKind, TriggerRecord } from "./types.ts";

interface TriggerRow {
  key: string;
  title: string;
  group: string;
  resource: ResourceName;
  event: TriggerEventKind;
  /** "brief" unless derived (apiTriggerRows). */
  source?: CatalogSource;
}

const row = (key: string, title: string, group: string, res: ResourceName, event: TriggerEventKind): TriggerRow => ({
  key,
  title,
  group,
  resource: res,
  event,
});

/** In the brief's order. */
export const triggerRows: readonly TriggerRow[] = [
  row("new_attendee", "New Attendee", "Attendees", "attendees", "new"),
  row("updated_attendee", "Updated Attendee", "Attendees", "attendees", "updated"),
  row("cancelled_attendee", "Cancelled Attendee", "Attendees", "attendees", "cancelled"),
  row("new_appointment_type", "New Appointment Type", "Appointment Types", "appointment_types", "new"),
  row("updated_appointment_type", "Updated Appointment Type", "Appointment Types", "appointment_types", "updated"),
  row(
    "new_added_billable_items_appointment_type",
    "New Added Billable Items (Appointment Type)",
    "Appointment Type Billable Items",
    "appointment_type_billable_items",
    "new",
  ),
  row(
    "updated_billable_items_appointment_type",
    "Updated Billable Items (Appointment Type)",
    "Appointment Type Billable Items",
    "appointment_type_billable_items",
    "updated",
  ),
  row("new_added_concession_price", "New Added Concession Price", "Concession Prices", "concession_prices", "new"),
  row("updated_concession_price", "Updated Concession Price", "Concession Prices", "concession_prices", "updated"),
  row(
    "new_appointment_type_product",
    "New Appointment Type Product",
    "Appointment Type Products",
    "appointment_type_products",
    "new",
  ),
  row(
    "updated_appointment_type_product",
    "Updated Appointment Type Product",
    "Appointment Type Products",
    "appointment_type_products",
    "updated",
  ),
  row("new_added_billable_item", "New Added Billable Item", "Billable Items", "billable_items", "new"),
  row("updated_billable_item", "Updated Billable Item", "Billable Items", "billable_items", "updated"),
  row("new_added_communication", "New Added Communication", "Communications", "communications", "new"),
  row("updated_communication", "Updated Communication", "Communications", "communications", "updated"),
  row(
    "new_added_practitioner_reference_number",
    "New Added Practitioner Reference Number",
    "Practitioner Reference Numbers",
    "practitioner_reference_numbers",
    "new",
  ),
  row(
    "updated_practitioner_reference_number",
    "Updated Practitioner Reference Number",
    "Practitioner Reference Numbers",
    "practitioner_reference_numbers",
    "updated",
  ),
  row("new_added_practitioner", "New Added Practitioner", "Practitioners", "practitioners", "new"),
  row("updated_practitioner", "Updated Practitioner", "Practitioners", "practitioners", "updated"),
  row("new_patient_case", "New Patient Case", "Patient Cases", "patient_cases", "new"),
  row("updated_patient_case", "Updated Patient Case", "Patient Cases", "patient_cases", "updated"),
  row("new_product", "New Product", "Products", "products", "new"),
  row("updated_product", "Updated Product", "Products", "products", "updated"),
  row("new_patient", "New Patient", "Patients & Contacts", "patients", "new"),
  row("updated_patient", "Updated Patient", "Patients & Contacts", "patients", "updated"),
  row("new_contact", "New Contact", "Patients & Contacts", "contacts", "new"),
  row("updated_contact", "Updated Contact", "Patients & Contacts", "contacts", "updated"),
  row("group_appointment_created", "Group Appointment Created", "Group Appointments", "group_appointments", "new"),
  row("group_appointment_updated", "Group Appointment Updated", "Group Appointments", "group_appointments", "updated"),
  row(
    "individual_appointment_created",
    "Individual Appointment Created",
    "Individual Appointments",
    "individual_appointments",
    "new",
  ),
  row(
    "individual_appointment_updated",
    "Individual Appointment Updated",
    "Individual Appointments",
    "individual_appointments",
    "updated",
  ),
  row(
    "individual_appointment_cancelled",
    "Individual Appointment Cancelled",
    "Individual Appointments",
    "individual_appointments",
    "cancelled",
  ),
  row("new_availability_block", "New Availability Block", "Availability Blocks", "availability_blocks", "new"),
  row(
    "updated_availability_block",
    "Updated Availability Block",
    "Availability Blocks",
    "availability_blocks",
    "updated",
  ),
  row("new_invoice", "New Invoice", "Invoices", "invoices", "new"),
  row("updated_invoice", "Updated Invoice", "Invoices", "invoices", "updated"),
];

/**
 * Extra list operations per resource: inactive practitioners live in their own collection, and a
 * deactivation moves a practitioner there. (`/patient_cases/active` is a subset of `/patient_cases`.)
 */
const EXTRA_LISTS: Partial<Record<ResourceName, string[]>> = {
  practitioners: ["ListInactivePractitioners-Get"],
};

/** The list operations polled for a resource: its main list, plus the extra ones above. */
export function listsOf(name: ResourceName): OperationSpec[] {
  const main = resource(name).ops.list;
  if (!main) throw new Error(`Trigger resource ${name} has no list operation`);
  return [main, ...(EXTRA_LISTS[name] ?? []).map(operation)];
}

/** `q[]=<state>:*` for every hidden state of the collection, so archived/cancelled rows are seen. */
export function stateFiltersOf(name: ResourceName): string[] {
  return resource(name).states.map((s) => `${s}:*`);
}

/**
 * What each event kind watches: a timestamp that is set when it happens (its dedupe key carries it,
 * so a record cancelled twice fires twice), or a flag that takes a value (no timestamp of its own: it
 * fires once per record, at the record's updated_at).
 */
export type EventField = { stamp: string } | { flag: string; value: boolean };

export const EVENT_FIELDS: Readonly<Record<TriggerEventKind, EventField>> = {
  new: { stamp: "created_at" },
  updated: { stamp: "updated_at" },
  cancelled: { stamp: "cancelled_at" },
  archived: { stamp: "archived_at" },
  finalised: { stamp: "finalized_at" },
  completed: { stamp: "completed_at" },
  did_not_arrive: { flag: "did_not_arrive", value: true },
  arrived: { flag: "patient_arrived", value: true },
  due: { stamp: "starts_at" },
};

/**
 * Where a resource keeps a flag elsewhere: an attendee has one `arrived` field, true when the
 * patient arrived and false when marked did not arrive (null: not marked yet).
 */
const RESOURCE_FLAGS: Partial<Record<ResourceName, Partial<Record<TriggerEventKind, EventField>>>> = {
  attendees: { arrived: { flag: "arrived", value: true }, did_not_arrive: { flag: "arrived", value: false } },
};

/** The field `event` watches on records of `resource`. */
export function eventField(name: ResourceName, event: TriggerEventKind): EventField {
  return RESOURCE_FLAGS[name]?.[event] ?? EVENT_FIELDS[event];
}

/** The dedupe key's shape for people and docs (`id@cancelled_at`). */
export function identityShape(event: TriggerEventKind): string {
  const f = EVENT_FIELDS[event];
  return event === "new" || "flag" in f ? "id" : `id@${f.stamp}`;
}

/** True for the event kinds that watch a flag (fired once per record, their seen keys kept). */
export function isFlagEvent(t: Pick<TriggerDef, "resource" | "event">): boolean {
  return "flag" in eventField(t.resource, t.event);
}

/** The timestamp that makes trigger `t` fire for this record (undefined/null: it has not happened). */
export function stampOf(record: TriggerRecord, t: Pick<TriggerDef, "resource" | "event">): string | null | undefined {
  const f = eventField(t.resource, t.event);
  const r = record as Record<string, unknown>;
  if ("flag" in f) return r[f.flag] === f.value ? (r.updated_at as string) : undefined;
  return r[f.stamp] as string | null | undefined;
}

function identityOf(t: Pick<TriggerDef, "resource" | "event">): (record: TriggerRecord) => string {
  if (identityShape(t.event) === "id") return (r) => String(r.id);
  return (r) => `${r.id}@${stampOf(r, t)}`;
}

function describeTrigger(r: TriggerRow): string {
  const label = resource(r.resource).label;
  switch (r.event) {
    case "new":
      return `Fires once for each new ${label} (created after the trigger is switched on).`;
    case "updated": {
      const states = resource(r.resource).states;
      const also = [states.includes("archived_at") && "archiving", states.includes("cancelled_at") && "cancelling"];
      const extra = also.filter(Boolean).join(" and ");
      return `Fires once for each change to an existing ${label}${extra ? ` (including ${extra})` : ""}, not for its creation.`;
    }
    case "cancelled":
      return `Fires once each time ${withArticle(label)} is cancelled.`;
    case "archived":
      return `Fires once each time ${withArticle(label)} is archived.`;
    case "finalised":
      return `Fires once when ${withArticle(label)} stops being a draft (its finalized_at is set).`;
    case "completed":
      return `Fires once when ${withArticle(label)} is completed (its completed_at is set).`;
    case "did_not_arrive":
      return `Fires once when ${withArticle(label)} is marked as did not arrive (a no-show); records already marked when it is switched on never fire.`;
    case "due":
      return "";
    case "arrived":
      return `Fires once when the patient of ${withArticle(label)} is marked as arrived; records already marked when it is switched on never fire.`;
  }
}

const NOTES: Partial<Record<string, string>> = {
  new_contact: " Contacts are Cliniko's referrers, payers and other contacts, not patients.",
  updated_contact: " Contacts are Cliniko's referrers, payers and other contacts, not patients.",
  new_added_practitioner: " Polls active and inactive practitioners (practitioners are added in Cliniko itself).",
  updated_practitioner: " Polls active and inactive practitioners, so deactivations fire too.",
  new_attendee:
    " An attendee is one patient's place in an appointment (group appointments list theirs; individual ones have one too).",
  new_added_concession_price: " Concession prices are set in Cliniko itself (the API cannot write them).",
  updated_concession_price: " Concession prices are set in Cliniko itself (the API cannot write them).",
  new_invoice: " Invoices are created in Cliniko itself.",
  updated_invoice: " Invoices are changed in Cliniko itself.",
  attendee_arrived:
    " For group classes (Cliniko's API writes arrival on the attendee, so Patient Arrived does not see it) and the one attendee of an individual appointment. options.appointment_types, practitioners and businesses keep it to the classes (or appointments) of those.",
  attendee_did_not_arrive:
    " An attendee is marked did not arrive when its arrived flag is set to false (group classes, and the one attendee of an individual appointment). options.appointment_types, practitioners and businesses keep it to the classes (or appointments) of those.",
  updated_availability_block: " Availability blocks are changed in Cliniko itself (the API cannot update them).",
};

function sampleOfTrigger(r: TriggerRow): ClinikoRecord {
  const base = sampleRecord(resource(r.resource).recordSchema, {
    created_at: "2025-03-03T09:00:00Z",
    updated_at: "2025-03-03T09:00:00Z",
  });
  if (r.event !== "new") base.updated_at = "2025-03-04T10:30:00Z";
  const f = eventField(r.resource, r.event);
  if ("flag" in f) base[f.flag] = f.value;
  else if (r.event !== "new" && r.event !== "updated") base[f.stamp] = "2025-03-04T10:30:00Z";
  return withLinkIds(base);
}

/** Triggers with options (the rest take none): the attendee flags filter by their class. */
const TRIGGER_OPTIONS: Partial<Record<string, z.ZodObject>> = {
  attendee_arrived: ATTENDEE_FLAG_OPTIONS,
  attendee_did_not_arrive: ATTENDEE_FLAG_OPTIONS,
};

function build(r: TriggerRow): TriggerDef {
  const options = TRIGGER_OPTIONS[r.key];
  return {
    key: r.key,
    title: r.title,
    source: r.source ?? "brief",
    group: r.group,
    description: describeTrigger(r) + (NOTES[r.key] ?? ""),
    resource: r.resource,
    event: r.event,
    lists: listsOf(r.resource),
    paths: listsOf(r.resource).map((op) => op.path),
    stateFilters: stateFiltersOf(r.resource),
    identity: identityOf(r),
    sample: sampleOfTrigger(r),
    inputSchema: options ? jsonSchemaOf(options) : { type: "object", properties: {}, additionalProperties: false },
    ...(options && { optionIssues: (o: unknown) => optionIssuesOf(options, o), filtersByBooking: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Beyond the brief: derived from the resource catalogue

/**
 * Resources left without derived triggers: bookings is a view over individual and group
 * appointments and unavailable blocks, which have their own (a booking trigger would fire twice).
 */
const NO_DERIVED_TRIGGERS: ReadonlySet<ResourceName> = new Set(["bookings"]);

/** The state triggers clinics ask for, on fields the API document has. */
const STATE_TRIGGERS: readonly TriggerRow[] = [
  {
    key: "patient_arrived",
    title: "Patient Arrived",
    group: "Individual Appointments",
    resource: "individual_appointments",
    event: "arrived",
  },
  {
    key: "appointment_marked_did_not_arrive",
    title: "Appointment Marked Did Not Arrive",
    group: "Individual Appointments",
    resource: "individual_appointments",
    event: "did_not_arrive",
  },
  {
    key: "attendee_arrived",
    title: "Attendee Arrived",
    group: "Attendees",
    resource: "attendees",
    event: "arrived",
  },
  {
    key: "attendee_did_not_arrive",
    title: "Attendee Did Not Arrive",
    group: "Attendees",
    resource: "attendees",
    event: "did_not_arrive",
  },
  {
    key: "treatment_note_finalised",
    title: "Treatment Note Finalised",
    group: "Treatment Notes",
    resource: "treatment_notes",
    event: "finalised",
  },
  {
    key: "patient_form_completed",
    title: "Patient Form Completed",
    group: "Patient Forms",
    resource: "patient_forms",
    event: "completed",
  },
];

const EVENT_WORD: Partial<Record<TriggerEventKind, string>> = {
  new: "New",
  updated: "Updated",
  cancelled: "Cancelled",
  archived: "Archived",
};

function pluralTitle(name: ResourceName): string {
  const label = resource(name).label;
  const plural = /(ss|x|ch|sh)$/.test(label)
    ? `${label}es`
    : label.endsWith("s")
      ? label
      : `${label}s`.replace(/([^aeiou])ys$/, "$1ies");
  return plural.replace(/(^| )([a-z])/g, (_, sep: string, c: string) => `${sep}${c.toUpperCase()}`);
}

/**
 * New / Updated (and Cancelled / Archived where the collection has the state) for every resource with
 * created_at and updated_at that the brief does not already cover, then the state triggers.
 */
export function deriveTriggerRows(briefRows: readonly TriggerRow[]): TriggerRow[] {
  const covered = new Set(briefRows.map((r) => `${r.resource} ${r.event}`));
  const keys = new Set(briefRows.map((r) => r.key));
  const out: TriggerRow[] = [];
  for (const name of resourceNames) {
    const res = resource(name);
    if (NO_DERIVED_TRIGGERS.has(name) || !res.ops.list) continue;
    if (!("created_at" in res.fields && "updated_at" in res.fields)) continue;
    const events: TriggerEventKind[] = ["new", "updated"];
    if (res.states.includes("cancelled_at")) events.push("cancelled");
    if (res.states.includes("archived_at")) events.push("archived");
    const group = briefRows.find((r) => r.resource === name)?.group ?? pluralTitle(name);
    for (const event of events) {
      if (covered.has(`${name} ${event}`)) continue;
      const title = `${EVENT_WORD[event]} ${res.label.replace(/(^| )([a-z])/g, (_, sep: string, c: string) => `${sep}${c.toUpperCase()}`)}`;
      out.push({ key: title.toLowerCase().replace(/ /g, "_"), title, group, resource: name, event });
    }
  }
  for (const row of [...out, ...STATE_TRIGGERS]) {
    if (keys.has(row.key)) throw new Error(`Derived trigger key ${row.key} collides with another trigger`);
    keys.add(row.key);
  }
  return [...out, ...STATE_TRIGGERS].map((r) => ({ ...r, source: "api" }));
}

export const apiTriggerRows: readonly TriggerRow[] = deriveTriggerRows(triggerRows);

export const triggers: readonly TriggerDef[] = Object.freeze([
  ...[...triggerRows, ...apiTriggerRows].map(build),
  ...dueTriggers({
    resource: "individual_appointments",
    lists: listsOf("individual_appointments"),
    paths: listsOf("individual_appointments").map((op) => op.path),
    stateFilters: stateFiltersOf("individual_appointments"),
  }),
]);

/** Triggers on one resource share one fetch: the poll key is the resource name. */
export function pollKeyOf(trigger: TriggerDef): string {
  return trigger.resource;
}

// ---------------------------------------------------------------------------------------------
// Detection (pure)

const time = (v: unknown): number => (typeof v === "string" ? Date.parse(v) : Number.NaN);

/**
 * The events `trigger` emits for these records (in their order), given when it was switched on and
 * which keys it already emitted. Nothing older than `activatedAt` fires, so switching a trigger on
 * never replays history; keys repeated within `records` fire once.
 */
export function detect(trigger: TriggerDef, records: readonly TriggerRecord[], state: DetectState): TriggerEvent[] {
  const since = time(state.activatedAt);
  if (Number.isNaN(since)) throw new Error(`activatedAt is not a date-time: ${state.activatedAt}`);
  const events: TriggerEvent[] = [];
  if (trigger.due) return events; // fired by the engine's due scheduler, not by a change
  const emitted = new Set<string>();
  for (const record of records) {
    if (record.id === undefined || record.id === null) continue;
    const at = stampOf(record, trigger);
    const t = time(at);
    if (Number.isNaN(t) || t < since) continue;
    // An update is a change after creation: Cliniko sets updated_at = created_at when it creates.
    if (trigger.event === "updated" && time(record.created_at) === t) continue;
    const key = trigger.identity(record);
    if (emitted.has(key) || state.seen(key)) continue;
    emitted.add(key);
    events.push({ trigger: trigger.key, key, record: withLinkIds(record), at: at as string });
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// The shared fetch

interface Cursor {
  iterator: AsyncIterator<TriggerRecord>;
  head?: TriggerRecord;
}

/** The order of fetched changes: updated_at, then id (as numbers: ids are int64 strings). */
export function compareChanges(a: TriggerRecord, b: TriggerRecord): number {
  const d = time(a.updated_at) - time(b.updated_at);
  if (d !== 0) return d;
  const ia = String(a.id ?? "");
  const ib = String(b.id ?? "");
  return ia.length - ib.length || (ia < ib ? -1 : ia > ib ? 1 : 0);
}

/**
 * Every record of `resource` with updated_at ≥ since, all pages of every list operation of the resource,
 * with the state filters of every trigger on it, in updated_at order (id breaks ties). A record seen
 * by two operations with the same updated_at is yielded once. `onPage(n)` is called after each page
 * fetched, n counting pages (= requests) across operations from 1.
 */
export async function* fetchChanges(
  client: ClinikoClient,
  name: ResourceName,
  since: string,
  options: { signal?: AbortSignal; onPage?(n: number): void } = {},
): AsyncGenerator<TriggerRecord> {
  if (Number.isNaN(Date.parse(since))) throw new Error(`since is not a date-time: ${since}`);
  // Cliniko stamps whole seconds: flooring keeps `>=` a superset and the filter in its usual form.
  const sinceIso = new Date(Math.floor(Date.parse(since) / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const q = [`updated_at:>=${sinceIso}`, ...stateFiltersOf(name)];
  let pageCount = 0;
  async function* records(list: OperationSpec): AsyncGenerator<TriggerRecord> {
    for await (const page of client.pagesOf<TriggerRecord>(list, {
      q,
      sort: "updated_at",
      perPage: 100,
      signal: options.signal,
    })) {
      options.onPage?.(++pageCount);
      yield* page.records;
    }
  }
  // Each operation's stream is sorted; merge them (fetched lazily, one page at a time).
  const cursors: Cursor[] = [];
  for (const list of listsOf(name)) {
    const iterator = records(list)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (!first.done) cursors.push({ iterator, head: first.value });
  }
  // Only needed when a record can appear in two lists (a practitioner deactivated mid-fetch).
  const yielded = cursors.length > 1 ? new Set<string>() : undefined;
  while (cursors.length > 0) {
    let best = 0;
    for (let i = 1; i < cursors.length; i++) if (compareChanges(cursors[i]!.head!, cursors[best]!.head!) < 0) best = i;
    const cursor = cursors[best]!;
    const record = cursor.head!;
    const key = `${record.id}@${record.updated_at}`;
    if (!yielded?.has(key)) {
      yielded?.add(key);
      yield record;
    }
    const next = await cursor.iterator.next();
    if (next.done) cursors.splice(best, 1);
    else cursor.head = next.value;
  }
}
