/**
 * The due index's classes and attendees on SQLite and PostgreSQL: an attendee takes its class's
 * times and ids and, when the class is off, its state; an attendee polled before its class waits
 * for it; an older version of an attendee never overwrites a newer one; an individual
 * appointment's own attendee row is left out (or pruned, when it came before the appointment); a
 * patient's attendances count for recall.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { writeAttendees, writeIndex } from "../../src/store/due.ts";
import type { DueAttendeeRow, DueRow } from "../../src/store/index.ts";
import { onEveryStore } from "./on-every-store.ts";

const row = (resource: string, id: string, extra: Partial<DueRow> = {}): DueRow => ({
  resource,
  record_id: id,
  patient_id: resource === "individual_appointments" ? "p9" : null,
  practitioner_id: "11",
  appointment_type_id: "t1",
  business_id: "b1",
  starts_at: "2026-03-02T09:00:00.000Z",
  ends_at: "2026-03-02T10:00:00.000Z",
  state: "booked",
  timed_at: "2026-02-01T00:00:00.000Z",
  record_updated_at: "2026-02-01T00:00:00.000Z",
  ...extra,
});

const attendee = (id: string, groupId: string, extra: Partial<DueAttendeeRow> = {}): DueAttendeeRow => ({
  record_id: id,
  group_id: groupId,
  patient_id: `p-${id}`,
  state: "booked",
  booked_at: "2026-02-10T00:00:00.000Z",
  record_updated_at: "2026-02-10T00:00:00.000Z",
  ...extra,
});

onEveryStore("due index classes", (ctx) => {
  test("attendees take their class's times, ids and off state; stale versions and appointments' own rows are left out", async () => {
    const db = ctx.store.database.db;
    const c = "conn";
    // The attendees are polled before their class: they wait for it.
    await writeAttendees(db, c, [attendee("a1", "g1"), attendee("a2", "g1", { state: "cancelled" })]);
    assert.deepEqual(
      await ctx.store.due.rowsBetween(c, "starts_at", "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"),
      [],
    );
    await writeIndex(db, c, [row("group_appointments", "g1"), row("individual_appointments", "i1")]);
    // An individual appointment's own attendee row is never kept as a class attendee.
    await writeAttendees(db, c, [attendee("a3", "i1")]);
    // An older version of a1 (a slow poller) does not overwrite the newer one.
    await writeAttendees(db, c, [
      attendee("a1", "g1", { state: "cancelled", record_updated_at: "2026-01-01T00:00:00.000Z" }),
    ]);
    const items = await ctx.store.due.rowsBetween(c, "starts_at", "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z");
    assert.deepEqual(
      items
        .map((i) => [i.record_id, i.resource, i.state, i.patient_id, i.practitioner_id, i.group_appointment_id])
        .sort(),
      [
        ["a1", "attendees", "booked", "p-a1", "11", "g1"],
        ["a2", "attendees", "cancelled", "p-a2", "11", "g1"],
        ["i1", "individual_appointments", "booked", "p9", "11", null],
      ],
    );
    const a1 = items.find((i) => i.record_id === "a1")!;
    assert.equal(a1.starts_at, "2026-03-02T09:00:00.000Z");
    assert.equal(a1.timed_at, "2026-02-10T00:00:00.000Z", "booked into the class after it got its time");

    // The class is moved and then archived: its attendees follow.
    await writeIndex(db, c, [
      row("group_appointments", "g1", {
        starts_at: "2026-03-02T11:00:00.000Z",
        ends_at: "2026-03-02T12:00:00.000Z",
        record_updated_at: "2026-02-20T00:00:00.000Z",
      }),
    ]);
    const moved = (
      await ctx.store.due.rowsBetween(c, "starts_at", "2026-03-02T10:30:00Z", "2026-03-03T00:00:00Z")
    ).find((i) => i.record_id === "a1")!;
    assert.equal(moved.timed_at, "2026-02-20T00:00:00.000Z", "a moved class times its attendees when it moved");
    await writeIndex(db, c, [
      row("group_appointments", "g1", {
        starts_at: "2026-03-02T11:00:00.000Z",
        ends_at: "2026-03-02T12:00:00.000Z",
        state: "archived",
        record_updated_at: "2026-02-21T00:00:00.000Z",
      }),
    ]);
    const archived = await ctx.store.due.rowsBetween(c, "starts_at", "2026-03-02T10:30:00Z", "2026-03-03T00:00:00Z");
    assert.deepEqual(
      archived.map((i) => i.state),
      ["archived", "archived"],
    );

    // Recall reads a patient's attendances beside their appointments.
    const ofPatients = await ctx.store.due.rowsOfPatients(c, ["p-a1", "p9"]);
    assert.deepEqual(ofPatients.map((i) => i.record_id).sort(), ["a1", "i1"]);
  });

  test("prune drops an appointment's own attendee row that came first, and attendees of classes long gone", async () => {
    const db = ctx.store.database.db;
    const c = "conn2";
    await writeAttendees(db, c, [
      attendee("x1", "i2"),
      attendee("x2", "gone", { booked_at: "2024-01-01T00:00:00.000Z" }),
      attendee("x3", "g2"),
    ]);
    await writeIndex(db, c, [row("individual_appointments", "i2"), row("group_appointments", "g2")]);
    await ctx.store.due.prune("2025-01-01T00:00:00.000Z");
    const left = await db.selectFrom("due_attendees").select("record_id").where("connection_key", "=", c).execute();
    assert.deepEqual(
      left.map((r) => r.record_id),
      ["x3"],
    );
  });
});
