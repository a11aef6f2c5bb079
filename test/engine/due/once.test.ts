/**
 * `run <file> --once` with a time-relative trigger, against the sandbox over HTTP: the first call
 * switches it on and fills the index (nothing is due yet), a later call fires what came due since,
 * appointments and class attendees alike, and a call after that fires nothing again (the due
 * scheduler's own seen keys, so a running `serve` would not either).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DueScheduler } from "../../../src/engine/due/scheduler.ts";
import { runOnce } from "../../../src/engine/once.ts";
import { type Harness, onEveryDatabase, sleep, workflow } from "../helpers.ts";
import { at } from "./support.ts";

let h: Harness;

onEveryDatabase(
  "run --once with a due trigger",
  (x) => {
    h = x;
  },
  () => {
    test("fires what is due at that moment, exactly once", { timeout: 60_000 }, async () => {
      const c = h.sandbox.control;
      const earlier = at(Date.now() - 3_600_000);
      const patient = c.create("patients", { first_name: "Ada", reminder_type: "SMS", patient_phone_numbers: [] });
      const live = { cancelled_at: null, archived_at: null, deleted_at: null };
      const T0 = Date.now();
      const startsAt = at(T0 + 120_000 + 6000); // due 6 s from now (before: 2m)
      const appointment = c.create("individual_appointments", {
        created_at: earlier,
        updated_at: earlier,
        patient_id: patient.id,
        starts_at: startsAt,
        ends_at: at(T0 + 30 * 60_000),
        did_not_arrive: false,
        patient_arrived: false,
        ...live,
      });
      c.create("individual_appointments", {
        created_at: earlier,
        updated_at: earlier,
        patient_id: patient.id,
        starts_at: at(T0 + 3_600_000),
        ends_at: at(T0 + 3_700_000),
        did_not_arrive: false,
        patient_arrived: false,
        ...live,
      });
      const klass = c.create("group_appointments", {
        created_at: earlier,
        updated_at: earlier,
        starts_at: startsAt,
        ends_at: at(T0 + 30 * 60_000),
        archived_at: null,
        deleted_at: null,
      });
      const attendee = c.create("attendees", {
        created_at: earlier,
        updated_at: earlier,
        booking_id: klass.id,
        patient_id: patient.id,
        arrived: null,
        ...live,
      });
      const definition = workflow({
        name: "reminder",
        trigger: { key: "before_appointment", options: { before: "2m" } },
      });
      const once = () => runOnce({ store: h.store, definition, clients: h.clients, env: h.env });
      const first = await once();
      assert.equal(first.queued, 0, "switching on fires nothing already due");
      await sleep(Math.max(0, Date.parse(startsAt) - 120_000 - Date.now()) + 1500);
      const second = await once();
      const iso = new Date(Date.parse(startsAt)).toISOString();
      assert.deepEqual(second.runs.map((r) => [r.eventKey, r.status]).sort(), [
        [`${appointment.id}@${iso}`, "succeeded"],
        [`attendee:${attendee.id}@${iso}`, "succeeded"],
      ]);
      assert.equal((await once()).queued, 0, "fired once");
      const stored = (await h.store.workflows.find("reminder"))!;
      await new DueScheduler({ store: h.store, clients: h.clients, queue: { notify() {} } }).fireOne(stored);
      assert.equal((await h.store.runs.list({ workflowId: stored.id })).length, 2, "the scheduler's pass agrees");
    });
  },
);
