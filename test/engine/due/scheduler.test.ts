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

/** A plain booking made an hour ago (the sandbox fills unnamed fields with sample values). */
const book = (values: Record<string, unknown>, startsMs: number) => {
  const earlier = at(Date.now() - 3_600_000);
  return h.sandbox.control.create("individual_appointments", {
    starts_at: at(startsMs),
    ends_at: at(startsMs + 1_800_000),
    did_not_arrive: false,
    patient_arrived: false,
    cancelled_at: null,
    archived_at: null,
    deleted_at: null,
    created_at: earlier,
    updated_at: earlier,
    ...values,
  });
};

/** Fills the due index from every appointment in the sandbox, as the first poll would. */
async function fillIndex() {
  const { client } = await h.clients.resolve();
  const rows = [];
  for await (const page of client.pagesOf("ListIndividualAppointments-Get", { q: [] }))
    for (const r of page.records) rows.push(dueRowOf(r)!);
  await h.store.due.recordFill(await h.clients.keyOf(), "individual_appointments", new Date().toISOString(), rows);
}

test("three schedulers over one index queue each due appointment once (not one cancelled since the last poll), reading each record once", async () => {
  const c = h.sandbox.control;
  const business = c.create("businesses", { business_name: "Clinic", time_zone_identifier: "Europe/London" });
  const practitioner = c.create("practitioners", { first_name: "Sam", last_name: "Lee" });
  const type = c.create("appointment_types", { name: "Massage" });
  const patient = c.create("patients", { first_name: "Ada", reminder_type: "SMS", patient_phone_numbers: [] });
  const booking = {
    patient_id: patient.id,
    practitioner_id: practitioner.id,
    appointment_type_id: type.id,
    business_id: business.id,
  };
  const wf = await h.store.workflows.save(
    "reminders",
    workflow({ trigger: { key: "before_appointment", options: { before: "1h" } } }),
  );
  const activated = Date.parse(wf.activatedAt!);
  // Two due now (their due time came after switching on), one due before switching on, one not yet due.
  const dueA = book(booking, activated + 3_600_000 + 1000);
  const dueB = book(booking, activated + 3_600_000 + 1900);
  const cancelledSincePoll = book(booking, activated + 3_600_000 + 1500);
  book(booking, activated + 3_600_000 - 120_000);
  book(booking, activated + 3 * 3_600_000);
  await fillIndex();

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

test("a pass over many due appointments queues them ten at a time, and a scheduler behind another skips what it queued", async () => {
  const patient = h.sandbox.control.create("patients", { first_name: "Ada", reminder_type: "SMS" });
  const wf = await h.store.workflows.save(
    "reminders",
    workflow({ trigger: { key: "before_appointment", options: { before: "1h" } } }),
  );
  const activated = Date.parse(wf.activatedAt!);
  const due = Array.from({ length: 25 }, (_, i) =>
    book({ patient_id: patient.id }, activated + 3_600_000 + 2000 + i * 1000),
  );
  await fillIndex();

  // How many appointments had been read when each commit was made.
  const appointmentReads = () =>
    h.sandbox.requestLog
      .entries()
      .filter((e) => e.method === "GET" && e.path.startsWith("/v1/individual_appointments/")).length;
  const readsAtCommit: number[] = [];
  const commit = h.store.polling.commit.bind(h.store.polling);
  h.store.polling.commit = async (x) => {
    readsAtCommit.push(appointmentReads());
    return commit(x);
  };
  const queue = new InProcessQueue(h.store, { workflowIds: [] });
  const [first, second] = [1, 2].map(() => new DueScheduler({ store: h.store, clients: h.clients, queue }));
  h.sandbox.requestLog.clear();
  const passAt = activated + 2000 + 30_000; // all 25 came due since switching on
  await first!.tick(passAt);
  assert.deepEqual(readsAtCommit, [10, 20, 25], "the first runs are queued after ten reads, not after all");
  assert.equal((await h.store.runs.list({ workflowId: wf.id })).length, due.length);

  // A second scheduler that found the same 25 due before the first queued them (as another worker
  // would) reads one chunk, then drops the rest as queued.
  const seen = h.store.polling.seen.bind(h.store.polling);
  let calls = 0;
  h.store.polling.seen = async (id, keys) => (++calls === 1 ? new Set<string>() : seen(id, keys));
  h.sandbox.requestLog.clear();
  await second!.tick(passAt);
  assert.equal(appointmentReads(), 10, "only the first chunk was read again");
  assert.equal((await h.store.runs.list({ workflowId: wf.id })).length, due.length, "and nothing was queued twice");
});
