/**
 * The demo clinic: two businesses, six practitioners, appointment types with billable items and
 * products, ~300 patients with contacts, cases and medical alerts, four weeks of past and four
 * weeks of future appointments (individual and group, some cancelled), invoices, communications,
 * treatment notes, availability and unavailable blocks, concessions. Deterministic from the seed
 * number and the sandbox clock; every name is invented.
 */
import { sampleId } from "../cliniko/sample-ids.ts";
import { isoSeconds } from "./clock.ts";
import { model } from "./model.ts";
import { Prng } from "./prng.ts";
import { CANCELLATION_REASONS, computedFields } from "./records.ts";
import type { Row, SandboxStore } from "./store.ts";
import { FIRST_NAMES, fakeEmail, fakePhone, generateValue, LAST_NAMES, type ValueContext } from "./values.ts";

export type SeedName = "demo" | "empty";

const DAY = 86_400_000;
const HOUR = 3_600_000;

function phone(rng: Prng, type: string) {
  const number = fakePhone(rng);
  return { number, phone_type: type, normalized_number: `+61${number.replace(/\s/g, "").slice(1)}` };
}

/** The key owner's user: present in every seed so `GET /user` answers. */
export function seedOwner(store: SandboxStore): Row {
  return store.insert("users", {
    ...realistic(store, "users", new Prng(1)),
    ...firstId(store, "users"),
    first_name: "Sandbox",
    last_name: "Administrator",
    email: "admin@clinic.example.com",
    role: "administrator",
    active: true,
    user_active: true,
    title: null,
  });
}

/**
 * The first record of each collection takes the catalogue's sample id (cliniko/sample-ids.ts), so
 * the trigger samples "Test this step" falls back to name records this clinic really has.
 */
function firstId(store: SandboxStore, resource: string): { id?: string } {
  const id = store.rows(resource).length === 0 ? sampleId(resource) : undefined;
  return id ? { id } : {};
}

function realistic(store: SandboxStore, resource: string, rng: Prng): Record<string, unknown> {
  const ctx: ValueContext = { rng, nowMs: store.clock.nowMs() };
  const out: Record<string, unknown> = {};
  for (const [field, node] of model(resource).plain) {
    if (field === "id" || field === "created_at" || field === "updated_at") continue;
    out[field] = generateValue(field, node, ctx);
  }
  return out;
}

export function seedDemo(store: SandboxStore, seedNumber = 1): { ownerUserId: string } {
  const rng = new Prng(seedNumber);
  const now = store.clock.nowMs();
  const today = Date.parse(`${isoSeconds(now).slice(0, 10)}T00:00:00Z`);
  // History ends a minute before the seed time: a trigger switched on right after seeding (its
  // start floored to Cliniko's whole seconds) must not see the demo clinic's past as new events.
  const at = (ms: number) => isoSeconds(Math.min(ms, now - 60_000));
  const make = (resource: string, values: Record<string, unknown>): Row => {
    const row = store.insert(resource, { ...realistic(store, resource, rng), ...firstId(store, resource), ...values });
    Object.assign(row, computedFields(store, resource, row));
    return row;
  };
  const setupTime = (i: number) => at(now - 400 * DAY + i * HOUR);

  const owner = seedOwner(store);
  owner.created_at = owner.updated_at = setupTime(0);

  const businesses = [
    ["Harbourside Physiotherapy", "12 Wattle Street", "Kestrel Bay", "NSW", "2261", "Sydney"],
    ["Northcote Wellness Studio", "48 Orchard Parade", "Millbrook", "VIC", "3352", "Melbourne"],
  ].map(([name, address, city, state, post, zone], i) =>
    make("businesses", {
      business_name: name,
      display_name: name,
      label: name,
      address_1: address,
      address_2: null,
      city,
      state,
      post_code: post,
      country: "Australia",
      country_code: "AU",
      // Offset-less date-times in actions are read in this zone (catalog/clinic-time.ts).
      time_zone: zone,
      time_zone_identifier: `Australia/${zone}`,
      show_in_online_bookings: true,
      archived_at: null,
      deleted_at: null,
      created_at: setupTime(1 + i),
    }),
  );

  const professions = [
    "Physiotherapist",
    "Osteopath",
    "Remedial Massage Therapist",
    "Exercise Physiologist",
    "Podiatrist",
    "Physiotherapist",
  ];
  const practitioners = professions.map((designation, i) => {
    const first = FIRST_NAMES[(i * 7 + seedNumber) % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(i * 5 + seedNumber) % LAST_NAMES.length]!;
    const user = make("users", {
      first_name: first,
      last_name: last,
      email: fakeEmail(rng, first, last).replace(/@.*/, "@clinic.example.com"),
      role: "practitioner",
      active: true,
      user_active: i !== 5,
      created_at: setupTime(10 + i),
    });
    return make("practitioners", {
      first_name: first,
      last_name: last,
      title: rng.pick(["Dr", null]),
      designation,
      active: i !== 5,
      show_in_online_bookings: i !== 5,
      user_id: user.id,
      business_ids: i % 3 === 2 ? businesses.map((b) => b.id) : [businesses[i % 2]!.id],
      created_at: setupTime(10 + i),
    });
  });
  const active = practitioners.filter((p) => p.active);
  make("users", {
    first_name: "Robin",
    last_name: "Fairbank",
    email: "reception@clinic.example.com",
    role: "receptionist",
    active: true,
    user_active: true,
    created_at: setupTime(20),
  });

  for (const [i, p] of practitioners.entries()) {
    for (const businessId of p.business_ids as string[]) {
      make("practitioner_reference_numbers", {
        practitioner_id: p.id,
        business_id: businessId,
        name: "Provider number",
        reference_number: `${String(2400000 + i * 1311 + seedNumber).padStart(7, "0")}${"ABCDEFGHJK"[i]}`,
        created_at: setupTime(30 + i),
      });
    }
  }

  const services = [
    ["Initial consultation", "120.00", "IC01"],
    ["Standard consultation", "95.00", "SC01"],
    ["Extended consultation", "135.00", "EC01"],
    ["Group exercise class", "35.00", "GX01"],
    ["Telehealth review", "70.00", "TH01"],
  ].map(([name, price, code], i) =>
    make("billable_items", {
      name,
      price,
      item_code: code,
      item_type: "Service",
      archived_at: null,
      tax_id: null,
      created_at: setupTime(40 + i),
    }),
  );
  // Products carry GST; the supplier and the tax are made in seedSettings, with these first ids.
  const supplierId = sampleId("product_suppliers")!;
  const gstId = sampleId("taxes")!;
  const products = [
    ["Resistance band (medium)", "18.50"],
    ["Reusable heat pack", "24.00"],
    ["Foam roller", "39.95"],
    ["Magnesium cream 100 g", "21.00"],
    ["Contoured pillow", "89.00"],
  ].map(([name, price], i) =>
    make("products", {
      name,
      price, // written as Cliniko's create body has it; price_ex_tax/price_including_tax derive from it
      tax_id: gstId,
      item_code: `PR${String(i + 1).padStart(2, "0")}`,
      stock_level: String(rng.int(3, 40)),
      archived_at: null,
      // The document makes this id mandatory; suppliers themselves are not served by the sandbox.
      product_supplier_id: supplierId,
      product_supplier_name: "Allied Clinical Supplies",
      created_at: setupTime(50 + i),
    }),
  );

  const typeSpecs = [
    ["Initial consultation", 60, 1, 0],
    ["Standard consultation", 30, 1, 1],
    ["Extended consultation", 45, 1, 2],
    ["Group Pilates class", 60, 8, 3],
    ["Telehealth review", 20, 1, 4],
  ] as const;
  const types = typeSpecs.map(([name, minutes, max, service], i) =>
    make("appointment_types", {
      name,
      duration_in_minutes: minutes,
      max_attendees: max,
      category: max > 1 ? "Classes" : "Consultations",
      billable_item_id: services[service]!.id,
      product_id: i === 0 ? products[0]!.id : null,
      // The inactive practitioner keeps the types they offered (for the `/inactive` variants).
      practitioner_ids: (max > 1 ? active.slice(0, 2) : practitioners).map((p) => p.id),
      business_ids: businesses.map((b) => b.id),
      telehealth_enabled: name.startsWith("Telehealth"),
      show_in_online_bookings: true,
      archived_at: null,
      appointment_confirmation_template_ids: [],
      appointment_follow_up_template_ids: [],
      appointment_reminder_template_ids: [],
      created_at: setupTime(60 + i),
    }),
  );
  for (const b of businesses) b.appointment_type_ids = types.map((t) => t.id);
  for (const p of practitioners) p.default_appointment_type_id = types[1]!.id;
  for (const [i, t] of types.entries()) {
    make("appointment_type_billable_items", {
      appointment_type_id: t.id,
      billable_item_id: t.billable_item_id,
      quantity: "1.00",
      discount_percentage: null,
      discounted_amount: null,
      is_monetary_discount: false,
      created_at: setupTime(70 + i),
    });
    if (t.product_id) {
      make("appointment_type_products", {
        appointment_type_id: t.id,
        product_id: t.product_id,
        quantity: "1.00",
        discount_percentage: "10.00",
        discounted_amount: null,
        is_monetary_discount: false,
        created_at: setupTime(75 + i),
      });
    }
  }

  const concessions = ["Pensioner", "Student", "Health Care Card"].map((name, i) =>
    make("concession_types", { name, archived_at: null, created_at: setupTime(80 + i) }),
  );
  for (const [i, c] of concessions.entries()) {
    for (const s of services.slice(0, 3)) {
      make("concession_prices", {
        concession_type_id: c.id,
        billable_item_id: s.id,
        price: (Number(s.price) * (0.7 + i * 0.05)).toFixed(2),
        created_at: setupTime(85 + i),
      });
    }
  }

  const contacts = Array.from({ length: 15 }, (_, i) => {
    const doctor = i < 10;
    return make("contacts", {
      type_code: doctor ? 1 : i < 13 ? 2 : 0,
      doctor_type: doctor ? rng.pick(["general_practitioner", "specialist"]) : null,
      title: doctor ? "Dr" : null,
      company_name: doctor ? `${rng.pick(LAST_NAMES)} Family Medical` : `${rng.pick(LAST_NAMES)} Health Fund`,
      provider_number: doctor ? `${rng.int(1000000, 9999999)}T` : null,
      phone_numbers: [phone(rng, "Work")],
      archived_at: null,
      deleted_at: null,
      created_at: setupTime(100 + i),
    });
  });

  const patients = Array.from({ length: 300 }, (_, i) => {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const created = now - 365 * DAY + Math.floor((i / 300) * 330 * DAY) + rng.int(0, 20) * HOUR;
    const dob = new Date(today - rng.int(6, 88) * 365.25 * DAY - rng.int(0, 364) * DAY).toISOString().slice(0, 10);
    return make("patients", {
      first_name: first,
      last_name: last,
      preferred_first_name: rng.chance(0.1) ? rng.pick(FIRST_NAMES) : null,
      email: rng.chance(0.85) ? fakeEmail(rng, first, last) : null,
      date_of_birth: dob,
      patient_phone_numbers: [phone(rng, "Mobile")],
      concession_type_id: rng.chance(0.15) ? rng.pick(concessions).id : null,
      referring_doctor_id: rng.chance(0.3) ? rng.pick(contacts.slice(0, 10)).id : null,
      reminder_type: rng.pick(["SMS", "Email", "SMS & Email", "None"]),
      dva_card_number: null,
      invoice_email: null,
      merged_at: null,
      merged_with_patient_id: null,
      archived_at: i % 60 === 59 ? at(created + 30 * DAY) : null,
      deleted_at: null,
      created_at: at(created),
      updated_at: at(created + rng.int(0, 40) * DAY),
    });
  });
  const livePatients = patients.filter((p) => p.archived_at == null);

  const alerts = [
    "Penicillin allergy",
    "Latex allergy",
    "Pacemaker",
    "Diabetes type 2",
    "Recent knee surgery",
    "Asthma",
  ];
  for (const p of rng.sample(livePatients, 60)) {
    make("medical_alerts", {
      patient_id: p.id,
      name: rng.pick(alerts),
      archived_at: null,
      deleted_at: null,
      created_at: p.created_at,
      updated_at: p.created_at,
    });
  }
  const cases = rng.sample(livePatients, 50).map((p) =>
    make("patient_cases", {
      patient_id: p.id,
      name: rng.pick([
        "Lower back pain",
        "Shoulder rehabilitation",
        "Post-operative knee",
        "Ankle sprain",
        "Neck tension",
      ]),
      contact_id: rng.chance(0.4) ? rng.pick(contacts).id : null,
      closed: false,
      closed_at: null,
      attendee_ids: [],
      archived_at: null,
      created_at: p.created_at,
      updated_at: p.created_at,
    }),
  );

  // Appointments: weekdays from four weeks back to four weeks ahead, on fixed hourly slots so a
  // practitioner's bookings never overlap.
  const slots = [9, 10, 11, 13, 14, 15, 16];
  const individualTypes = types.filter((t) => Number(t.max_attendees) === 1);
  const groupType = types.find((t) => Number(t.max_attendees) > 1)!;
  const past: { appt: Row; attendeeId: string }[] = [];
  for (let day = today - 28 * DAY; day <= today + 28 * DAY; day += DAY) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (const p of active) {
      const businessId = (p.business_ids as string[])[0]!;
      const hours = rng.sample(slots, rng.int(2, 4));
      if (weekday === 3 && p === active[0]) hours.splice(0, hours.length, 9, 11);
      for (const hour of hours) {
        if (weekday === 3 && p === active[0] && hour === 11) continue; // the group class below
        const type = rng.pick(individualTypes);
        const patient = rng.pick(livePatients);
        const starts = day + hour * HOUR;
        const patientCase = cases.find((c) => c.patient_id === patient.id);
        const cancelled = rng.chance(0.08);
        const created = Math.min(starts - rng.int(1, 20) * DAY, now - HOUR);
        const appt = make("individual_appointments", {
          appointment_type_id: type.id,
          business_id: businessId,
          practitioner_id: p.id,
          patient_id: patient.id,
          patient_case_id: patientCase?.id ?? null,
          starts_at: isoSeconds(starts),
          ends_at: isoSeconds(starts + Number(type.duration_in_minutes) * 60_000),
          did_not_arrive: starts < now && rng.chance(0.05),
          patient_arrived: starts < now,
          repeat_rule: null,
          repeated_from_id: null,
          archived_at: null,
          deleted_at: null,
          cancelled_at: cancelled ? at(created + DAY) : null,
          cancellation_reason: cancelled ? rng.pick([10, 20, 30, 40, 50, 60]) : null,
          cancellation_note: null,
          created_at: at(created),
          updated_at: at(cancelled ? created + DAY : starts < now ? starts + HOUR : created),
        });
        appt.cancellation_reason_description = CANCELLATION_REASONS[appt.cancellation_reason as number] ?? null;
        const attendee = make("attendees", {
          booking_id: appt.id,
          patient_id: patient.id,
          patient_case_id: appt.patient_case_id,
          arrived: starts < now && !cancelled,
          cancelled_at: appt.cancelled_at,
          cancellation_reason: appt.cancellation_reason,
          cancellation_note: null,
          archived_at: null,
          deleted_at: null,
          created_at: appt.created_at,
          updated_at: appt.updated_at,
        });
        patient.latest_booking_id = appt.id;
        if (starts < now && !cancelled) past.push({ appt, attendeeId: attendee.id });
      }
    }
    if (weekday === 3) {
      const starts = day + 11 * HOUR;
      const created = Math.min(starts - 14 * DAY, now - HOUR);
      const group = make("group_appointments", {
        appointment_type_id: groupType.id,
        business_id: (active[0]!.business_ids as string[])[0],
        practitioner_id: active[0]!.id,
        starts_at: isoSeconds(starts),
        ends_at: isoSeconds(starts + 60 * 60_000),
        max_attendees: 8,
        repeat_rule: null,
        repeated_from_id: null,
        archived_at: null,
        deleted_at: null,
        created_at: at(created),
        updated_at: at(created),
      });
      for (const patient of rng.sample(livePatients, rng.int(3, 7))) {
        const cancelled = rng.chance(0.1);
        make("attendees", {
          booking_id: group.id,
          patient_id: patient.id,
          patient_case_id: null,
          arrived: starts < now && !cancelled,
          cancelled_at: cancelled ? at(created + 2 * DAY) : null,
          cancellation_reason: cancelled ? 40 : null,
          cancellation_note: null,
          archived_at: null,
          deleted_at: null,
          created_at: at(created + DAY),
          updated_at: at(cancelled ? created + 2 * DAY : created + DAY),
        });
        patient.latest_booking_id = group.id;
      }
    }
  }

  // Lunch breaks and a week of leave; extra Saturday availability.
  for (const [i, p] of active.entries()) {
    const businessId = (p.business_ids as string[])[0]!;
    for (let w = -2; w < 4; w++) {
      const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY + w * 7 * DAY;
      make("unavailable_blocks", {
        practitioner_id: p.id,
        business_id: businessId,
        starts_at: isoSeconds(monday + 12 * HOUR),
        ends_at: isoSeconds(monday + 13 * HOUR),
        notes: "Lunch",
        unavailable_block_type_id: null,
        repeat_rule: null,
        repeated_from_id: null,
        archived_at: null,
        deleted_at: null,
        created_at: at(monday - 30 * DAY),
        updated_at: at(monday - 30 * DAY),
      });
    }
    if (i < 3) {
      const saturday = today + ((6 - new Date(today).getUTCDay() + 7) % 7 || 7) * DAY;
      make("availability_blocks", {
        practitioner_id: p.id,
        business_id: businessId,
        starts_at: isoSeconds(saturday + 9 * HOUR),
        ends_at: isoSeconds(saturday + 12 * HOUR),
        repeat_rule: { repeat_type: "Weekly", number_of_repeats: 4, repeating_interval: 1 },
        created_at: at(now - 20 * DAY),
        updated_at: at(now - 20 * DAY),
      });
    }
  }

  // Invoices, treatment notes and communications for past appointments.
  let invoiceNumber = 1000;
  for (const { appt, attendeeId } of past) {
    const issued = Date.parse(String(appt.ends_at));
    const type = types.find((t) => t.id === appt.appointment_type_id)!;
    const service = services.find((s) => s.id === type.billable_item_id)!;
    if (rng.chance(0.8)) {
      const paid = rng.chance(0.85);
      const invoice = make("invoices", {
        number: ++invoiceNumber,
        patient_id: appt.patient_id,
        practitioner_id: appt.practitioner_id,
        business_id: appt.business_id,
        appointment_id: appt.id,
        attendee_id: attendeeId,
        patient_case_id: appt.patient_case_id,
        issue_date: isoSeconds(issued).slice(0, 10),
        status: paid ? 20 : 10,
        total_amount: service.price,
        net_amount: (Number(service.price) / 1.1).toFixed(2),
        tax_amount: (Number(service.price) - Number(service.price) / 1.1).toFixed(2),
        discounted_amount: "0.00",
        closed_at: paid ? at(issued + DAY) : null,
        original_invoice_id: null,
        signature_id: null,
        archived_at: null,
        deleted_at: null,
        created_at: at(issued),
        updated_at: at(paid ? issued + DAY : issued),
      });
      make("invoice_items", {
        invoice_id: invoice.id,
        billable_item_id: service.id,
        product_id: null,
        name: service.name,
        code: service.item_code,
        quantity: "1.00",
        unit_price: service.price,
        net_price: invoice.net_amount,
        tax_amount: invoice.tax_amount,
        total_including_tax: Number(service.price),
        archived_at: null,
        deleted_at: null,
        created_at: invoice.created_at,
        updated_at: invoice.created_at,
      });
    }
    if (rng.chance(0.6)) {
      make("treatment_notes", {
        patient_id: appt.patient_id,
        practitioner_id: appt.practitioner_id,
        booking_id: appt.id,
        attendee_id: attendeeId,
        treatment_note_template_id: null,
        title: `${type.name} notes`,
        draft: false,
        content: { sections: [] },
        finalized_at: at(issued + HOUR),
        pinned_at: null,
        archived_at: null,
        deleted_at: null,
        created_at: at(issued),
        updated_at: at(issued + HOUR),
      });
    }
  }
  for (const p of rng.sample(livePatients, 120)) {
    const sent = Date.parse(String(p.created_at)) + rng.int(1, 30) * DAY;
    const memo = rng.chance(0.5);
    make("communications", {
      patient_id: p.id,
      type_code: memo ? rng.pick([2, 3]) : rng.pick([1, 4]),
      category_code: memo ? 12 : 6,
      category: memo ? "Memo" : "Appointment Reminder",
      direction_code: 2,
      content: memo ? "Called to confirm the next visit." : "Reminder: your appointment is tomorrow.",
      confidential: false,
      archived_at: null,
      attendee_id: null,
      booking_id: null,
      invoice_id: null,
      letter_id: null,
      payment_id: null,
      created_at: at(sent),
      updated_at: at(sent),
    });
  }
  seedSettings(make, setupTime, livePatients, cases, store.rows("attendees"), businesses, practitioners, products, {
    supplierId,
    gstId,
  });
  return { ownerUserId: owner.id };
}

/**
 * The clinic's set-up lists the demo touches only lightly (templates, forms, suppliers, taxes,
 * referral sources, relationships, stock): a few rows each so every list, find and update has a record.
 */
function seedSettings(
  make: (resource: string, values: Record<string, unknown>) => Row,
  setupTime: (i: number) => string,
  livePatients: Row[],
  cases: Row[],
  attendees: Row[],
  businesses: Row[],
  practitioners: Row[],
  products: Row[],
  ids: { supplierId: string; gstId: string },
): void {
  const t = (i: number) => ({ created_at: setupTime(200 + i), updated_at: setupTime(200 + i), archived_at: null });
  make("product_suppliers", { id: ids.supplierId, name: "Allied Clinical Supplies", ...t(0) });
  make("product_suppliers", { name: "Coastal Rehab Wholesale", ...t(1) });
  make("taxes", { id: ids.gstId, name: "GST", rate: "10.0", amount: "10.0", ...t(2) });
  make("taxes", { name: "No tax", rate: "0.0", amount: "0.0", ...t(3) });
  const formTemplates = ["New patient intake", "Pre-visit questionnaire"].map((name, i) =>
    make("patient_form_templates", { name, ...t(4 + i) }),
  );
  for (const [i, name] of ["Initial consultation", "Follow-up"].entries())
    make("treatment_note_templates", {
      name,
      deleted_at: null,
      // Written out: a generated question picks any variant of the document's union, and some
      // combinations it produces (a radio question with `other.enabled: null`) are not valid.
      content: {
        sections: [
          {
            name: "Subjective",
            description: null,
            questions: [
              { name: "Presenting complaint", type: "text" },
              { name: "History", type: "paragraph" },
            ],
          },
          { name: "Plan", description: null, questions: [{ name: "Review date", type: "date" }] },
        ],
      },
      ...t(6 + i),
    });
  for (const [i, name] of ["Lunch", "Admin time"].entries())
    make("unavailable_block_types", { name, color: "#888888", duration_in_minutes: 30, ...t(8 + i) });
  const refType = make("referral_source_types", { name: "Doctor", ...t(10) });
  make("referral_source_types", { name: "Google", ...t(11) });
  // Patients with a case, so attachments can sit in one (`/patient_cases/{id}/patient_attachments`).
  const patients = cases.slice(0, 16).map((c) => ({ id: c.patient_id as string, caseId: c.id }));
  for (const [i, p] of patients.slice(0, 6).entries()) {
    make("patient_forms", {
      patient_id: p.id,
      patient_form_template_id: formTemplates[i % 2]!.id,
      // Some forms are sent for a visit (`/attendees/{attendee_id}/patient_forms`).
      attendee_id: i < 3 ? (attendees[i]?.id ?? null) : null,
      business_id: businesses[0]!.id,
      name: formTemplates[i % 2]!.name,
      completed_at: i % 2 === 0 ? setupTime(220 + i) : null,
      ...t(12 + i),
    });
    make("patient_attachments", {
      patient_id: p.id,
      patient_case_id: p.caseId,
      filename: `referral-${i + 1}.pdf`,
      ...t(20 + i),
    });
    make("relationships", { patient_id: p.id, related_patient_id: patients[i + 10]!.id, ...t(30 + i) });
    make("referral_sources", { patient_id: p.id, referral_source_type_id: refType.id, ...t(40 + i) });
  }
  // And on the first patients, outside any case.
  for (const [i, p] of livePatients.slice(0, 3).entries())
    make("patient_attachments", {
      patient_id: p.id,
      patient_case_id: null,
      filename: `scan-${i + 1}.jpg`,
      ...t(26 + i),
    });
  for (const [i, product] of products.entries())
    make("stock_adjustments", { product_id: product.id, quantity: "5.00", ...t(50 + i) });
  for (const [i, practitioner] of practitioners.slice(0, 3).entries())
    make("daily_availabilities", {
      practitioner_id: practitioner.id,
      business_id: businesses[0]!.id,
      // format: time with seconds and zone (the document's own "13:00" example fails its format).
      availabilities: [{ starts_at: "09:00:00Z", ends_at: "13:00:00Z" }],
      ...t(60 + i),
    });
}
