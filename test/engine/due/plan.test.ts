import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dueOptions } from "../../../src/catalog/index.ts";
import { CATCH_UP_MS, dueCandidates } from "../../../src/engine/due/plan.ts";
import type { DueItem } from "../../../src/store/index.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-03-02T09:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function row(id: string, startsAt: number, extra: Partial<DueItem> = {}): DueItem {
  return {
    connection_key: "c",
    resource: "individual_appointments",
    record_id: id,
    patient_id: "p1",
    practitioner_id: "11",
    appointment_type_id: "t1",
    business_id: "b1",
    starts_at: iso(startsAt),
    ends_at: iso(startsAt + H / 2),
    state: "booked",
    timed_at: iso(NOW - 48 * H),
    record_updated_at: iso(NOW - 48 * H),
    group_appointment_id: null,
    ...extra,
  };
}

const keys = (c: { key: string }[]) => c.map((x) => x.key);

describe("before_appointment", () => {
  const o = dueOptions("before", { before: "24h" });
  const activatedAt = NOW - H;

  it("fires when starts_at − before has come, keyed by starts_at, and not for one that started", () => {
    const rows = [row("due", NOW + 23 * H), row("later", NOW + 25 * H), row("started", NOW - 60_000)];
    assert.deepEqual(keys(dueCandidates("before", o, rows, { now: NOW, activatedAt })), [`due@${iso(NOW + 23 * H)}`]);
  });

  it("never fires for a due time that passed before switching on, unless booked after both (last minute)", () => {
    const passed = row("passed", NOW + 22 * H); // due 2 h ago, switched on 1 h ago, booked two days ago
    const lastMinute = row("last", NOW + 2 * H, { timed_at: iso(NOW - 60_000) });
    const movedIn = row("moved", NOW + 3 * H, { timed_at: iso(NOW - 30 * 60_000) });
    const bookedBeforeSwitchOn = row("early", NOW + 2 * H, { timed_at: iso(NOW - 2 * H) });
    const rows = [passed, lastMinute, movedIn, bookedBeforeSwitchOn];
    assert.deepEqual(keys(dueCandidates("before", o, rows, { now: NOW, activatedAt })), [
      `last@${lastMinute.starts_at}`,
      `moved@${movedIn.starts_at}`,
    ]);
    const off = dueOptions("before", { before: "24h", last_minute: false });
    assert.deepEqual(keys(dueCandidates("before", off, rows, { now: NOW, activatedAt })), []);
  });

  it("skips cancelled, archived, deleted and did-not-arrive appointments, and those the options leave out", () => {
    const rows = ["cancelled", "archived", "deleted", "did_not_arrive"].map((state) =>
      row(state, NOW + 23 * H, { state }),
    );
    rows.push(row("other-practitioner", NOW + 23 * H, { practitioner_id: "12" }));
    const only = dueOptions("before", { before: "24h", practitioners: ["11"] });
    assert.deepEqual(keys(dueCandidates("before", only, rows, { now: NOW, activatedAt })), []);
  });
});

describe("after_appointment and recall", () => {
  const activatedAt = NOW - 10 * 86_400_000;

  it("after: at ends_at + after, did-not-arrive only when asked, not later than the catch-up window", () => {
    const ended = row("ended", NOW - 2 * H - H / 2 - 60_000); // ended 2 h 1 min ago
    const dna = row("dna", NOW - 2 * H - H / 2 - 60_000, { state: "did_not_arrive" });
    const stale = row("stale", NOW - 2 * H - H / 2 - CATCH_UP_MS - 60_000);
    const o = dueOptions("after", { after: "2h" });
    assert.deepEqual(keys(dueCandidates("after", o, [ended, dna, stale], { now: NOW, activatedAt })), [
      `ended@${ended.ends_at}`,
    ]);
    const withDna = dueOptions("after", { after: "2h", include_did_not_arrive: true });
    assert.equal(dueCandidates("after", withDna, [ended, dna], { now: NOW, activatedAt }).length, 2);
  });

  it("recall: the patient's last attended visit with nothing booked after it, once per (patient, visit)", () => {
    const o = dueOptions("recall", { after: "42d" });
    const visit = NOW - 42 * 86_400_000 - H;
    const a = row("a", visit, { patient_id: "p1" });
    const b = row("b", visit, { patient_id: "p2" });
    const rebooked = row("b2", NOW + 86_400_000, { patient_id: "p2" });
    const c = row("c", visit, { patient_id: "p3" });
    const cancelledLater = row("c2", NOW + 86_400_000, { patient_id: "p3", state: "cancelled" });
    const rows = [a, b, c];
    const patientRows = [a, b, rebooked, c, cancelledLater];
    assert.deepEqual(keys(dueCandidates("recall", o, rows, { now: NOW, activatedAt, patientRows })), ["p1@a", "p3@c"]);
  });
});

describe("class attendees", () => {
  const attendee = (id: string, startsAt: number, extra: Partial<DueItem> = {}) =>
    row(id, startsAt, { resource: "attendees", group_appointment_id: "g1", ...extra });

  it("are keyed as attendees, so an attendee never shares a key with an appointment of the same id", () => {
    const o = dueOptions("before", { before: "24h" });
    const rows = [row("7", NOW + 23 * H), attendee("7", NOW + 23 * H)];
    assert.deepEqual(keys(dueCandidates("before", o, rows, { now: NOW, activatedAt: NOW - H })), [
      `7@${iso(NOW + 23 * H)}`,
      `attendee:7@${iso(NOW + 23 * H)}`,
    ]);
  });

  it("recall: a class attended is a visit, and a class booked later is something booked", () => {
    const o = dueOptions("recall", { after: "42d" });
    const visit = NOW - 42 * 86_400_000 - H;
    const classVisit = attendee("a1", visit, { patient_id: "p1" });
    const appointment = row("b", visit, { patient_id: "p2" });
    const classLater = attendee("a2", NOW + 86_400_000, { patient_id: "p2" });
    const rows = [classVisit, appointment];
    const patientRows = [classVisit, appointment, classLater];
    assert.deepEqual(
      keys(dueCandidates("recall", o, rows, { now: NOW, activatedAt: NOW - 10 * 86_400_000, patientRows })),
      ["p1@attendee:a1"],
    );
  });
});
