/**
 * The due scheduler's exactly-once rule and its reads, without waiting on real time: three
 * schedulers (as three workers would run) pass over the same index at once, repeatedly; each due
 * appointment is queued once, and the records an event needs are read once per connection.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { dueRowOf } from "../../../src/engine/due/index-rows.ts";
import { DueScheduler } from "../../../src/engine/due/scheduler.ts";
import { InProcessQueue } from "../../../src/engine/queue.ts";
import { type Harness, harness, workflow } from "../helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

test("three schedulers over one index queue each due appointment once (not one cancelled since the last poll), reading each record once", async () => {
  const c = h.sandbox.control;
  const business = c.create("businesses", { business_name: "Clinic", time_zone_identifier: "Europe/London" });
  const practitioner = c.create("practitioners", { first_name: "Sam", last_name: "Lee" });
  const type = c.create("appointment_types", { name: "Massage" });
  const patient = c.create("patients", { first_name: "Ada", reminder_type: "SMS", patient_phone_numbers: [] });
  const now = Date.now();
  const earlier = at(now - 3_600_000);
  const book = (startsMs: number) =>
    c.create("individual_appointments", {
      patient_id: patient.id,
      practitioner_id: practitioner.id,
      appointment_type_id: type.id,
      business_id: business.id,
      starts_at: at(startsMs),
      ends_at: at(startsMs + 1_800_000),
      did_not_arrive: false,
      patient_arrived: false,
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
      created_at: earlier,
      updated_at: earlier,
    });
  const wf = await h.store.workflows.save(
    "reminders",
    workflow({ trigger: { key: "before_appointment", options: { before: "1h" } } }),
  );
  const activated = Date.parse(wf.activatedAt!);
  // Two due now (their due time came after switching on), one due before switching on, one not yet due.
  const dueA = book(activated + 3_600_000 + 1000);
  const dueB = book(activated + 3_600_000 + 1900);
  const cancelledSincePoll = book(activated + 3_600_000 + 1500);
  book(activated + 3_600_000 - 120_000);
  book(activated + 3 * 3_600_000);
  const { client } = await h.clients.resolve();
  const rows = [];
  for await (const page of client.pagesOf("ListIndividualAppointments-Get", { q: [] }))
    for (const r of page.records) rows.push(dueRowOf(r)!);
  await h.store.due.recordFill(await h.clients.keyOf(), "individual_appointments", new Date(now).toISOString(), rows);

  // Cancelled in Cliniko after the index last saw it: the read at due time sees it and skips it.
  c.cancel("individual_appointments", cancelledSincePoll.id, { cancellation_reason: 50 });
  const queue = new InProcessQueue(h.store, { workflowIds: [] });
  const schedulers = [1, 2, 3].map(() => new DueScheduler({ store: h.store, clients: h.clients, queue }));
  h.sandbox.requestLog.clear();
  const passAt = activated + 2000;
  for (let i = 0; i < 3; i++) await Promise.all(schedulers.map((s) => s.tick(passAt)));

  const runs = await h.store.runs.list({ workflowId: wf.id });
  assert.deepEqual(
    runs.map((r) => r.eventKey).sort(),
    [dueA, dueB].map((a) => `${a.id}@${new Date(Date.parse(a.starts_at as string)).toISOString()}`).sort(),
  );
  const next = await schedulers[0]!.tick(passAt);
  assert.equal(next, Date.parse(at(activated + 3 * 3_600_000)) - 3_600_000, "it sleeps until the next due time");
  // Per scheduler (one per worker): each due appointment read afresh once, each other record once
  // however many events need it.
  const reads = h.sandbox.requestLog.entries().filter((e) => e.method === "GET");
  const paths = reads.map((e) => e.path).sort();
  assert.equal(paths.filter((p) => p === `/v1/patients/${patient.id}`).length, 3);
  assert.equal(paths.filter((p) => p === `/v1/businesses/${business.id}`).length, 3);
  // The due ones once per scheduler; the cancelled one on each of the 10 passes until a poll
  // brings the cancellation into the index.
  assert.equal(paths.filter((p) => p.startsWith("/v1/individual_appointments/")).length, 3 * 2 + 10);
  assert.equal(reads.length, 12 + 16, `reads: ${paths.join(", ")}`);
});
