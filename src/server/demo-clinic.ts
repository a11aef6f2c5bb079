/**
 * The Demo clinic page's server side: a few realistic changes a receptionist would make in
 * Cliniko, applied to the in-process sandbox through its public programmatic control
 * (`sandbox.control`, the same operations as its `/__sandbox` HTTP API; never over HTTP to itself
 * and never its store), so a practice manager can make a trigger fire without a terminal. Only
 * `serve --demo` creates one.
 */
import {
  CANCELLATION_REASONS,
  FIRST_NAMES,
  fakeEmail,
  fakePhone,
  LAST_NAMES,
  Prng,
  type Row,
  type Sandbox,
} from "../sandbox/index.ts";
import { HttpError } from "./errors.ts";
import type { DemoChange, DemoInfo } from "./wire.ts";

/** What the page offers, in its order; the route table makes one `POST /api/demo/<key>` of each. */
export const DEMO_ACTIONS = [
  { key: "add-patient", label: "Add a new patient", creates: true },
  { key: "update-patient", label: "Update a patient", creates: false },
  { key: "cancel-appointment", label: "Cancel an upcoming appointment", creates: false },
  { key: "add-invoice", label: "Add an invoice", creates: true },
] as const;

export type DemoActionKey = (typeof DEMO_ACTIONS)[number]["key"];

/** The counts the page shows; medical alerts grow as the example workflow runs. */
const COUNTED = ["patients", "individual_appointments", "invoices", "medical_alerts"] as const;

const REMINDER_TYPES = ["SMS", "Email", "SMS & Email", "None"];

const live = (r: Row) => r.archived_at == null && r.cancelled_at == null && r.deleted_at == null;
const name = (r: Row | undefined) => (r ? [r.first_name, r.last_name].filter(Boolean).join(" ") : "a patient");

/** "Tue 3 Mar, 10:00 UTC": the sandbox's times are UTC (docs/sandbox.md, available times). */
function when(iso: unknown): string {
  const d = new Date(String(iso));
  const day = d.toLocaleDateString("en-AU", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  return `${day.replace(",", "")}, ${d.toISOString().slice(11, 16)} UTC`;
}

export class DemoClinic {
  readonly #sandbox: Pick<Sandbox, "baseUrl" | "control">;
  // Not the seed's generator: each click should bring someone new, also after a restart.
  readonly #rng = new Prng(Date.now() % 4294967295);

  constructor(sandbox: Pick<Sandbox, "baseUrl" | "control">) {
    this.#sandbox = sandbox;
  }

  info(): DemoInfo {
    const all = this.#sandbox.control.counts();
    const counts: Record<string, number> = {};
    for (const c of COUNTED) counts[c] = all[c] ?? 0;
    return { demo: true, sandboxUrl: this.#sandbox.baseUrl, counts };
  }

  apply(action: DemoActionKey, input: { firstName?: string; lastName?: string } = {}): DemoChange {
    switch (action) {
      case "add-patient":
        return this.addPatient(input);
      case "update-patient":
        return this.updatePatient();
      case "cancel-appointment":
        return this.cancelAppointment();
      case "add-invoice":
        return this.addInvoice();
    }
  }

  addPatient(input: { firstName?: string; lastName?: string } = {}): DemoChange {
    const rng = this.#rng;
    const first = input.firstName?.trim() || rng.pick(FIRST_NAMES);
    const last = input.lastName?.trim() || rng.pick(LAST_NAMES);
    const now = this.#sandbox.control.nowMs();
    const dob = new Date(now - rng.int(18, 80) * 365.25 * 86_400_000 - rng.int(0, 364) * 86_400_000);
    const number = fakePhone(rng);
    const row = this.#sandbox.control.create("patients", {
      first_name: first,
      last_name: last,
      preferred_first_name: null,
      email: fakeEmail(rng, first.replace(/\W/g, ""), last.replace(/\W/g, "")),
      date_of_birth: dob.toISOString().slice(0, 10),
      patient_phone_numbers: [
        { number, phone_type: "Mobile", normalized_number: `+61${number.replace(/\s/g, "").slice(1)}` },
      ],
      reminder_type: rng.pick(REMINDER_TYPES),
      archived_at: null,
      deleted_at: null,
      merged_at: null,
    });
    return { action: "add-patient", resource: "patients", id: row.id, description: `Added patient ${name(row)}.` };
  }

  /** Changes a live patient's reminder preference: a real edit, so `updated_at` moves as in Cliniko. */
  updatePatient(): DemoChange {
    const patients = this.#sandbox.control.records("patients").filter(live);
    if (patients.length === 0) throw nothingTo("update: the clinic has no patients");
    const patient = this.#rng.pick(patients);
    const others = REMINDER_TYPES.filter((t) => t !== patient.reminder_type);
    const reminder = this.#rng.pick(others);
    this.#sandbox.control.update("patients", patient.id, { reminder_type: reminder });
    return {
      action: "update-patient",
      resource: "patients",
      id: patient.id,
      description: `Updated ${name(patient)}: appointment reminders now by ${reminder === "None" ? "no channel" : reminder}.`,
    };
  }

  /** Cancels the soonest upcoming individual appointment, as a patient calling in sick would. */
  cancelAppointment(): DemoChange {
    const { control } = this.#sandbox;
    const now = control.nowMs();
    const next = control
      .records("individual_appointments")
      .filter((a) => live(a) && Date.parse(String(a.starts_at)) > now)
      .sort((a, b) => Date.parse(String(a.starts_at)) - Date.parse(String(b.starts_at)))[0];
    if (!next) throw nothingTo("cancel: no upcoming appointment is left");
    const reason = 30;
    control.cancel("individual_appointments", next.id, { cancellation_reason: reason });
    const patient = control.record("patients", String(next.patient_id));
    return {
      action: "cancel-appointment",
      resource: "individual_appointments",
      id: next.id,
      description: `Cancelled ${name(patient)}'s appointment on ${when(next.starts_at)} (reason: ${CANCELLATION_REASONS[reason]}).`,
    };
  }

  /** Invoices the latest past appointment that has no invoice yet, priced from its service. */
  addInvoice(): DemoChange {
    const { control } = this.#sandbox;
    const now = control.nowMs();
    const invoices = control.records("invoices");
    const invoiced = new Set(invoices.map((i) => i.appointment_id));
    const appt = control
      .records("individual_appointments")
      .filter((a) => live(a) && Date.parse(String(a.ends_at)) <= now && !invoiced.has(a.id))
      .sort((a, b) => Date.parse(String(b.ends_at)) - Date.parse(String(a.ends_at)))[0];
    if (!appt) throw nothingTo("invoice: every past appointment already has an invoice");
    const type = control.record("appointment_types", String(appt.appointment_type_id));
    const service = type ? control.record("billable_items", String(type.billable_item_id)) : undefined;
    const price = Number(service?.price ?? 90);
    const net = (price / 1.1).toFixed(2);
    const tax = (price - price / 1.1).toFixed(2);
    const number = Math.max(1000, ...invoices.map((i) => Number(i.number) || 0)) + 1;
    const attendee = control.records("attendees").find((a) => a.booking_id === appt.id);
    const invoice = control.create("invoices", {
      number,
      patient_id: appt.patient_id,
      practitioner_id: appt.practitioner_id,
      business_id: appt.business_id,
      appointment_id: appt.id,
      attendee_id: attendee?.id ?? null,
      patient_case_id: appt.patient_case_id ?? null,
      issue_date: new Date(now).toISOString().slice(0, 10),
      status: 10,
      total_amount: price.toFixed(2),
      net_amount: net,
      tax_amount: tax,
      discounted_amount: "0.00",
      closed_at: null,
      original_invoice_id: null,
      signature_id: null,
      archived_at: null,
      deleted_at: null,
    });
    control.create("invoice_items", {
      invoice_id: invoice.id,
      billable_item_id: service?.id ?? null,
      product_id: null,
      name: service?.name ?? type?.name ?? "Consultation",
      code: service?.item_code ?? null,
      quantity: "1.00",
      unit_price: price.toFixed(2),
      net_price: net,
      tax_amount: tax,
      total_including_tax: price,
      archived_at: null,
      deleted_at: null,
    });
    const patient = control.record("patients", String(appt.patient_id));
    return {
      action: "add-invoice",
      resource: "invoices",
      id: invoice.id,
      description: `Added invoice ${number} for ${name(patient)} ($${price.toFixed(2)}, open).`,
    };
  }
}

const nothingTo = (what: string) => new HttpError(409, "conflict", `Nothing to ${what}.`);
