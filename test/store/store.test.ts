import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sql } from "kysely";
import { openStore, parseDatabaseUrl } from "../../src/store/index.ts";
import { onEveryStore } from "./on-every-store.ts";

/** The same contract on both dialects. */
onEveryStore("store", (ctx) => {
  test("migrating twice is harmless", async () => {
    const again = await openStore({ env: ctx.env });
    await again.close();
  });

  test("connections: the API key is encrypted at rest and never listed", async () => {
    await ctx.store.connections.save({
      name: "main",
      apiKey: "MS0xLTEyMzQ1Njc4OTAtYXUy-au2",
      email: "ops@clinic.test",
    });
    const raw = await sql<{ api_key_enc: string }>`select api_key_enc from connections`.execute(ctx.store.database.db);
    assert.ok(!raw.rows[0]!.api_key_enc.includes("MS0xLTEy"));
    const listed = await ctx.store.connections.list();
    assert.equal(listed.length, 1);
    assert.ok(!JSON.stringify(listed).includes("MS0xLTEy"));
    assert.equal(listed[0]!.keyHint, "…-au2");
    assert.equal((await ctx.store.connections.get("main")).apiKey, "MS0xLTEyMzQ1Njc4OTAtYXUy-au2");
    const secret = join(ctx.dir, "data", "secret.key");
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    // The same database read with a different secret says so in one sentence.
    const other = await openStore({ env: { ...ctx.env, CLINIKO_FLOW_SECRET: "another-secret-of-enough-length" } });
    await assert.rejects(other.connections.get("main"), /cannot be decrypted.*CLINIKO_FLOW_SECRET/);
    await other.close();
    assert.equal(await ctx.store.connections.remove("main"), true);
    assert.equal(await ctx.store.connections.find("main"), undefined);
    const audit = await ctx.store.audit.list();
    assert.deepEqual(
      audit.slice(0, 2).map((a) => a.action),
      ["connection.removed", "connection.added"],
    );
    assert.ok(!JSON.stringify(audit).includes("MS0xLTEy"));
    assert.ok(!readFileSync(secret, "utf8").includes("MS0x"));
  });

  test("workflows are versioned and runs keep the version they ran", async () => {
    const w1 = await ctx.store.workflows.save("wf", { name: "wf", steps: [1] });
    assert.equal(w1.version, 1);
    assert.ok(w1.activatedAt);
    const same = await ctx.store.workflows.save("wf", { name: "wf", steps: [1] });
    assert.equal(same.version, 1);
    const w2 = await ctx.store.workflows.save("wf", { name: "wf", steps: [1, 2] });
    assert.equal(w2.version, 2);
    assert.deepEqual(await ctx.store.workflows.definitionAt(w2.id, 1), { name: "wf", steps: [1] });
    const runId = await ctx.store.runs.enqueue({
      workflowId: w2.id,
      workflowVersion: 2,
      triggerKey: "t",
      eventKey: "e",
      payload: { a: 1 },
    });
    assert.equal((await ctx.store.runs.find(runId))!.workflowVersion, 2);
    await ctx.store.workflows.setEnabled("wf", false);
    assert.equal(
      (await ctx.store.workflows.listActive()).some((w) => w.name === "wf"),
      false,
    );
    await ctx.store.workflows.setEnabled("wf", true);
    await ctx.store.workflows.pause([w2.id], "Cliniko rejected the API key");
    assert.equal((await ctx.store.workflows.get("wf")).pausedReason, "Cliniko rejected the API key");
    await ctx.store.workflows.setEnabled("wf", true);
    assert.equal((await ctx.store.workflows.get("wf")).pausedReason, null);
  });

  test("a poll commit dedupes by seen keys, only moves the cursor forward, prunes old keys", async () => {
    const w = await ctx.store.workflows.save("poll", { name: "poll" });
    await ctx.store.polling.ensureCursor("main", "patients", "2024-01-01T00:00:00.000Z");
    const ev = (id: string, t: string) => ({
      workflowId: w.id,
      workflowVersion: 1,
      triggerKey: "updated_patient",
      eventKey: `${id}@${t}`,
      eventTime: t,
      payload: { id },
    });
    const first = await ctx.store.polling.commit({
      connectionKey: "main",
      pollKey: "patients",
      cursor: "2024-01-02T00:00:00.000Z",
      events: [ev("1", "2024-01-02T00:00:00.000Z"), ev("2", "2024-01-01T12:00:00.000Z")],
    });
    assert.equal(first.runIds.length, 2);
    const again = await ctx.store.polling.commit({
      connectionKey: "main",
      pollKey: "patients",
      cursor: "2024-01-01T06:00:00.000Z",
      events: [ev("1", "2024-01-02T00:00:00.000Z"), ev("3", "2024-01-02T00:00:00.000Z")],
      pruneBefore: "2024-01-01T23:00:00.000Z",
    });
    assert.deepEqual([again.runIds.length, again.duplicates], [1, 1]);
    assert.equal((await ctx.store.polling.cursor("main", "patients"))!.cursor, "2024-01-02T00:00:00.000Z");
    assert.deepEqual(
      [...(await ctx.store.polling.seen(w.id, ["1@2024-01-02T00:00:00.000Z", "2@2024-01-01T12:00:00.000Z"]))],
      ["1@2024-01-02T00:00:00.000Z"],
    );
    assert.equal((await ctx.store.runs.list({ workflowId: w.id })).length, 3);
  });

  test("claiming is compare-and-set; replay copies the steps before the failure", async () => {
    const w = await ctx.store.workflows.save("claim", { name: "claim" });
    const id = await ctx.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: 1,
      triggerKey: "t",
      eventKey: "k",
      payload: { x: 1 },
    });
    const [run] = await ctx.store.runs.candidates({ workflowIds: [w.id] });
    assert.equal(await ctx.store.runs.claim(run!, "a", 1000), true);
    assert.equal(await ctx.store.runs.claim(run!, "b", 1000), false);
    await ctx.store.runs.startStep(id, "one", 0, { a: 1 });
    await ctx.store.runs.finishStep(id, "one", { status: "succeeded", output: { ok: true } });
    await ctx.store.runs.startStep(id, "two", 1, { b: 1 });
    await ctx.store.runs.finishStep(id, "two", { status: "failed", error: "boom" });
    await ctx.store.runs.finish(id, "failed", "boom");
    const replay = await ctx.store.runs.replay(id, { fromStart: false });
    assert.deepEqual(
      (await ctx.store.runs.steps(replay)).map((s) => s.stepId),
      ["one"],
    );
    assert.deepEqual((await ctx.store.runs.find(replay))!.triggerPayload, { x: 1 });
    const fresh = await ctx.store.runs.replay(id, { fromStart: true });
    assert.deepEqual(await ctx.store.runs.steps(fresh), []);
    await ctx.store.runs.scrub(id);
    assert.equal((await ctx.store.runs.find(id))!.triggerPayload, null);
    assert.equal((await ctx.store.runs.steps(id))[0]!.output, null);
    assert.equal((await ctx.store.runs.prune(new Date(Date.now() + 1000).toISOString())) >= 1, true);
    assert.equal(await ctx.store.runs.find(id), undefined);
  });
});

test("bad DATABASE_URL values get one clear sentence, without the password", () => {
  assert.throws(() => parseDatabaseUrl("mysql://u:p@h/db"), /unsupported scheme "mysql:"/);
  assert.throws(() => parseDatabaseUrl("./file.db"), /must start with sqlite: or postgres:\/\//);
  assert.throws(() => parseDatabaseUrl("sqlite:"), /names no SQLite file/);
  assert.throws(
    () => parseDatabaseUrl("postgres://u:hunter2@"),
    (e: Error) => !e.message.includes("hunter2"),
  );
  assert.equal(parseDatabaseUrl("sqlite:./data/x.db").dialect, "sqlite");
  assert.equal(parseDatabaseUrl("postgresql://u@localhost/db").dialect, "postgres");
});

test("an unreachable PostgreSQL server is reported without credentials", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cf-store-"));
  await assert.rejects(
    openStore({ env: { DATABASE_URL: "postgres://u:hunter2@127.0.0.1:1/db", CLINIKO_FLOW_DATA_DIR: dir } }),
    (e: Error) =>
      /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/db/.test(e.message) && !e.message.includes("hunter2"),
  );
  rmSync(dir, { recursive: true, force: true });
});
