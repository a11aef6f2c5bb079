/**
 * Follow-ups, recalls and the class flag triggers through `serve` as deployed (a child process of
 * bin/cliniko-flow.js) against the sandbox over HTTP, on SQLite and PostgreSQL, with `serve`
 * SIGKILLed halfway and started again: every follow-up and recall fires once, on time (within 60 s
 * of its due time, the restart included), never for a cancelled visit or a no-show, a moved visit
 * only at its new time; every attendee flagged after switching on fires once within 60 s of the
 * change, whether `serve` was up or down then; an attendee flagged before never fires, even when
 * edited later; the options `appointment_types`, `businesses` and `practitioners` keep only the
 * matching classes.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { afterEach, test } from "node:test";
import type { RunRecord, StoredWorkflow } from "../../../src/store/index.ts";
import { listeningUrl, spawnCli } from "../../support/cli-process.ts";
import { kill } from "../../support/exactness.ts";
import { type Harness, onEveryDatabase, sleep, workflow } from "../helpers.ts";
import { assertOnTime, at, runsOf, waitFor } from "./support.ts";

let h: Harness;
/** A sandbox record. */
type Row = ReturnType<Harness["sandbox"]["control"]["create"]>;
let child: ChildProcess | undefined;
const stderr: string[] = [];

afterEach(async () => {
  await kill(child); // a failed assertion must not leave a `serve` running
});

async function serve(): Promise<void> {
  const env = { ...h.env, CLINIKO_FLOW_TEST_POLL_INTERVAL_MS: "500", LOG_LEVEL: "error" };
  child = spawnCli(["serve", "--port", "0"], env, stderr);
  await listeningUrl(child);
}

const M = 60_000;
const iso = (v: unknown) => new Date(Date.parse(v as string)).toISOString();

/** A clinic in the sandbox: two businesses, two practitioners, two class types, records an hour old. */
function clinic() {
  const c = h.sandbox.control;
  const old = at(Date.now() - 3_600_000);
  const stamps = { created_at: old, updated_at: old };
  const live = { cancelled_at: null, archived_at: null, deleted_at: null };
  const north = c.create("businesses", { business_name: "Northside", time_zone_identifier: "Australia/Sydney" });
  const south = c.create("businesses", { business_name: "Southside", time_zone_identifier: "Australia/Sydney" });
  const jane = c.create("practitioners", { first_name: "Jane", last_name: "Citizen" });
  const bob = c.create("practitioners", { first_name: "Bob", last_name: "Builder" });
  const pilatesType = c.create("appointment_types", { name: "Pilates", duration_in_minutes: 60 });
  const yogaType = c.create("appointment_types", { name: "Yoga", duration_in_minutes: 60 });
  const patient = (first: string) => c.create("patients", { first_name: first, last_name: "Test", ...stamps });
  const visit = (patientId: string, endsMs: number, extra: Record<string, unknown> = {}) =>
    c.create("individual_appointments", {
      ...stamps,
      patient_id: patientId,
      practitioner_id: jane.id,
      appointment_type_id: pilatesType.id,
      business_id: north.id,
      starts_at: at(endsMs - 10 * M),
      ends_at: at(endsMs),
      did_not_arrive: false,
      patient_arrived: false,
      ...live,
      ...extra,
    });
  // Classes running now: their follow-ups are an hour away, only their flags change in the test.
  const klass = (type: Row, practitioner: Row, business: Row) =>
    c.create("group_appointments", {
      ...stamps,
      appointment_type_id: type.id,
      practitioner_id: practitioner.id,
      business_id: business.id,
      starts_at: at(Date.now() - 5 * M),
      ends_at: at(Date.now() + 55 * M),
      archived_at: null,
      deleted_at: null,
    });
  const attend = (groupId: string, arrived: boolean | null) =>
    c.create("attendees", { ...stamps, booking_id: groupId, patient_id: patient("Member").id, arrived, ...live });
  return { north, south, jane, bob, pilatesType, yogaType, patient, visit, klass, attend };
}

const scenario = async () => {
  const { north, bob, pilatesType, yogaType, jane, south, patient, visit, klass, attend } = clinic();
  const T0 = Date.now();
  // Visits that ended 35 s to 0 s ago: with `after: 1m` they come due from 25 s to 60 s after
  // switching on, across the kill at 40 s. Each its own patient (for the recalls).
  const visits = Array.from({ length: 8 }, (_, k) => visit(patient(`Visitor ${k}`).id, T0 - 35_000 + k * 5000));
  const [cancelled, noShow, moved, rebooked, laterNoShow] = [1, 3, 5, 6, 7].map((k) => visits[k]!);
  // Visit 6's patient has booked again: no recall. Visit 7's patient missed a visit after it: the
  // no-show neither fires nor stops the recall for the visit before it.
  visit(String(rebooked.patient_id), T0 + 30 * 86_400_000);
  const missed = visit(String(laterNoShow.patient_id), Date.parse(laterNoShow.ends_at as string) + 2000, {
    did_not_arrive: true,
  });
  const pilates = klass(pilatesType, jane, north);
  const yoga = klass(yogaType, bob, south);
  const flaggedBefore = [pilates, yoga].flatMap((k) => [attend(k.id, true), attend(k.id, false)]);
  const fresh = (k: Row) => Array.from({ length: 6 }, () => attend(k.id, null));
  const [pilatesFresh, yogaFresh] = [fresh(pilates), fresh(yoga)];

  const save = (name: string, key: string, options: Record<string, unknown>) =>
    h.store.workflows.save(name, workflow({ name, trigger: { key, options } }));
  const followUps = await save("follow-up", "after_appointment", { after: "1m" });
  const recalls = await save("recall", "patient_due_for_recall", { after: "1m" });
  const arrivals = await save("pilates arrivals", "attendee_arrived", { appointment_types: [pilatesType.id] });
  const northNoShows = await save("northside no-shows", "attendee_did_not_arrive", { businesses: [north.id] });
  const bobNoShows = await save("bob's no-shows", "attendee_did_not_arrive", { practitioners: [bob.id] });
  const flagWorkflows = [arrivals, northNoShows, bobNoShows];

  const { client } = await h.clients.resolve();
  const appointments = client.resource("individual_appointments");
  const attendees = client.resource("attendees");
  /** When each flag was set (Cliniko's stamp), by attendee id. */
  const flaggedAt = new Map<string, number>();
  const flag = async (a: Row, arrived: boolean) =>
    flaggedAt.set(String(a.id), Date.parse((await attendees.update(a.id, { arrived })).updated_at as string));
  const flagPair = async (i: number) => {
    for (const list of [pilatesFresh, yogaFresh]) {
      await flag(list[i]!, true);
      await flag(list[i + 1]!, false);
    }
  };
  const editFlaggedBefore = async (note: string) => {
    for (const a of flaggedBefore) await attendees.update(a.id, { notes: note });
  };

  // Life 1: a visit cancelled, one marked a no-show, one moved 20 s later, all before they are due.
  await serve();
  await appointments.cancel(cancelled.id, { cancellation_reason: 50 });
  // Cliniko's API cannot mark a no-show: the clinic does, in Cliniko itself.
  h.sandbox.control.update("individual_appointments", noShow.id, { did_not_arrive: true });
  const movedEnd = at(Date.parse(moved.ends_at as string) + 20_000);
  await appointments.update(moved.id, { ends_at: movedEnd });
  // Edits of records flagged before switching on count only once the switch-on snapshot is taken.
  const snapshots = () => h.store.database.db.selectFrom("trigger_snapshots").select("workflow_id").execute();
  await waitFor(async () => (await snapshots()).length === flagWorkflows.length, 30_000);
  assert.equal((await snapshots()).length, flagWorkflows.length, "each flag workflow took its switch-on snapshot");
  await editFlaggedBefore("called");
  await flagPair(0);
  // SIGKILL halfway through the follow-ups' due times; flags set and edits made while it is down.
  await sleep(Math.max(0, T0 + 40_000 - Date.now()));
  await kill(child);
  await flagPair(2);
  await editFlaggedBefore("called again");
  await sleep(2000);
  // Life 2.
  await serve();
  await flagPair(4);
  await editFlaggedBefore("no answer");

  const follow = (a: Row, endsAt: unknown = a.ends_at) => `${a.id}@${iso(endsAt)}`;
  const happened = visits.filter((v) => v !== cancelled && v !== noShow);
  const expected = new Map<StoredWorkflow, string[]>([
    [followUps, happened.map((v) => (v === moved ? follow(v, movedEnd) : follow(v)))],
    [recalls, happened.filter((v) => v !== rebooked).map((v) => `${v.patient_id}@${v.id}`)],
    [arrivals, [0, 2, 4].map((i) => String(pilatesFresh[i]!.id))],
    [northNoShows, [1, 3, 5].map((i) => String(pilatesFresh[i]!.id))],
    [bobNoShows, [1, 3, 5].map((i) => String(yogaFresh[i]!.id))],
  ]);
  const runs = async () =>
    new Map(await Promise.all([...expected.keys()].map(async (w) => [w, await runsOf(h, w)] as const)));
  const complete = async () =>
    [...(await runs())].every(([w, r]) => {
      const done = new Set(r.filter((x) => x.finishedAt).map((x) => x.eventKey));
      return expected.get(w)!.every((k) => done.has(k));
    });
  await waitFor(complete, Math.max(0, T0 + 120_000 - Date.now()));
  await sleep(3000); // anything that would (wrongly) fire again or late has had time to
  await kill(child, "SIGTERM");

  const got = await runs();
  const why = `stderr: ${stderr.join("").slice(0, 1500)}`;
  for (const [w, keys] of expected) {
    const r = got.get(w)!;
    assert.deepEqual(r.map((x) => x.eventKey).sort(), [...keys].sort(), `${w.name}: each once, the right ones; ${why}`);
    assert.deepEqual(
      r.filter((x) => x.status !== "succeeded").map((x) => `${x.eventKey} ${x.status}`),
      [],
      `${w.name}: every run finished well`,
    );
  }
  assertOnTime([...got.get(followUps)!, ...got.get(recalls)!]);
  for (const never of [cancelled, noShow, missed])
    assert.ok(!got.get(followUps)!.some((x) => x.eventKey.startsWith(`${never.id}@`)));
  const late = flagWorkflows.flatMap((w) =>
    got.get(w)!.map((x: RunRecord) => Date.parse(x.createdAt) - flaggedAt.get(x.eventKey)!),
  );
  assert.ok(Math.min(...late) >= -1000, `a flag fired ${-Math.min(...late)} ms before it was set`);
  assert.ok(Math.max(...late) <= 60_000, `a flag fired ${Math.max(...late)} ms after it was set`);
  const dueLate = [...got.get(followUps)!, ...got.get(recalls)!].map(
    (x) => Date.parse(x.createdAt) - Date.parse((x.triggerPayload as { due_at: string }).due_at),
  );
  const count = [...got.values()].reduce((n, r) => n + r.length, 0);
  console.log(
    `due serve test: ${JSON.stringify({ database: h.env.DATABASE_URL?.split(":")[0], runs: count, maxDueLateMs: Math.max(...dueLate), maxFlagLateMs: Math.max(...late) })}`,
  );
};

onEveryDatabase(
  "due and flag triggers through serve",
  (x) => {
    h = x;
  },
  () => {
    test(
      "serve SIGKILLed halfway: follow-ups, recalls and class flags fire once each, on time",
      {
        timeout: 180_000,
      },
      scenario,
    );
  },
);
