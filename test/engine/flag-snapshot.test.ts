/**
 * The flag triggers (arrived, did not arrive) against the sandbox, on SQLite and PostgreSQL: the
 * records already flagged when a workflow is switched on never fire (editing an old no-show is not
 * a new no-show), a flag set afterwards fires once, and a later edit of that record never fires it
 * again, even after the pair's seen keys were pruned.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { trigger as catalogTrigger } from "../../src/catalog/index.ts";
import { type PollJob, pollResource } from "../../src/engine/poller.ts";
import type { StoredWorkflow } from "../../src/store/index.ts";
import { type Harness, onEveryDatabase, workflow } from "./helpers.ts";

let h: Harness;

const stamp = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

async function job(w: StoredWorkflow, key: string): Promise<PollJob> {
  const t = catalogTrigger(key);
  return {
    connectionKey: await h.clients.keyOf(),
    pollKey: t.resource,
    resource: t.resource,
    targets: [{ workflow: w, definition: w.definition as never, trigger: t }],
  };
}

async function poll(j: PollJob): Promise<number> {
  const { client } = await h.clients.resolve();
  for (const t of j.targets) t.workflow = await h.store.workflows.get(t.workflow.id);
  // A short overlap, so the pair's ordinary seen keys are pruned within the test.
  return (await pollResource(j, { store: h.store, client, overlapMs: 1000 })).runIds.length;
}

async function runKeys(w: StoredWorkflow): Promise<string[]> {
  return (await h.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey).sort();
}

/** Moves the sandbox's clock (every stamp it writes) on by a minute. */
const later = () => h.sandbox.control.clock({ advanceSeconds: 60 });

const slot = { starts_at: "2026-01-05T09:00:00Z", ends_at: "2026-01-05T09:30:00Z" };

/** Three minutes of other appointments' changes and polls: the pair's ordinary seen keys are pruned. */
async function moveOn(j: PollJob) {
  for (let i = 0; i < 3; i++) {
    later();
    h.sandbox.control.create("individual_appointments", { ...slot, did_not_arrive: false });
    await poll(j);
  }
}

const cases: [string, () => Promise<void>][] = [
  [
    "attendee_did_not_arrive: old no-shows never fire, a new one fires once, edits never again",
    async () => {
      const old = stamp(h.sandbox.clock.nowMs() - 86_400_000);
      const mk = (arrived: boolean | null) =>
        h.sandbox.control.create("attendees", {
          booking_id: "1",
          patient_id: "1",
          arrived,
          created_at: old,
          updated_at: old,
        });
      const oldNoShow = mk(false);
      const oldArrival = mk(true);
      const unmarked = mk(null);
      const w = await h.store.workflows.save(
        "class no-shows",
        workflow({
          trigger: { key: "attendee_did_not_arrive" },
          steps: [{ id: "x", action: "filter", input: { condition: true } }],
        }),
      );
      const j = await job(w, "attendee_did_not_arrive");
      assert.equal(await poll(j), 0);
      const { client } = await h.clients.resolve();
      later();
      await client.resource("attendees").update(oldNoShow.id, { notes: "called, rebooked" });
      await client.resource("attendees").update(oldArrival.id, { notes: "great class" });
      assert.equal(await poll(j), 0, "editing an old no-show is not a new no-show");
      later();
      await client.resource("attendees").update(unmarked.id, { arrived: false });
      assert.equal(await poll(j), 1);
      assert.deepEqual(await runKeys(w), [unmarked.id]);
      // Much later (the pair's own seen keys are pruned by now) the record is edited again.
      for (let i = 0; i < 3; i++) {
        later();
        h.sandbox.control.create("attendees", { booking_id: "1", patient_id: "2", arrived: null });
        await poll(j);
      }
      await client.resource("attendees").update(unmarked.id, { notes: "no answer" });
      assert.equal(await poll(j), 0, "an edit of a no-show that fired does not fire again");
      assert.deepEqual(await runKeys(w), [unmarked.id]);
    },
  ],
  [
    "attendee_arrived fires for an arrival marked after switching on, not for earlier ones",
    async () => {
      const old = stamp(h.sandbox.clock.nowMs() - 86_400_000);
      const earlier = h.sandbox.control.create("attendees", {
        booking_id: "1",
        patient_id: "1",
        arrived: true,
        created_at: old,
        updated_at: old,
      });
      const waiting = h.sandbox.control.create("attendees", {
        booking_id: "1",
        patient_id: "2",
        arrived: null,
        created_at: old,
        updated_at: old,
      });
      const w = await h.store.workflows.save("class arrivals", workflow({ trigger: { key: "attendee_arrived" } }));
      const j = await job(w, "attendee_arrived");
      assert.equal(await poll(j), 0);
      const { client } = await h.clients.resolve();
      later();
      await client.resource("attendees").update(earlier.id, { notes: "x" });
      await client.resource("attendees").update(waiting.id, { arrived: true });
      assert.equal(await poll(j), 1);
      assert.deepEqual(await runKeys(w), [waiting.id]);
      const snapshot = await h.store.database.db.selectFrom("trigger_snapshots").selectAll().execute();
      assert.deepEqual(
        snapshot.map((s) => [s.workflow_id, s.records]),
        [[w.id, 1]],
        "the switch-on snapshot recorded the one earlier arrival",
      );
    },
  ],
  [
    "appointment_marked_did_not_arrive does not fire again when a fired no-show is edited later",
    async () => {
      const w = await h.store.workflows.save(
        "no-shows",
        workflow({ trigger: { key: "appointment_marked_did_not_arrive" } }),
      );
      const j = await job(w, "appointment_marked_did_not_arrive");
      assert.equal(await poll(j), 0);
      later();
      const appt = h.sandbox.control.create("individual_appointments", { ...slot, did_not_arrive: true });
      assert.equal(await poll(j), 1);
      await moveOn(j);
      const { client } = await h.clients.resolve();
      await client.resource("individual_appointments").update(appt.id, { notes: "left a voicemail" });
      assert.equal(await poll(j), 0);
      assert.deepEqual(await runKeys(w), [appt.id]);
    },
  ],
  [
    "a workflow switched on before snapshots existed does not fire again for a no-show it already ran",
    async () => {
      const w = await h.store.workflows.save(
        "no-shows",
        workflow({ trigger: { key: "appointment_marked_did_not_arrive" } }),
      );
      const j = await job(w, "appointment_marked_did_not_arrive");
      await poll(j);
      later();
      const appt = h.sandbox.control.create("individual_appointments", { ...slot, did_not_arrive: true });
      assert.equal(await poll(j), 1);
      await moveOn(j);
      // As an earlier version left it once the poll moved on: no snapshot, the run's seen key pruned.
      await h.store.database.db.deleteFrom("trigger_snapshots").execute();
      await h.store.database.db.deleteFrom("seen_events").where("workflow_id", "=", w.id).execute();
      assert.equal(await poll(j), 0);
      const { client } = await h.clients.resolve();
      await client.resource("individual_appointments").update(appt.id, { notes: "called" });
      assert.equal(await poll(j), 0, "the snapshot counts what earlier polls handled as seen");
      assert.deepEqual(await runKeys(w), [appt.id]);
    },
  ],
];

onEveryDatabase(
  "flag triggers",
  (x) => {
    h = x;
  },
  () => {
    for (const [name, fn] of cases) test(name, fn);
  },
);
