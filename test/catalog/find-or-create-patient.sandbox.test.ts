/**
 * Find or Create Patient against the demo sandbox over real HTTP: a match by email regardless of
 * case, else by name and date of birth, else one new patient; and, as a write-once step, a create
 * whose answer never came is not sent again by the runner.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { action } from "../../src/catalog/index.ts";
import { stepKind } from "../../src/steps/registry.ts";
import { executeRun, type Harness, harness, queueRun, workflow } from "../engine/helpers.ts";
import { type Fixture, openSandbox } from "./support.ts";

type Answer = { patient: { id: string; email: string | null; first_name: string }; created: boolean };

describe("find_or_create_patient", () => {
  let fx: Fixture;
  const run = async (input: Record<string, unknown>) =>
    (await action("find_or_create_patient").run(fx.client, input)) as Answer;
  const count = () => fx.sb.store.rows("patients").length;

  before(async () => {
    fx = await openSandbox();
  });
  after(() => fx.stop());

  it("finds the patient by email whatever its case, without creating anyone", async () => {
    const id = fx.sb.control.create("patients", {
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada.lovelace@clinic.example",
    }).id;
    const before = count();
    const found = await run({ first_name: "Someone", last_name: "Else", email: "Ada.Lovelace@Clinic.EXAMPLE" });
    assert.equal(found.created, false);
    assert.equal(found.patient.id, id);
    assert.equal(count(), before);
  });

  it("else by first name, last name and date of birth (regardless of case), not by a near miss", async () => {
    const id = fx.sb.control.create("patients", {
      first_name: "Grace",
      last_name: "Hopper",
      date_of_birth: "1906-12-09",
      email: "grace@navy.example",
    }).id;
    fx.sb.control.create("patients", { first_name: "Grace", last_name: "Hopperton", date_of_birth: "1906-12-09" });
    const before = count();
    const found = await run({
      first_name: "grace",
      last_name: "HOPPER",
      date_of_birth: "1906-12-09",
      email: "new.address@example.com",
    });
    assert.deepEqual([found.created, found.patient.id], [false, id]);
    const other = await run({ first_name: "Grace", last_name: "Hopper", date_of_birth: "1906-12-10" });
    assert.equal(other.created, true, "another date of birth is another person");
    assert.equal(count(), before + 1);
  });

  it("creates one patient with the given fields, and finds that one the next time", async () => {
    const before = count();
    const input = {
      first_name: "Mary",
      last_name: "Somerville",
      email: "mary.s@example.com",
      notes: "from the web form",
    };
    const made = await run(input);
    assert.equal(made.created, true);
    assert.equal(made.patient.email, "mary.s@example.com");
    assert.equal(fx.row("patients", made.patient.id)!.notes, "from the web form");
    const again = await run(input);
    assert.deepEqual([again.created, again.patient.id], [false, made.patient.id]);
    assert.equal(count(), before + 1);
  });

  it("does not match an archived patient, and refuses input without a name before any request", async () => {
    fx.sb.control.create("patients", {
      first_name: "Old",
      last_name: "Record",
      email: "archived@example.com",
      archived_at: "2025-01-01T00:00:00Z",
    });
    const made = await run({ first_name: "Old", last_name: "Record", email: "archived@example.com" });
    assert.equal(made.created, true);
    fx.clearLog();
    await assert.rejects(run({ email: "x@example.com" }), /last_name|first_name/);
    assert.deepEqual(fx.requests(), []);
  });

  it("is a write-once step: safety comes from its create, like Create Patient's", () => {
    assert.equal(
      stepKind("find_or_create_patient").safety({ id: "s", action: "find_or_create_patient" }),
      "write-once",
    );
  });
});

describe("find_or_create_patient in a run", () => {
  let h: Harness;
  before(async () => {
    h = await harness({ clinikoTimeoutMs: 300 });
  });
  after(() => h.close());

  const execute = async (input: Record<string, unknown>) => {
    const def = workflow({
      trigger: { key: "webhook" },
      steps: [{ id: "patient", action: "find_or_create_patient", input }],
    });
    return executeRun(h, await queueRun(h, def, {}));
  };
  const named = (last: string) => h.sandbox.store.rows("patients").filter((p) => p.last_name === last);

  it("a search that fails for a moment is retried; the patient is created once", async () => {
    h.sandbox.requestLog.clear();
    const fault = h.sandbox.faults.add({ kind: "error", count: 1, status: 503, method: "GET", path: "/patients" });
    try {
      const { run, steps } = await execute({ first_name: "Re", last_name: "Try", email: "re.try@example.com" });
      assert.equal(run.status, "succeeded", run.error ?? "");
      assert.equal((steps[0]!.output as Answer).created, true);
      const log = h.sandbox.requestLog.entries();
      assert.ok(
        log.some((r) => r.method === "GET" && r.status === 503),
        "the search failed once",
      );
      assert.equal(log.filter((r) => r.method === "POST").length, 1);
    } finally {
      h.sandbox.faults.remove(fault.id);
    }
    assert.equal(named("Try").length, 1);
  });

  it("a create whose answer never came is unknown, never sent twice", async () => {
    const fault = h.sandbox.faults.add({ kind: "latency", ms: 1500, method: "POST", path: "/patients" });
    try {
      const { run, steps } = await execute({ first_name: "Tim", last_name: "Eout", email: "tim@example.com" });
      assert.equal(run.status, "unknown");
      assert.match(steps[0]!.error ?? "", /may or may not/);
      assert.equal(steps[0]!.attempts, 1);
    } finally {
      h.sandbox.faults.remove(fault.id);
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(named("Eout").length <= 1);
  });
});
