/**
 * Every trigger (the brief's 36 and those derived beyond it) against the sandbox: make the matching change (through the API's
 * own actions where Cliniko allows it, through the sandbox's control where only Cliniko's UI can),
 * plus changes the trigger must ignore; fetch the resource once and detect: exactly one event.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  action,
  actions,
  detect,
  eventField,
  fetchChanges,
  type TriggerDef,
  trigger,
  triggers,
} from "../../src/catalog/index.ts";
import type { ResourceName } from "../../src/cliniko/resources.ts";
import type { ClinikoRecord } from "../../src/cliniko/types.ts";
import { type Fixture, openSandbox, pick } from "./support.ts";

let fx: Fixture;
before(async () => {
  fx = await openSandbox();
});
after(() => fx.stop());

const live = (c: string) => fx.live(c);
const run = async (key: string, input: Record<string, unknown>) =>
  (await action(key).run(fx.client, input)) as ClinikoRecord | { id: string };
const idOf = (r: ClinikoRecord | { id: string } | undefined) => String(r?.id);
const practitioner = () => pick(live("practitioners"), (p) => p.active === true);
const business = () => (practitioner().business_ids as string[])[0]!;
const type = () => pick(live("appointment_types"), (t) => t.name === "Standard consultation");
const groupAppt = () => live("group_appointments").at(-1)!;
let slotN = 0;
const slot = () => {
  const start = Date.parse("2027-09-01T03:00:00Z") + ++slotN * 86_400_000;
  return { starts_at: new Date(start).toISOString(), ends_at: new Date(start + 30 * 60_000).toISOString() };
};
const cancel = { cancellation_reason: 30 };
const control = () => fx.sb.control;

/**
 * The change each trigger must report; returns the id of the record that changed. `decoy` is the
 * record the trigger must ignore: an update must change another record, or it would fire for both.
 */
const changes: Record<string, (decoy: string) => Promise<string>> = {
  new_attendee: async () => {
    const taken = new Set(live("attendees").map((a) => a.patient_id));
    const patient = pick(live("patients"), (p) => !taken.has(p.id));
    return idOf(await run("create_attendee", { booking_id: groupAppt().id, patient_id: patient.id }));
  },
  updated_attendee: async () => idOf(await run("archive_attendee", { id: live("attendees")[0]!.id })),
  cancelled_attendee: async () => {
    const a = pick(live("attendees"), (x) => fx.row("group_appointments", String(x.booking_id)) !== undefined);
    return idOf(await run("cancel_attendee", { id: a.id, ...cancel }));
  },
  new_appointment_type: async () =>
    idOf(await run("create_appointment_type", { name: "Review", duration_in_minutes: 15 })),
  updated_appointment_type: async (decoy) =>
    idOf(
      await run("archive_appointment_type", {
        id: pick(live("appointment_types"), (t) => t.id !== decoy && t.id !== type().id).id,
      }),
    ),
  new_added_billable_items_appointment_type: async () =>
    idOf(
      await run("create_appointment_type_billable_item", {
        appointment_type_id: type().id,
        billable_item_id: live("billable_items").at(-1)!.id,
      }),
    ),
  updated_billable_items_appointment_type: async () =>
    idOf(
      await run("update_appointment_type_billable_item", {
        id: live("appointment_type_billable_items")[0]!.id,
        quantity: "2",
      }),
    ),
  new_added_concession_price: async () =>
    control().create("concession_prices", { price: "12.00", billable_item_id: live("billable_items")[0]!.id }).id,
  updated_concession_price: async () =>
    control().update("concession_prices", live("concession_prices")[0]!.id, { price: "1.00" }).id,
  new_appointment_type_product: async () =>
    idOf(
      await run("create_appointment_type_product", {
        appointment_type_id: type().id,
        product_id: live("products")[0]!.id,
      }),
    ),
  updated_appointment_type_product: async () =>
    idOf(await run("update_appointment_type_product", { id: live("appointment_type_products")[0]!.id, quantity: "4" })),
  new_added_billable_item: async () =>
    idOf(await run("create_billable_item", { name: "Home visit", item_type: "Service", price: "150.00" })),
  updated_billable_item: async () =>
    idOf(await run("update_billable_item", { id: live("billable_items")[0]!.id, price: "1.00" })),
  new_added_communication: async () =>
    idOf(await run("create_communication", { patient_id: live("patients")[0]!.id, content: "Left a voicemail" })),
  updated_communication: async () => idOf(await run("archive_communication", { id: live("communications")[0]!.id })),
  new_added_practitioner_reference_number: async () =>
    idOf(
      await run("create_practitioner_reference_number", {
        practitioner_id: practitioner().id,
        business_id: business(),
        reference_number: "NEW-1",
      }),
    ),
  updated_practitioner_reference_number: async () =>
    idOf(
      await run("update_practitioner_reference_number", {
        id: live("practitioner_reference_numbers")[0]!.id,
        name: "X",
      }),
    ),
  // Practitioners are added in Cliniko itself; an inactive one is only on /practitioners/inactive.
  new_added_practitioner: async () =>
    control().create("practitioners", { active: false, first_name: "Noor", last_name: "Haddad" }).id,
  // A deactivation moves the practitioner from /practitioners to /practitioners/inactive.
  updated_practitioner: async () => control().update("practitioners", practitioner().id, { active: false }).id,
  new_patient_case: async () =>
    idOf(await run("create_patient_case", { patient_id: live("patients")[0]!.id, name: "Neck" })),
  updated_patient_case: async () =>
    idOf(await run("update_patient_case", { id: live("patient_cases")[0]!.id, notes: "x" })),
  new_product: async () => idOf(await run("create_product", { name: "Heat pack", price: 12 })),
  updated_product: async () => idOf(await run("update_product", { id: live("products")[0]!.id, stock_level: "1" })),
  new_patient: async () => idOf(await run("create_patient", { first_name: "Mei", last_name: "Tanaka" })),
  // Delete Patient archives: the archived patient must still be seen.
  updated_patient: async () => idOf(await run("delete_patient", { id: live("patients")[0]!.id })),
  new_contact: async () => idOf(await run("create_contact", { first_name: "Ivo", last_name: "Marsh" })),
  updated_contact: async () => idOf(await run("update_contact", { id: live("contacts")[0]!.id, occupation: "GP" })),
  group_appointment_created: async () =>
    idOf(
      await run("create_group_appointment", {
        appointment_type_id: type().id,
        business_id: business(),
        practitioner_id: practitioner().id,
        max_attendees: 4,
        ...slot(),
      }),
    ),
  group_appointment_updated: async (decoy) =>
    idOf(
      await run("update_group_appointment", {
        id: pick(live("group_appointments"), (g) => g.id !== decoy).id,
        notes: "Moved",
      }),
    ),
  individual_appointment_created: async () =>
    idOf(
      await run("create_individual_appointment", {
        patient_id: live("patients")[0]!.id,
        practitioner_id: practitioner().id,
        business_id: business(),
        appointment_type_id: type().id,
        ...slot(),
      }),
    ),
  // A cancellation is a change too, and cancelled appointments are hidden by default.
  individual_appointment_updated: async () =>
    idOf(await run("cancel_individual_appointment", { id: live("individual_appointments")[0]!.id, ...cancel })),
  individual_appointment_cancelled: async () =>
    idOf(await run("cancel_individual_appointment", { id: live("individual_appointments")[0]!.id, ...cancel })),
  new_availability_block: async () =>
    idOf(
      await run("create_availability_block", {
        business_id: business(),
        practitioner_id: practitioner().id,
        ...slot(),
      }),
    ),
  updated_availability_block: async () =>
    control().update("availability_blocks", live("availability_blocks")[0]!.id, { ends_at: "2027-01-01T10:00:00Z" }).id,
  new_invoice: async () => control().create("invoices", { patient_id: live("patients")[0]!.id, number: 99001 }).id,
  updated_invoice: async () => control().archive("invoices", live("invoices")[0]!.id).id,
};

/** A live record of the trigger's resource other than the decoy. */
const other = (t: TriggerDef, decoy: string) => pick(live(t.resource), (r) => r.id !== decoy).id;

/**
 * The change each derived trigger (source: api) reports: through the catalogue's own action where
 * Cliniko's API can make it, through the sandbox's control where only Cliniko's UI can.
 */
function derivedChange(t: TriggerDef): (decoy: string) => Promise<string> {
  const byKind = (kind: string) => actions.find((a) => a.kind === kind && a.resource === t.resource);
  switch (t.event) {
    case "new":
      return async () => control().create(t.resource).id;
    case "updated":
      return async (decoy) => control().touch({ resource: t.resource, ids: [other(t, decoy)] }).ids[0]!;
    case "archived": {
      const archive = byKind("archive");
      return async (decoy) =>
        archive
          ? idOf(await run(archive.key, { id: other(t, decoy) }))
          : control().archive(t.resource, other(t, decoy)).id;
    }
    case "cancelled":
      return async (decoy) => control().cancel(t.resource, other(t, decoy), cancel).id;
    case "finalised":
      // A note written as a draft, then finalised through Update Treatment Note.
      return async () => {
        const draft = control().create("treatment_notes", { draft: true, finalized_at: null });
        return idOf(await run("update_treatment_note", { id: draft.id, draft: false }));
      };
    case "completed":
      // A form sent to the patient, then completed through Update Patient Form (the decoy edit leaves it open).
      return async () => {
        const open = control().create("patient_forms", { completed_at: null });
        return idOf(await run("update_patient_form", { id: open.id, completed: true }));
      };
    case "due":
      throw new Error(`${t.key} is fired by the due scheduler (test/engine/due)`);
    case "arrived":
    case "did_not_arrive": {
      // The flag's own field on this resource (an attendee's `arrived` is false for did not arrive).
      const f = eventField(t.resource, t.event) as { flag: string; value: boolean };
      return async (decoy) =>
        control().update(t.resource, pick(live(t.resource), (r) => r.id !== decoy && r[f.flag] !== f.value).id, {
          [f.flag]: f.value,
        }).id;
    }
  }
}
/** The triggers a change makes fire (the due triggers fire on time: test/engine/due/end-to-end.test.ts). */
const polled = triggers.filter((t) => !t.due);
for (const t of polled) if (t.source === "api") changes[t.key] = derivedChange(t);

/** Changes on the same resource the trigger must NOT report (an edit for new/cancelled, a creation for updated). */
function decoy(resource: ResourceName, event: string): string {
  if (event === "updated") return control().create(resource).id;
  if (event === "arrived" || event === "did_not_arrive") {
    // A change to an appointment whose flags are clear must not fire (the flag, not the change, counts).
    const target = live(resource).at(-1)!;
    const clear = resource === "attendees" ? { arrived: null } : { patient_arrived: false, did_not_arrive: false };
    control().update(resource, target.id, clear);
    return control().touch({ resource, ids: [target.id] }).ids[0]!;
  }
  const target = live(resource).at(-1)!;
  return control().touch({ resource, ids: [target.id] }).ids[0]!;
}

async function changesSince(resource: ResourceName, since: string): Promise<ClinikoRecord[]> {
  const records: ClinikoRecord[] = [];
  for await (const r of fetchChanges(fx.client, resource, since)) records.push(r);
  return records;
}

describe("every trigger against the sandbox", () => {
  it("has a change for each trigger (the brief's 36 and those beyond it)", () => {
    assert.deepEqual(Object.keys(changes).sort(), polled.map((t) => t.key).sort());
  });

  for (const t of polled) {
    it(`${t.key}: fires once for its change, not for others`, async () => {
      fx.tick();
      const activatedAt = fx.sb.clock.iso();
      fx.tick();
      const ignored = decoy(t.resource, t.event);
      control().create(t.resource === "medical_alerts" ? "patients" : "medical_alerts"); // elsewhere
      fx.tick();
      const changed = await changes[t.key]!(ignored);
      assert.notEqual(changed, ignored, "the change and the decoy are different records");
      fx.tick();
      const records = await changesSince(t.resource, activatedAt);
      assert.ok(
        records.some((r) => r.id === ignored),
        "the decoy is in the fetch",
      );
      const events = detect(t, records, { activatedAt, seen: () => false });
      assert.deepEqual(
        events.map((e) => e.record.id),
        [changed],
        `${t.key}: ${JSON.stringify(events.map((e) => e.key))}`,
      );
      const [event] = events;
      assert.equal(event!.key, t.identity(event!.record));
      assert.ok(event!.at >= activatedAt);
      // Exactly once: a later poll that already saw the key emits nothing.
      const again = detect(t, records, { activatedAt, seen: (k) => k === event!.key });
      assert.deepEqual(again, []);
    });
  }
});

describe("fetchChanges", () => {
  it("reads every page once, in updated_at order, with the state filters, sharing one fetch per resource", async () => {
    fx.tick();
    const since = fx.sb.clock.iso();
    fx.tick(300); // the touched records get consecutive seconds ending now: all after `since`
    const touched = control().touch({ resource: "patients", count: 150, sameTimestamp: false });
    control().archive("patients", touched.ids[0]!);
    fx.clearLog();
    const pages: number[] = [];
    const records: ClinikoRecord[] = [];
    for await (const r of fetchChanges(fx.client, "patients", since, { onPage: (n) => pages.push(n) })) records.push(r);
    assert.equal(records.length, 150);
    assert.deepEqual(pages, [1, 2]);
    const stamps = records.map((r) => Date.parse(String(r.updated_at)));
    assert.deepEqual(
      stamps,
      [...stamps].sort((a, b) => a - b),
    );
    assert.ok(
      records.some((r) => r.id === touched.ids[0] && r.archived_at),
      "archived patients are included",
    );
    const first = decodeURIComponent(fx.requests()[0]!.query);
    assert.match(first, /q\[\]=updated_at:>=/);
    assert.match(first, /q\[\]=archived_at:\*/);
    assert.match(first, /sort=updated_at/);
    assert.match(first, /per_page=100/);
    // New and Updated Patient are one poll.
    assert.equal(trigger("new_patient").resource, trigger("updated_patient").resource);
  });

  it("merges /practitioners and /practitioners/inactive in order without repeating a record", async () => {
    fx.tick();
    const since = fx.sb.clock.iso();
    const active = live("practitioners").filter((p) => p.active === true);
    control().touch({ resource: "practitioners", ids: [active[0]!.id] });
    fx.tick();
    control().update("practitioners", active[1]!.id, { active: false });
    fx.tick();
    control().touch({ resource: "practitioners", ids: [active[2]!.id] });
    fx.clearLog();
    const records = await changesSince("practitioners", since);
    assert.deepEqual(
      records.map((r) => r.id),
      [active[0]!.id, active[1]!.id, active[2]!.id],
    );
    assert.deepEqual(
      fx.requests().map((r) => r.path),
      ["/v1/practitioners", "/v1/practitioners/inactive"],
    );
  });
});
