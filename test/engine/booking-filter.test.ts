/**
 * The attendee flag triggers' options (appointment_types, practitioners, businesses) against the
 * sandbox, on SQLite and PostgreSQL: they are checked when the workflow is saved, and keep the
 * trigger to attendees whose class (or individual appointment) has those, each booking read once
 * per poll and not at all when the due index already holds it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { trigger as catalogTrigger } from "../../src/catalog/index.ts";
import { type PollJob, planPollJobs, pollResource } from "../../src/engine/poller.ts";
import type { WorkflowValidationError } from "../../src/engine/workflow.ts";
import type { StoredWorkflow } from "../../src/store/index.ts";
import { type Harness, onEveryDatabase, workflow } from "./helpers.ts";

let h: Harness;

const later = () => h.sandbox.control.clock({ advanceSeconds: 60 });

async function job(workflows: StoredWorkflow[]): Promise<PollJob> {
  const { jobs } = await planPollJobs(
    workflows.map((w) => ({ workflow: w, definition: w.definition as never })),
    (name) => h.clients.keyOf(name),
  );
  return jobs.find((j) => j.resource === "attendees")!;
}

async function poll(j: PollJob): Promise<void> {
  const { client } = await h.clients.resolve();
  for (const t of j.targets) t.workflow = await h.store.workflows.get(t.workflow.id);
  await pollResource(j, { store: h.store, client, overlapMs: 1000 });
}

const runKeys = async (w: StoredWorkflow) =>
  (await h.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey).sort();

const bookingReads = () =>
  h.sandbox.control.deps.requestLog.entries().filter((e) => e.path.startsWith("/v1/bookings/"));

test("the options are checked when saving, at the option's path", () => {
  assert.throws(
    () => workflow({ trigger: { key: "attendee_arrived", options: { practitioners: ["Dr Lee"] } } }),
    (err: WorkflowValidationError) =>
      err.issues.some((i) => i.path === "trigger.options.practitioners.0" && /Cliniko id/.test(i.message)),
  );
  assert.throws(
    () => workflow({ trigger: { key: "attendee_did_not_arrive", options: { before: "2h" } } }),
    (err: WorkflowValidationError) => err.issues.some((i) => /unknown option before/.test(i.message)),
  );
  const schema = catalogTrigger("attendee_arrived").inputSchema as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(schema.properties).sort(), ["appointment_types", "businesses", "practitioners"]);
});

onEveryDatabase(
  "attendee flag options",
  (x) => {
    h = x;
  },
  () => {
    test("keep the trigger to attendees of the chosen practitioners' and types' classes and appointments", async () => {
      const c = h.sandbox.control;
      const lee = c.create("practitioners", { first_name: "Sam", last_name: "Lee" });
      const wu = c.create("practitioners", { first_name: "Ann", last_name: "Wu" });
      const pilates = c.create("appointment_types", { name: "Pilates" });
      const yoga = c.create("appointment_types", { name: "Yoga" });
      const klass = (practitionerId: string, typeId: string) =>
        c.create("group_appointments", {
          practitioner_id: practitionerId,
          appointment_type_id: typeId,
          starts_at: "2026-01-05T09:00:00Z",
          ends_at: "2026-01-05T10:00:00Z",
          archived_at: null,
          deleted_at: null,
        });
      const leePilates = klass(lee.id, pilates.id);
      const leeYoga = klass(lee.id, yoga.id);
      const wuPilates = klass(wu.id, pilates.id);
      const single = c.create("individual_appointments", {
        practitioner_id: lee.id,
        appointment_type_id: pilates.id,
        starts_at: "2026-01-05T11:00:00Z",
        ends_at: "2026-01-05T11:30:00Z",
      });
      const attend = (bookingId: string) =>
        c.create("attendees", { booking_id: bookingId, patient_id: "1", arrived: null, cancelled_at: null });
      const a = [leePilates, leePilates, leeYoga, wuPilates, single].map((b) => attend(b.id));
      const save = (name: string, options?: Record<string, unknown>) =>
        h.store.workflows.save(name, workflow({ name, trigger: { key: "attendee_arrived", options } }));
      const leeOnly = await save("lee", { practitioners: [lee.id] });
      const leePilatesOnly = await save("lee pilates", { practitioners: [lee.id], appointment_types: [pilates.id] });
      const everyone = await save("everyone");
      const j = await job([leeOnly, leePilatesOnly, everyone]);
      await poll(j);
      later();
      const { client } = await h.clients.resolve();
      for (const x of a) await client.resource("attendees").update(x.id, { arrived: true });
      c.deps.requestLog.clear();
      await poll(j);
      assert.deepEqual(await runKeys(leeOnly), [a[0]!.id, a[1]!.id, a[2]!.id, a[4]!.id].sort());
      assert.deepEqual(await runKeys(leePilatesOnly), [a[0]!.id, a[1]!.id, a[4]!.id].sort());
      assert.equal((await runKeys(everyone)).length, 5);
      assert.equal(bookingReads().length, 4, "each booking read once in the poll, for both filtered workflows");
      // With the due index holding the classes and appointments, no booking is read.
      await h.store.due.recordFill(await h.clients.keyOf(), "group_appointments", "2026-01-01T00:00:00.000Z", [
        ...[leePilates, leeYoga, wuPilates].map((g) => ({
          resource: "group_appointments",
          record_id: g.id,
          patient_id: null,
          practitioner_id: g.practitioner_id as string,
          appointment_type_id: g.appointment_type_id as string,
          business_id: null,
          starts_at: "2026-01-05T09:00:00.000Z",
          ends_at: "2026-01-05T10:00:00.000Z",
          state: "booked",
          timed_at: "2026-01-01T00:00:00.000Z",
          record_updated_at: "2026-01-01T00:00:00.000Z",
        })),
      ]);
      later();
      const b = [leeYoga, wuPilates].map((g) => attend(g.id));
      for (const x of b) await client.resource("attendees").update(x.id, { arrived: true });
      c.deps.requestLog.clear();
      await poll(j);
      assert.equal(bookingReads().length, 0);
      assert.ok((await runKeys(leeOnly)).includes(b[0]!.id));
      assert.ok(!(await runKeys(leeOnly)).includes(b[1]!.id));
      assert.ok(!(await runKeys(leePilatesOnly)).includes(b[0]!.id));
    });
  },
);
