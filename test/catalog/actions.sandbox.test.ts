/**
 * Every action (the brief's 98 and those derived from the API document) against the sandbox Cliniko over HTTP: a valid input has its effect
 * (checked in the sandbox's own store), and an invalid input is refused without a request.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ActionInputError, ActionUnsupportedError, action, actions } from "../../src/catalog/index.ts";
import type { ClinikoRecord } from "../../src/cliniko/types.ts";
import type { Row } from "../../src/sandbox/index.ts";
import { type Fixture, openSandbox, pick } from "./support.ts";

let fx: Fixture;
before(async () => {
  fx = await openSandbox();
});
after(() => fx.stop());

// ---------------------------------------------------------------------------------------------
// Records of the demo clinic the cases work on (looked up when a case runs: earlier cases change things).

const live = (c: string) => fx.live(c);
/** Open and not past its expiry date, by the sandbox's clock: what /patient_cases/active lists. */
const isActiveCase = (r: Row) =>
  r.closed !== true &&
  r.closed_at == null &&
  (typeof r.expiry_date !== "string" || r.expiry_date >= new Date(fx.sb.control.nowMs()).toISOString().slice(0, 10));

const P = {
  patient: () => live("patients")[0]!,
  practitioner: () => pick(live("practitioners"), (p) => p.active === true, "active practitioner"),
  inactivePractitioner: () => pick(live("practitioners"), (p) => p.active === false, "inactive practitioner"),
  business: () => live("businesses")[0]!,
  type: () => pick(live("appointment_types"), (t) => t.name === "Standard consultation", "standard type"),
  groupType: () => pick(live("appointment_types"), (t) => String(t.name).includes("Group"), "group type"),
  billableItem: () => live("billable_items")[0]!,
  product: () => pick(live("products"), (p) => typeof p.item_code === "string", "product with a code"),
  contact: () => live("contacts")[0]!,
  concessionType: () => live("concession_types")[0]!,
  concessionPrice: () => live("concession_prices")[0]!,
  individual: () => live("individual_appointments").at(-1)!,
  group: () => live("group_appointments").at(-1)!,
  groupAttendee: () =>
    pick(live("attendees"), (a) => fx.row("group_appointments", String(a.booking_id)) !== undefined, "group attendee"),
  invoice: () => pick(live("invoices"), (i) => i.appointment_id != null, "invoice of an appointment"),
  caseWithInvoices: () =>
    pick(live("invoices"), (i) => i.patient_case_id != null, "invoice of a case").patient_case_id as string,
  invoiceItem: () => live("invoice_items")[0]!,
  patientCase: () => live("patient_cases")[0]!,
  activeCase: () => pick(live("patient_cases"), isActiveCase, "active patient case"),
  treatmentNote: () => live("treatment_notes")[0]!,
  medicalAlert: () => live("medical_alerts")[0]!,
  communication: () => live("communications")[0]!,
  availabilityBlock: () => live("availability_blocks")[0]!,
  atbi: () => live("appointment_type_billable_items")[0]!,
  atp: () => live("appointment_type_products")[0]!,
  prn: () => live("practitioner_reference_numbers")[0]!,
  unavailableBlock: () => live("unavailable_blocks")[0]!,
  user: () => live("users")[0]!,
};

/** A row archived in the store (for the unarchive cases), archiving the last live one first if none is. */
const archivedRow = (collection: string): Row => {
  const row = fx.sb.store.rows(collection).find((r) => r.archived_at != null);
  if (row) return row;
  const last = live(collection).at(-1)!;
  fx.sb.control.update(collection, last.id, { archived_at: fx.tick() });
  return fx.row(collection, last.id)!;
};

const unarchived =
  (collection: string): Check =>
  (result, input) => {
    const id = String(input.id);
    assert.equal(String((result as ClinikoRecord).id), id);
    assert.equal(fx.row(collection, id)?.archived_at, null, `${collection} ${id} is still archived`);
  };

/** A date N days from the sandbox's today (YYYY-MM-DD). */
const day = (n: number) => new Date(fx.sb.clock.nowMs() + n * 86_400_000).toISOString().slice(0, 10);
/** A slot far from the seeded diary, so creates do not collide with anything. */
const slot = (n: number, minutes = 60) => {
  const start = Date.parse(`${day(200 + n)}T03:00:00Z`);
  return { starts_at: new Date(start).toISOString(), ends_at: new Date(start + minutes * 60_000).toISOString() };
};
const url = (collection: string, id: string) => `${fx.sb.baseUrl}/${collection}/${id}`;

// ---------------------------------------------------------------------------------------------
// Checks

type Check = (result: unknown, input: Record<string, unknown>) => void | Promise<void>;

interface Case {
  input(): Record<string, unknown>;
  check?: Check;
  /** The action must fail with this message (Cliniko refuses it). */
  rejects?: RegExp;
  /** Another invalid input (besides the generic unknown field). */
  invalid?: () => unknown;
}

const ids = (records: ClinikoRecord[]) => records.map((r) => String(r.id)).sort();

/** A record was created: it is in the store with the given values. */
const created =
  (collection: string, expected: Record<string, unknown>): Check =>
  (result) => {
    const id = String((result as ClinikoRecord).id);
    const row = fx.row(collection, id);
    assert.ok(row, `${collection} ${id} is not in the sandbox`);
    for (const [k, v] of Object.entries(expected)) assert.equal(String(row[k]), String(v), `${collection}.${k}`);
  };

const changed =
  (collection: string, expected: Record<string, unknown>): Check =>
  (result, input) => {
    const row = fx.row(collection, String(input.id).split("/").pop()!);
    assert.ok(row);
    assert.equal(String((result as ClinikoRecord).id), row.id);
    for (const [k, v] of Object.entries(expected)) assert.equal(String(row[k]), String(v), `${collection}.${k}`);
  };

const found =
  (collection: string): Check =>
  (result, input) => {
    const id = String(input.id).split("/").pop()!;
    assert.equal((result as ClinikoRecord).id, id);
    assert.ok(fx.row(collection, id));
  };

const archived =
  (collection: string): Check =>
  (result, input) => {
    const id = String(input.id).split("/").pop()!;
    assert.deepEqual(result, { id, archived: true });
    assert.ok(fx.row(collection, id)?.archived_at, `${collection} ${id} is not archived`);
  };

const cancelled =
  (collection: string): Check =>
  (result, input) => {
    assert.deepEqual(result, { id: input.id, cancelled: true });
    const row = fx.row(collection, String(input.id))!;
    assert.ok(row.cancelled_at);
    assert.equal(row.cancellation_reason, input.cancellation_reason);
  };

const deleted =
  (collection: string): Check =>
  (result, input) => {
    assert.deepEqual(result, { id: input.id, deleted: true });
    assert.equal(fx.row(collection, String(input.id)), undefined);
  };

/** The action answered (routes whose answer the sandbox computes: settings, services, conflicts). */
const returns = (): Check => (result) => assert.notEqual(result, undefined);

/** A list returned exactly the live rows matching `pred` (all of them: the cases keep lists under one page or use all). */
const listed =
  (collection: string | string[], pred: (r: Row) => boolean): Check =>
  (result) => {
    const out = result as { records: ClinikoRecord[]; total_entries: number };
    const expected = [collection]
      .flat()
      .flatMap((c) => live(c).filter(pred))
      .map((r) => r.id)
      .sort();
    assert.ok(expected.length > 0, "the case should list something");
    assert.deepEqual(ids(out.records), expected);
    assert.equal(out.total_entries, expected.length);
  };

const cancel = { cancellation_reason: 40, cancellation_note: "Away" };

const cases: Record<string, Case> = {
  // Concession Prices
  create_concession_price: {
    input: () => ({
      billable_item_id: P.billableItem().id,
      concession_type_id: P.concessionType().id,
      price: "45.00",
    }),
    rejects: /^The Cliniko API does not support creating concession prices\.$/,
  },
  update_concession_price: {
    input: () => ({ id: P.concessionPrice().id, price: "40.00" }),
    rejects: /^The Cliniko API does not support updating concession prices\.$/,
  },
  find_concession_price: {
    input: () => ({ id: url("concession_prices", P.concessionPrice().id) }),
    check: found("concession_prices"),
  },
  list_concession_prices: {
    input: () => ({ q: [`billable_item_id:=${P.concessionPrice().billable_item_id}`] }),
    check: listed("concession_prices", (r) => r.billable_item_id === P.concessionPrice().billable_item_id),
  },
  // Practitioner Reference Numbers
  create_practitioner_reference_number: {
    input: () => ({
      practitioner_id: P.practitioner().id,
      business_id: P.business().id,
      name: "Provider number",
      reference_number: "ZZ-1",
    }),
    check: created("practitioner_reference_numbers", { reference_number: "ZZ-1" }),
  },
  update_practitioner_reference_number: {
    input: () => ({ id: P.prn().id, reference_number: "ZZ-2" }),
    check: changed("practitioner_reference_numbers", { reference_number: "ZZ-2" }),
  },
  find_practitioner_reference_number: {
    input: () => ({ id: P.prn().id }),
    check: found("practitioner_reference_numbers"),
  },
  list_practitioner_reference_numbers: {
    input: () => ({ q: [`practitioner_id:=${P.practitioner().id}`] }),
    check: listed("practitioner_reference_numbers", (r) => r.practitioner_id === P.practitioner().id),
  },
  delete_practitioner_reference_number: {
    input: () => ({ id: live("practitioner_reference_numbers").at(-1)!.id }),
    check: deleted("practitioner_reference_numbers"),
  },
  // Practitioners
  list_practitioners: { input: () => ({}), check: listed("practitioners", (r) => r.active !== false) },
  list_inactive_practitioners: { input: () => ({}), check: listed("practitioners", (r) => r.active === false) },
  list_practitioners_for_appointment_type: {
    input: () => ({ appointment_type_id: P.groupType().id }),
    check: listed(
      "practitioners",
      (r) => r.active !== false && (P.groupType().practitioner_ids as string[]).includes(r.id),
    ),
    invalid: () => ({}),
  },
  list_practitioners_for_business: {
    input: () => ({ business_id: P.business().id }),
    check: listed("practitioners", (r) => r.active !== false && (r.business_ids as string[]).includes(P.business().id)),
  },
  list_inactive_practitioners_for_appointment_type: {
    input: () => {
      // Make the inactive practitioner offer the type, so the list has something to return.
      const type = P.type();
      const inactive = P.inactivePractitioner();
      if (!(type.practitioner_ids as string[]).includes(inactive.id))
        fx.sb.control.update("appointment_types", type.id, {
          practitioner_ids: [...(type.practitioner_ids as string[]), inactive.id],
        });
      return { appointment_type_id: type.id };
    },
    check: listed("practitioners", (r) => r.active === false && (P.type().practitioner_ids as string[]).includes(r.id)),
  },
  list_inactive_practitioners_for_business: {
    input: () => ({ business_id: (P.inactivePractitioner().business_ids as string[])[0] }),
    check: listed(
      "practitioners",
      (r) =>
        r.active === false &&
        (r.business_ids as string[]).includes((P.inactivePractitioner().business_ids as string[])[0]!),
    ),
  },
  find_practitioner: {
    input: () => ({ email: String(fx.row("users", String(P.practitioner().user_id))!.email).toUpperCase() }),
    check: (result) => assert.equal((result as ClinikoRecord).id, P.practitioner().id),
    invalid: () => ({ email: "not-an-email" }),
  },
  // Bookings
  list_bookings: {
    input: () => ({ q: [`practitioner_id:=${P.practitioner().id}`, "starts_at:>=2026-12-01T00:00:00Z"], all: true }),
    check: listed(
      ["individual_appointments", "group_appointments", "unavailable_blocks"],
      (r) => r.practitioner_id === P.practitioner().id && String(r.starts_at) >= "2026-12-01T00:00:00Z",
    ),
  },
  find_booking: {
    input: () => ({ id: P.group().id }),
    check: (r) => assert.equal((r as ClinikoRecord).id, P.group().id),
  },
  // Communications
  create_communication: {
    input: () => ({ patient_id: P.patient().id, content: "Called about the referral", type_code: 2 }),
    check: created("communications", { content: "Called about the referral" }),
  },
  update_communication: {
    input: () => ({ id: P.communication().id, content: "Updated memo" }),
    check: changed("communications", { content: "Updated memo" }),
  },
  find_communication: { input: () => ({ id: P.communication().id }), check: found("communications") },
  list_communications: {
    input: () => ({ q: [`patient_id:=${P.communication().patient_id}`] }),
    check: listed("communications", (r) => r.patient_id === P.communication().patient_id),
  },
  archive_communication: {
    input: () => ({ id: live("communications").at(-1)!.id }),
    check: archived("communications"),
  },
  // Appointments
  archive_group_appointment: {
    input: () => ({ id: live("group_appointments")[0]!.id }),
    check: archived("group_appointments"),
  },
  list_individual_appointments: {
    input: () => ({ q: [`patient_id:=${P.individual().patient_id}`], all: true }),
    check: listed("individual_appointments", (r) => r.patient_id === P.individual().patient_id),
  },
  archive_individual_appointment: {
    input: () => ({ id: live("individual_appointments")[0]!.id }),
    check: archived("individual_appointments"),
  },
  cancel_individual_appointment: {
    input: () => ({ id: live("individual_appointments")[1]!.id, ...cancel }),
    check: cancelled("individual_appointments"),
    invalid: () => ({ id: live("individual_appointments")[1]!.id }),
  },
  list_group_appointments: {
    input: () => ({ q: [`practitioner_id:=${P.group().practitioner_id}`] }),
    check: listed("group_appointments", (r) => r.practitioner_id === P.group().practitioner_id),
  },
  create_individual_appointment: {
    input: () => ({
      patient_id: P.patient().id,
      practitioner_id: P.practitioner().id,
      business_id: (P.practitioner().business_ids as string[])[0],
      appointment_type_id: P.type().id,
      ...slot(1, 30),
      notes: "Created by the catalogue tests",
    }),
    check: created("individual_appointments", { notes: "Created by the catalogue tests" }),
    invalid: () => ({ patient_id: P.patient().id, starts_at: "next tuesday" }),
  },
  update_individual_appointment: {
    input: () => ({ id: P.individual().id, notes: "Bring your scans" }),
    check: changed("individual_appointments", { notes: "Bring your scans" }),
  },
  create_group_appointment: {
    input: () => ({
      appointment_type_id: P.groupType().id,
      business_id: (P.practitioner().business_ids as string[])[0],
      practitioner_id: P.practitioner().id,
      ...slot(2),
      max_attendees: 6,
    }),
    check: created("group_appointments", { max_attendees: 6 }),
    invalid: () => ({ max_attendees: 0 }),
  },
  update_group_appointment: {
    input: () => ({ id: P.group().id, notes: "Bring a mat" }),
    check: changed("group_appointments", { notes: "Bring a mat" }),
  },
  find_appointment: {
    input: () => ({ id: url("group_appointments", P.group().id) }),
    check: (result) => {
      assert.equal((result as ClinikoRecord).id, P.group().id);
      assert.equal((result as ClinikoRecord).appointment_kind, "group");
    },
    invalid: () => ({ id: url("patients", P.patient().id) }),
  },
  get_all_available_time: {
    input: () => ({
      business_id: (P.practitioner().business_ids as string[])[0],
      practitioner_id: P.practitioner().id,
      appointment_type_id: P.type().id,
      from: day(1),
      to: day(10),
    }),
    check: (result, input) => {
      const times = (result as { available_times: { appointment_start: string }[] }).available_times;
      assert.ok(times.length > 0);
      const starts = times.map((t) => t.appointment_start);
      assert.deepEqual(starts, [...starts].sort(), "chronological");
      assert.ok(starts[0]! >= String(input.from) && starts.at(-1)! < `${day(11)}`);
      // 10 days → two requests (7 + 3 days), each within Cliniko's 7-day limit.
      const calls = fx.requests().filter((r) => r.path.endsWith("/available_times"));
      assert.equal(calls.length, 2);
    },
    invalid: () => ({ business_id: "1", practitioner_id: "1", appointment_type_id: "1", from: day(1), to: day(200) }),
  },
  get_next_available_time: {
    input: () => ({
      business_id: (P.practitioner().business_ids as string[])[0],
      practitioner_id: P.practitioner().id,
      appointment_type_id: P.type().id,
      from: day(1),
      to: day(20),
    }),
    check: (result) => {
      const start = (result as { appointment_start: string | null }).appointment_start;
      assert.ok(start && start >= day(1) && start < day(21), String(start));
    },
  },
  // Invoices & Invoice Items
  list_invoices: {
    input: () => ({ q: [`patient_id:=${P.invoice().patient_id}`] }),
    check: listed("invoices", (r) => r.patient_id === P.invoice().patient_id),
  },
  list_appointment_invoices: {
    input: () => ({ appointment_id: P.invoice().appointment_id }),
    check: listed("invoices", (r) => r.appointment_id === P.invoice().appointment_id),
  },
  list_patient_case_invoices: {
    input: () => ({ patient_case_id: P.caseWithInvoices() }),
    check: listed("invoices", (r) => r.patient_case_id === P.caseWithInvoices()),
  },
  list_invoice_items: {
    input: () => ({ q: [`invoice_id:=${P.invoiceItem().invoice_id}`] }),
    check: listed("invoice_items", (r) => r.invoice_id === P.invoiceItem().invoice_id),
  },
  find_invoice_item: { input: () => ({ id: P.invoiceItem().id }), check: found("invoice_items") },
  find_invoice: {
    input: () => ({ number: P.invoice().number }),
    check: (result) => assert.equal((result as ClinikoRecord).id, P.invoice().id),
    invalid: () => ({ number: "twelve" }),
  },
  // Businesses
  list_businesses: { input: () => ({}), check: listed("businesses", () => true) },
  find_business: { input: () => ({ id: url("businesses", P.business().id) }), check: found("businesses") },
  create_business: {
    input: () => ({ business_name: "Catalogue Test Clinic", city: "Kestrel Bay" }),
    check: created("businesses", { business_name: "Catalogue Test Clinic" }),
  },
  update_business: {
    input: () => ({ id: P.business().id, website_address: "https://clinic.example" }),
    check: changed("businesses", { website_address: "https://clinic.example" }),
  },
  // Medical Alerts
  create_medical_alert: {
    input: () => ({ patient_id: P.patient().id, name: "Latex allergy" }),
    check: created("medical_alerts", { name: "Latex allergy" }),
    invalid: () => ({ patient_id: P.patient().id, name: "" }),
  },
  update_medical_alert: {
    input: () => ({ id: P.medicalAlert().id, name: "Penicillin allergy" }),
    check: changed("medical_alerts", { name: "Penicillin allergy" }),
  },
  find_medical_alert: { input: () => ({ id: P.medicalAlert().id }), check: found("medical_alerts") },
  list_medical_alert_by_patient: {
    input: () => ({ patient_id: P.medicalAlert().patient_id }),
    check: listed("medical_alerts", (r) => r.patient_id === P.medicalAlert().patient_id),
    invalid: () => ({}),
  },
  // Contacts
  create_contact: {
    input: () => ({ first_name: "Rhea", last_name: "Okafor", email: "rhea@gp.example", type_code: 1 }),
    check: created("contacts", { email: "rhea@gp.example" }),
  },
  update_contact: {
    input: () => ({ id: P.contact().id, occupation: "Orthopaedic surgeon" }),
    check: changed("contacts", { occupation: "Orthopaedic surgeon" }),
  },
  find_contact: {
    input: () => ({ email: String(P.contact().email) }),
    check: (result) => assert.equal((result as ClinikoRecord).id, P.contact().id),
  },
  delete_contact: { input: () => ({ id: live("contacts").at(-1)!.id }), check: archived("contacts") },
  // Patients
  create_patient: {
    input: () => ({ first_name: "Ada", last_name: "Lovelace", email: "ada@example.com", date_of_birth: "1985-12-10" }),
    check: created("patients", { email: "ada@example.com", date_of_birth: "1985-12-10" }),
    invalid: () => ({ first_name: "Ada", last_name: "Lovelace", date_of_birth: "10/12/1985" }),
  },
  update_patient: {
    input: () => ({ id: url("patients", P.patient().id), occupation: "Engineer" }),
    check: changed("patients", { occupation: "Engineer" }),
  },
  find_patient: {
    input: () => ({ id: P.patient().id }),
    check: found("patients"),
    invalid: () => ({ id: url("contacts", P.contact().id) }),
  },
  delete_patient: { input: () => ({ id: live("patients").at(-1)!.id }), check: archived("patients") },
  // Patient Cases
  create_patient_case: {
    input: () => ({ patient_id: P.patient().id, name: "Left knee", max_sessions: 6 }),
    check: created("patient_cases", { name: "Left knee" }),
  },
  update_patient_case: {
    input: () => ({ id: P.patientCase().id, notes: "Referral received" }),
    check: changed("patient_cases", { notes: "Referral received" }),
  },
  find_patient_case: { input: () => ({ id: P.patientCase().id }), check: found("patient_cases") },
  archive_patient_case: { input: () => ({ id: live("patient_cases").at(-1)!.id }), check: archived("patient_cases") },
  list_patient_cases: {
    input: () => ({ q: [`patient_id:=${P.patientCase().patient_id}`] }),
    check: listed("patient_cases", (r) => r.patient_id === P.patientCase().patient_id),
  },
  list_active_patient_cases: {
    input: () => ({ q: [`patient_id:=${P.activeCase().patient_id}`] }),
    check: listed("patient_cases", (r) => r.patient_id === P.activeCase().patient_id && isActiveCase(r)),
  },
  // Availability Blocks
  create_availability_block: {
    input: () => ({ business_id: P.business().id, practitioner_id: P.practitioner().id, ...slot(3, 120) }),
    check: (result, input) => created("availability_blocks", { practitioner_id: input.practitioner_id })(result, input),
  },
  list_availability_block_ids: {
    input: () => ({ practitioner_id: P.availabilityBlock().practitioner_id }),
    check: (result) =>
      assert.deepEqual(
        [...(result as { ids: string[] }).ids].sort(),
        live("availability_blocks")
          .filter((b) => b.practitioner_id === P.availabilityBlock().practitioner_id)
          .map((b) => b.id)
          .sort(),
      ),
    invalid: () => ({}),
  },
  get_availability_block: { input: () => ({ id: P.availabilityBlock().id }), check: found("availability_blocks") },
  list_patients_with_birthday: {
    // A leap year: every day and month is a date in it, and each day lists only its own birthdays.
    input: () => ({ date: `2028-${String(P.patient().date_of_birth).slice(5)}` }),
    check: (result) => {
      const { records, date } = result as { date: string; records: { id: string; date_of_birth: string }[] };
      assert.ok(
        records.some((r) => r.id === P.patient().id),
        "the patient born on that day and month",
      );
      assert.ok(records.every((r) => r.date_of_birth.slice(5) === date.slice(5)));
    },
    invalid: () => ({ date: "tomorrow" }),
  },
  find_or_create_patient: {
    // The patient's own email: found, not created again.
    input: () => ({ first_name: "Any", last_name: "Name", email: String(P.patient().email) }),
    check: (result) => {
      const { patient, created } = result as { patient: { id: string }; created: boolean };
      assert.deepEqual([patient.id, created], [P.patient().id, false]);
    },
    invalid: () => ({ email: "no-name@example.com" }),
  },
  // Treatment Notes
  create_treatment_note: {
    input: () => ({ patient_id: P.patient().id, title: "Initial assessment", draft: true }),
    check: created("treatment_notes", { title: "Initial assessment" }),
  },
  find_treatment_note: {
    input: () => ({ patient_id: P.treatmentNote().patient_id }),
    check: (result) => {
      const mine = live("treatment_notes").filter((n) => n.patient_id === P.treatmentNote().patient_id);
      const newest = mine.sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0]!;
      assert.equal((result as ClinikoRecord).id, newest.id);
    },
  },
  // Products
  create_product: {
    input: () => ({ name: "Foam roller", item_code: "FR-01", price: 25 }),
    check: created("products", { item_code: "FR-01" }),
  },
  update_product: {
    input: () => ({ id: P.product().id, stock_level: "12" }),
    check: changed("products", { stock_level: "12" }),
  },
  find_product: {
    input: () => ({ item_code: String(P.product().item_code) }),
    check: (result) => assert.equal((result as ClinikoRecord).id, P.product().id),
    invalid: () => ({ id: "1", name: "x" }),
  },
  // Appointment Types
  find_appointment_type: { input: () => ({ id: P.type().id }), check: found("appointment_types") },
  create_appointment_type: {
    input: () => ({ name: "Review", duration_in_minutes: 20, color: "#336699" }),
    check: created("appointment_types", { name: "Review" }),
    invalid: () => ({ name: "Review", duration_in_minutes: 20, color: "blue" }),
  },
  update_appointment_type: {
    input: () => ({ id: P.type().id, description: "30 minutes" }),
    check: changed("appointment_types", { description: "30 minutes" }),
  },
  archive_appointment_type: {
    input: () => ({ id: pick(live("appointment_types"), (t) => t.name === "Telehealth review").id }),
    check: archived("appointment_types"),
  },
  list_appointment_types: { input: () => ({}), check: listed("appointment_types", () => true) },
  list_appointment_types_of_practitioner: {
    input: () => ({ practitioner_id: P.practitioner().id }),
    check: listed("appointment_types", (t) =>
      ((t.practitioner_ids as string[] | undefined) ?? []).includes(P.practitioner().id),
    ),
  },
  // Appointment Type Billable Items
  create_appointment_type_billable_item: {
    input: () => ({
      appointment_type_id: P.type().id,
      billable_item_id: live("billable_items").at(-1)!.id,
      quantity: "1",
    }),
    check: (result, input) =>
      created("appointment_type_billable_items", { appointment_type_id: input.appointment_type_id })(result, input),
  },
  update_appointment_type_billable_item: {
    input: () => ({ id: P.atbi().id, quantity: "2" }),
    check: changed("appointment_type_billable_items", { quantity: "2" }),
  },
  find_appointment_type_billable_item: {
    input: () => ({ id: P.atbi().id }),
    check: found("appointment_type_billable_items"),
  },
  list_appointment_type_billable_items: {
    input: () => ({ q: [`appointment_type_id:=${P.atbi().appointment_type_id}`] }),
    check: listed("appointment_type_billable_items", (r) => r.appointment_type_id === P.atbi().appointment_type_id),
  },
  delete_appointment_type_billable_item: {
    input: () => ({ id: live("appointment_type_billable_items").at(-1)!.id }),
    check: deleted("appointment_type_billable_items"),
  },
  // Appointment Type Products
  create_appointment_type_product: {
    input: () => ({ appointment_type_id: P.type().id, product_id: P.product().id, quantity: "1" }),
    check: (result, input) => created("appointment_type_products", { product_id: input.product_id })(result, input),
  },
  update_appointment_type_product: {
    input: () => ({ id: P.atp().id, quantity: "3" }),
    check: changed("appointment_type_products", { quantity: "3" }),
  },
  find_appointment_type_product: { input: () => ({ id: P.atp().id }), check: found("appointment_type_products") },
  list_appointment_type_products: { input: () => ({}), check: listed("appointment_type_products", () => true) },
  delete_appointment_type_product: {
    input: () => ({ id: live("appointment_type_products").at(-1)!.id }),
    check: deleted("appointment_type_products"),
  },
  // Billable Items
  create_billable_item: {
    input: () => ({ name: "Short consult", item_type: "Service", price: "55.00" }),
    check: created("billable_items", { name: "Short consult" }),
    invalid: () => ({ name: "Short consult", item_type: "Service", price: "fifty" }),
  },
  update_billable_item: {
    input: () => ({ id: P.billableItem().id, price: "99.00" }),
    check: changed("billable_items", { price: "99.00" }),
  },
  find_billable_item: { input: () => ({ id: P.billableItem().id }), check: found("billable_items") },
  list_billable_items: { input: () => ({ sort: "created_at:desc" }), check: listed("billable_items", () => true) },
  archive_billable_item: {
    input: () => ({ id: live("billable_items").at(-1)!.id }),
    check: archived("billable_items"),
  },
  // Attendees
  create_attendee: {
    input: () => {
      const group = P.group();
      const taken = new Set(
        live("attendees")
          .filter((a) => a.booking_id === group.id)
          .map((a) => a.patient_id),
      );
      return { booking_id: group.id, patient_id: pick(live("patients"), (p) => !taken.has(p.id)).id };
    },
    check: (result, input) =>
      created("attendees", { booking_id: input.booking_id, patient_id: input.patient_id })(result, input),
  },
  update_attendee: {
    input: () => ({ id: P.groupAttendee().id, notes: "Uses a walking frame" }),
    check: changed("attendees", { notes: "Uses a walking frame" }),
    invalid: () => ({ id: P.groupAttendee().id, patient_id: "1" }),
  },
  find_attendee: { input: () => ({ id: P.groupAttendee().id }), check: found("attendees") },
  list_attendees: {
    input: () => ({ q: [`booking_id:=${P.groupAttendee().booking_id}`] }),
    check: listed("attendees", (r) => r.booking_id === P.groupAttendee().booking_id),
  },
  archive_attendee: { input: () => ({ id: live("attendees").at(-1)!.id }), check: archived("attendees") },
  cancel_attendee: {
    input: () => ({ id: P.groupAttendee().id, ...cancel }),
    check: cancelled("attendees"),
  },

  // Beyond the brief (source: "api"): the other operations of Cliniko's API document
  archive_business: {
    input: () => ({ id: live("businesses").at(-1)!.id }),
    check: archived("businesses"),
  },
  unarchive_business: { input: () => ({ id: archivedRow("businesses").id }), check: unarchived("businesses") },
  list_concession_types: {
    input: () => ({}),
    check: listed("concession_types", () => true),
    invalid: () => ({ q: ["no_such_field:=1"] }),
  },
  create_concession_type: {
    input: () => ({ name: "Veterans" }),
    check: created("concession_types", { name: "Veterans" }),
    invalid: () => ({ name: 42 }),
  },
  find_concession_type: { input: () => ({ id: P.concessionType().id }), check: found("concession_types") },
  update_concession_type: {
    input: () => ({ id: P.concessionType().id, name: "Seniors card" }),
    check: changed("concession_types", { name: "Seniors card" }),
    invalid: () => ({ id: P.concessionType().id }),
  },
  list_contacts: {
    input: () => ({ all: true }),
    check: listed("contacts", () => true),
    invalid: () => ({ q: ["no_such_field:=1"] }),
  },
  find_group_appointment: {
    input: () => ({ id: url("group_appointments", P.group().id) }),
    check: found("group_appointments"),
  },
  archive_medical_alert: {
    input: () => ({ id: live("medical_alerts").at(-1)!.id }),
    check: archived("medical_alerts"),
  },
  list_patients: {
    input: () => ({ q: [`last_name:=${P.patient().last_name}`] }),
    check: listed("patients", (r) => r.last_name === P.patient().last_name),
    invalid: () => ({ per_page: 500 }),
  },
  unarchive_patient: { input: () => ({ id: archivedRow("patients").id }), check: unarchived("patients") },
  list_treatment_notes_for_patient: {
    input: () => ({ patient_id: P.treatmentNote().patient_id, all: true }),
    check: listed("treatment_notes", (r) => r.patient_id === P.treatmentNote().patient_id),
    invalid: () => ({ patient_id: "Ada" }),
  },
  list_products: {
    input: () => ({}),
    check: listed("products", () => true),
    invalid: () => ({ q: ["no_such_field:=1"] }),
  },
  archive_product: { input: () => ({ id: live("products").at(-1)!.id }), check: archived("products") },
  list_treatment_notes: {
    input: () => ({ q: [`patient_id:=${P.treatmentNote().patient_id}`] }),
    check: listed("treatment_notes", (r) => r.patient_id === P.treatmentNote().patient_id),
    invalid: () => ({ q: ["patient_id:>=yesterday"] }),
  },
  update_treatment_note: {
    input: () => ({ id: P.treatmentNote().id, title: "Follow-up notes" }),
    check: changed("treatment_notes", { title: "Follow-up notes" }),
    invalid: () => ({ id: P.treatmentNote().id, draft: "no" }),
  },
  archive_treatment_note: {
    input: () => ({ id: live("treatment_notes").at(-1)!.id }),
    check: archived("treatment_notes"),
  },
  unarchive_treatment_note: {
    input: () => ({ id: archivedRow("treatment_notes").id }),
    check: unarchived("treatment_notes"),
  },
  list_unavailable_blocks: {
    input: () => ({ q: [`practitioner_id:=${P.unavailableBlock().practitioner_id}`], all: true }),
    check: listed("unavailable_blocks", (r) => r.practitioner_id === P.unavailableBlock().practitioner_id),
    invalid: () => ({ q: ["starts_at:>=not-a-date"] }),
  },
  create_unavailable_block: {
    input: () => ({
      practitioner_id: P.practitioner().id,
      business_id: P.business().id,
      notes: "Conference",
      ...slot(30),
    }),
    check: created("unavailable_blocks", { notes: "Conference" }),
    invalid: () => ({ practitioner_id: P.practitioner().id, business_id: P.business().id, starts_at: "tomorrow" }),
  },
  find_unavailable_block: { input: () => ({ id: P.unavailableBlock().id }), check: found("unavailable_blocks") },
  update_unavailable_block: {
    input: () => ({ id: P.unavailableBlock().id, notes: "Long lunch" }),
    check: changed("unavailable_blocks", { notes: "Long lunch" }),
  },
  archive_unavailable_block: {
    input: () => ({ id: live("unavailable_blocks").at(-1)!.id }),
    check: archived("unavailable_blocks"),
  },
  get_authenticated_user: {
    input: () => ({}),
    check: (result) => {
      const id = String((result as ClinikoRecord).id);
      assert.ok(fx.row("users", id), "the key's user is in the sandbox");
      assert.equal(id, fx.sb.control.ownerUserId);
    },
    invalid: () => ({ id: "1" }),
  },
  list_users: {
    input: () => ({}),
    check: listed("users", () => true),
    invalid: () => ({ q: ["no_such_field:=1"] }),
  },
  find_user: { input: () => ({ id: P.user().id }), check: found("users") },
  // Beyond the brief: the rest of the document (set-up lists, forms, attachments, stock, taxes).
  list_daily_availabilities: { input: () => ({}), check: listed("daily_availabilities", () => true) },
  list_daily_availabilities_for_business: {
    input: () => ({ business_id: P.business().id }),
    check: listed("daily_availabilities", (r) => r.business_id === P.business().id),
  },
  list_daily_availabilities_for_practitioner: {
    input: () => ({ practitioner_id: live("daily_availabilities")[0]!.practitioner_id }),
    check: listed(
      "daily_availabilities",
      (r) => r.practitioner_id === live("daily_availabilities")[0]!.practitioner_id,
    ),
  },
  find_daily_availability: {
    input: () => ({ id: live("daily_availabilities")[0]!.id }),
    check: found("daily_availabilities"),
  },
  list_services: { input: () => ({}), check: returns() },
  list_services_for_business: { input: () => ({ business_id: P.business().id }), check: returns() },
  get_settings: { input: () => ({}), check: returns() },
  get_public_settings: { input: () => ({}), check: returns() },
  find_group_appointment_conflicts: { input: () => ({ id: P.group().id }), check: returns() },
  find_individual_appointment_conflicts: { input: () => ({ id: P.individual().id }), check: returns() },
  find_unavailable_block_conflicts: { input: () => ({ id: P.unavailableBlock().id }), check: returns() },
  list_patient_attachments: { input: () => ({ all: true }), check: listed("patient_attachments", () => true) },
  list_patient_attachments_for_patient_case: {
    input: () => ({ patient_case_id: live("patient_attachments")[0]!.patient_case_id, all: true }),
    check: (result, input) =>
      listed("patient_attachments", (r) => r.patient_case_id === input.patient_case_id)(result, input),
  },
  create_uploaded_patient_attachment: {
    input: () => ({ patient_id: P.patient().id, upload_url: "https://uploads.example/x.pdf", filename: "x.pdf" }),
    check: (r, i) => created("patient_attachments", { patient_id: i.patient_id })(r, i),
  },
  find_patient_attachment: {
    input: () => ({ id: live("patient_attachments")[0]!.id }),
    check: found("patient_attachments"),
  },
  update_patient_attachment: {
    input: () => ({ id: live("patient_attachments")[0]!.id, description: "Referral letter" }),
    check: changed("patient_attachments", { description: "Referral letter" }),
  },
  archive_patient_attachment: {
    input: () => ({ id: live("patient_attachments").at(-1)!.id }),
    check: archived("patient_attachments"),
  },
  get_presigned_post: { input: () => ({ patient_id: P.patient().id }), check: returns() },
  list_patient_form_templates: { input: () => ({}), check: listed("patient_form_templates", () => true) },
  create_patient_form_template: {
    input: () => ({ name: "Discharge survey" }),
    check: created("patient_form_templates", { name: "Discharge survey" }),
  },
  find_patient_form_template: {
    input: () => ({ id: live("patient_form_templates")[0]!.id }),
    check: found("patient_form_templates"),
  },
  update_patient_form_template: {
    input: () => ({ id: live("patient_form_templates")[0]!.id, name: "Intake (2026)" }),
    check: changed("patient_form_templates", { name: "Intake (2026)" }),
  },
  archive_patient_form_template: {
    input: () => ({ id: live("patient_form_templates").at(-1)!.id }),
    check: archived("patient_form_templates"),
  },
  list_patient_forms: { input: () => ({ all: true }), check: listed("patient_forms", () => true) },
  create_patient_form: {
    input: () => ({ patient_id: P.patient().id, patient_form_template_id: live("patient_form_templates")[0]!.id }),
    check: (r, i) => created("patient_forms", { patient_id: i.patient_id })(r, i),
  },
  find_patient_form: { input: () => ({ id: live("patient_forms")[0]!.id }), check: found("patient_forms") },
  update_patient_form: {
    input: () => ({ id: live("patient_forms")[0]!.id, name: "Intake form" }),
    check: changed("patient_forms", { name: "Intake form" }),
  },
  archive_patient_form: { input: () => ({ id: live("patient_forms").at(-1)!.id }), check: archived("patient_forms") },
  find_signature: { input: () => ({ patient_form_id: live("patient_forms")[0]!.id, id: "1" }), check: returns() },
  get_referral_source: { input: () => ({ patient_id: P.patient().id }), check: returns() },
  update_referral_source: {
    input: () => ({ patient_id: P.patient().id, referral_source_type_id: live("referral_source_types")[0]!.id }),
    check: returns(),
  },
  list_product_suppliers: { input: () => ({}), check: listed("product_suppliers", () => true) },
  create_product_supplier: {
    input: () => ({ name: "Physio Direct" }),
    check: created("product_suppliers", { name: "Physio Direct" }),
  },
  find_product_supplier: { input: () => ({ id: live("product_suppliers")[0]!.id }), check: found("product_suppliers") },
  update_product_supplier: {
    input: () => ({ id: live("product_suppliers")[0]!.id, name: "Allied Supplies" }),
    check: changed("product_suppliers", { name: "Allied Supplies" }),
  },
  archive_product_supplier: {
    input: () => ({ id: live("product_suppliers").at(-1)!.id }),
    check: archived("product_suppliers"),
  },
  list_referral_source_types: { input: () => ({}), check: listed("referral_source_types", () => true) },
  find_referral_source_type: {
    input: () => ({ id: live("referral_source_types")[0]!.id }),
    check: found("referral_source_types"),
  },
  list_referral_sources: { input: () => ({ all: true }), check: listed("referral_sources", () => true) },
  list_relationships: { input: () => ({ all: true }), check: listed("relationships", () => true) },
  create_relationship: {
    input: () => ({ patient_id: P.patient().id, related_patient_id: live("patients")[1]!.id, relation: 30 }),
    check: (r, i) => created("relationships", { patient_id: i.patient_id })(r, i),
  },
  find_relationship: { input: () => ({ id: live("relationships")[0]!.id }), check: found("relationships") },
  update_relationship: {
    input: () => ({ id: live("relationships")[0]!.id, related_patient_id: live("patients")[2]!.id }),
    check: (result, input) => changed("relationships", { related_patient_id: input.related_patient_id })(result, input),
  },
  archive_relationship: { input: () => ({ id: live("relationships").at(-1)!.id }), check: archived("relationships") },
  list_stock_adjustments: { input: () => ({ all: true }), check: listed("stock_adjustments", () => true) },
  create_stock_adjustment: {
    input: () => ({ product_id: P.product().id, quantity: "2", adjustment_type: "Stock Purchase" }),
    check: (r, i) => created("stock_adjustments", { product_id: i.product_id })(r, i),
  },
  find_stock_adjustment: { input: () => ({ id: live("stock_adjustments")[0]!.id }), check: found("stock_adjustments") },
  list_taxes: { input: () => ({}), check: listed("taxes", () => true) },
  create_tax: { input: () => ({ name: "VAT", rate: "20" }), check: created("taxes", { name: "VAT" }) },
  find_tax: { input: () => ({ id: live("taxes")[0]!.id }), check: found("taxes") },
  update_tax: {
    input: () => ({ id: live("taxes")[0]!.id, name: "GST (10%)" }),
    check: changed("taxes", { name: "GST (10%)" }),
  },
  delete_tax: { input: () => ({ id: live("taxes").at(-1)!.id }), check: deleted("taxes") },
  list_treatment_note_templates: { input: () => ({}), check: listed("treatment_note_templates", () => true) },
  create_treatment_note_template: {
    input: () => ({ name: "Discharge", content: { sections: [] } }),
    check: created("treatment_note_templates", { name: "Discharge" }),
  },
  find_treatment_note_template: {
    input: () => ({ id: live("treatment_note_templates")[0]!.id }),
    check: found("treatment_note_templates"),
  },
  update_treatment_note_template: {
    input: () => ({ id: live("treatment_note_templates")[0]!.id, name: "Initial (long)" }),
    check: changed("treatment_note_templates", { name: "Initial (long)" }),
  },
  archive_treatment_note_template: {
    input: () => ({ id: live("treatment_note_templates").at(-1)!.id }),
    check: archived("treatment_note_templates"),
  },
  list_unavailable_block_types: { input: () => ({}), check: listed("unavailable_block_types", () => true) },
  create_unavailable_block_type: {
    input: () => ({ name: "Training" }),
    check: created("unavailable_block_types", { name: "Training" }),
  },
  find_unavailable_block_type: {
    input: () => ({ id: live("unavailable_block_types")[0]!.id }),
    check: found("unavailable_block_types"),
  },
  update_unavailable_block_type: {
    input: () => ({ id: live("unavailable_block_types")[0]!.id, name: "Long lunch" }),
    check: changed("unavailable_block_types", { name: "Long lunch" }),
  },
  archive_unavailable_block_type: {
    input: () => ({ id: live("unavailable_block_types").at(-1)!.id }),
    check: archived("unavailable_block_types"),
  },
};

describe("every action against the sandbox", () => {
  it("has a case for each action (the brief's 98 and those beyond it)", () => {
    assert.deepEqual(Object.keys(cases).sort(), actions.map((a) => a.key).sort());
  });

  for (const def of actions) {
    it(`${def.key}: runs with a valid input, refuses invalid input before any request`, async () => {
      const c = cases[def.key]!;
      // Invalid first (nothing may reach the sandbox), then the valid run.
      const valid = c.input();
      const invalids: unknown[] = [{ ...valid, not_a_cliniko_field: true }];
      if (c.invalid) invalids.push(c.invalid());
      if ("id" in valid) invalids.push({ ...valid, id: "12 OR 1=1" });
      fx.clearLog();
      for (const bad of invalids) {
        await assert.rejects(def.run(fx.client, bad), ActionInputError, `${def.key} accepted ${JSON.stringify(bad)}`);
      }
      assert.deepEqual(fx.requests(), [], `${def.key} sent a request for invalid input`);

      if (c.rejects) {
        await assert.rejects(def.run(fx.client, valid), (err: Error) => {
          assert.ok(err instanceof ActionUnsupportedError, String(err));
          assert.match(err.message, c.rejects!);
          return true;
        });
        assert.ok(fx.requests().length > 0, "the natural request was sent");
        return;
      }
      const result = await def.run(fx.client, valid);
      await c.check!(result, valid);
      assert.ok(
        fx.requests().every((r) => r.status < 400),
        JSON.stringify(fx.requests()),
      );
    });
  }
});

describe("lookups with more than one way in", () => {
  it("find_appointment finds individual appointments by id, trying individual before group", async () => {
    const appt = P.individual();
    const result = (await action("find_appointment").run(fx.client, { id: appt.id })) as ClinikoRecord;
    assert.equal(result.id, appt.id);
    assert.equal(result.appointment_kind, "individual");
    const group = (await action("find_appointment").run(fx.client, { id: P.group().id })) as ClinikoRecord;
    assert.equal(group.appointment_kind, "group");
  });

  it("find_practitioner by email reaches inactive practitioners, and answers null for unknown emails", async () => {
    const inactive = P.inactivePractitioner();
    const email = String(fx.row("users", String(inactive.user_id))!.email);
    const result = (await action("find_practitioner").run(fx.client, { email })) as ClinikoRecord;
    assert.equal(result.id, inactive.id);
    assert.equal(await action("find_practitioner").run(fx.client, { email: "nobody@nowhere.example" }), null);
    const byId = (await action("find_practitioner").run(fx.client, { id: inactive.id })) as ClinikoRecord;
    assert.equal(byId.id, inactive.id);
  });

  it("find by id asks for every hidden state the record can have (archived, cancelled, deleted)", async () => {
    const patient = live("patients")[2]!;
    fx.sb.control.update("patients", patient.id, { archived_at: fx.tick() });
    const appt = live("individual_appointments")[3]!;
    fx.sb.control.update("individual_appointments", appt.id, { cancelled_at: fx.tick(), cancellation_reason: 40 });
    fx.clearLog();
    const p = (await action("find_patient").run(fx.client, { id: patient.id })) as ClinikoRecord;
    const a = (await action("find_appointment").run(fx.client, { id: appt.id })) as ClinikoRecord;
    const g = (await action("find_appointment").run(fx.client, { id: P.group().id })) as ClinikoRecord;
    assert.deepEqual([p.id, a.id, g.id], [patient.id, appt.id, P.group().id]);
    const filters = (query: string) => new URLSearchParams(query).getAll("q[]");
    assert.deepEqual(
      fx.requests().map((r) => [r.path.replace(/\d+$/, "N"), filters(r.query)]),
      [
        ["/v1/patients/N", ["archived_at:*"]],
        ["/v1/individual_appointments/N", ["archived_at:*", "cancelled_at:*", "deleted_at:*"]],
        ["/v1/individual_appointments/N", ["archived_at:*", "cancelled_at:*", "deleted_at:*"]],
        ["/v1/group_appointments/N", ["archived_at:*", "deleted_at:*"]],
      ],
    );
  });

  it("update_individual_appointment with only starts_at moves the appointment and keeps its length", async () => {
    const appt = P.individual();
    const length = Date.parse(String(appt.ends_at)) - Date.parse(String(appt.starts_at));
    const later = new Date(Date.parse(String(appt.ends_at)) + 2 * 86_400_000 + 3_600_000)
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    const moved = (await action("update_individual_appointment").run(fx.client, {
      id: appt.id,
      starts_at: later,
    })) as ClinikoRecord;
    assert.equal(moved.starts_at, later);
    assert.equal(Date.parse(String(moved.ends_at)) - Date.parse(String(moved.starts_at)), length);
    // An explicit end is still sent as given.
    const end = new Date(Date.parse(later) + 15 * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    const shortened = (await action("update_individual_appointment").run(fx.client, {
      id: appt.id,
      starts_at: later,
      ends_at: end,
    })) as ClinikoRecord;
    assert.equal(shortened.ends_at, end);
  });

  it("find_patient by email, find_product by name, and null when nothing matches", async () => {
    const patient = pick(live("patients"), (p) => typeof p.email === "string" && p.email !== "", "patient with email");
    const found = (await action("find_patient").run(fx.client, { email: patient.email })) as ClinikoRecord;
    assert.equal(found.id, patient.id);
    // An email as a person types it: case does not matter (as for find_practitioner).
    const shouted = String(patient.email).toUpperCase();
    assert.equal(((await action("find_patient").run(fx.client, { email: shouted })) as ClinikoRecord).id, patient.id);
    const contact = pick(live("contacts"), (c) => typeof c.email === "string" && c.email !== "", "contact with email");
    const mixed = String(contact.email).replace(/^./, (c) => c.toUpperCase());
    assert.equal(((await action("find_contact").run(fx.client, { email: mixed })) as ClinikoRecord).id, contact.id);
    // Contains is only the narrowing: a part of an address finds nothing.
    assert.equal(await action("find_patient").run(fx.client, { email: String(patient.email).slice(1) }), null);
    const product = P.product();
    assert.equal(
      ((await action("find_product").run(fx.client, { name: product.name })) as ClinikoRecord).id,
      product.id,
    );
    assert.equal(await action("find_product").run(fx.client, { item_code: "NO-SUCH-CODE" }), null);
  });

  it("list_active_patient_cases leaves out closed and expired cases, as its description says", async () => {
    const patientId = P.patient().id;
    const today = new Date(fx.sb.control.nowMs()).toISOString().slice(0, 10);
    const make = (values: Record<string, unknown>) =>
      fx.sb.control.create("patient_cases", {
        patient_id: patientId,
        closed: false,
        closed_at: null,
        archived_at: null,
        ...values,
      });
    const open = make({ expiry_date: null });
    const lastDay = make({ expiry_date: today });
    const expired = make({ expiry_date: "2020-01-31" });
    const closed = make({ closed: true, expiry_date: null });
    const listed = (await action("list_active_patient_cases").run(fx.client, {
      q: [`patient_id:=${patientId}`],
      all: true,
    })) as { records: ClinikoRecord[] };
    const ids = new Set(listed.records.map((r) => r.id));
    assert.ok(ids.has(open.id) && ids.has(lastDay.id), "open cases, one expiring today included");
    assert.ok(!ids.has(expired.id), "an expired case is not active");
    assert.ok(!ids.has(closed.id), "a closed case is not active");
    assert.match(action("list_active_patient_cases").description, /not expired/);
  });

  it("list actions follow every page with all, up to limit", async () => {
    fx.clearLog();
    const all = (await action("list_individual_appointments").run(fx.client, {
      all: true,
      per_page: 100,
      limit: 250,
    })) as { records: ClinikoRecord[]; total_entries: number; truncated: boolean };
    assert.equal(all.records.length, 250);
    assert.ok(all.total_entries > 250);
    assert.equal(all.truncated, true, "limit cut the list short, and the result says so");
    assert.equal(fx.requests().length, 3);
    const whole = (await action("list_individual_appointments").run(fx.client, {
      all: true,
      limit: all.total_entries,
    })) as { records: ClinikoRecord[]; truncated: boolean };
    assert.equal(whole.truncated, false);
    const one = (await action("list_individual_appointments").run(fx.client, { per_page: 10, page: 2 })) as {
      records: ClinikoRecord[];
      next_page: number | null;
    };
    assert.equal(one.records.length, 10);
    assert.equal(one.next_page, 3);
  });

  it("a Cliniko error comes back as one clear sentence (404, 422)", async () => {
    await assert.rejects(action("find_patient").run(fx.client, { id: "999999999" }), /could not find that patient/);
    await assert.rejects(
      action("create_individual_appointment").run(fx.client, {
        patient_id: "999999999",
        practitioner_id: P.practitioner().id,
        business_id: P.business().id,
        appointment_type_id: P.type().id,
        ...slot(9),
      }),
      (err: Error & { status?: number }) => err.status === 422 && /Cliniko rejected/.test(err.message),
    );
  });
});
