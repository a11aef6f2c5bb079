/** The control API and fault injection: rate limit, 5xx, drops, latency, touch, clock, log, reset, persistence. */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Sandbox, SandboxClock, startSandbox } from "../../src/sandbox/index.ts";
import { api, authHeaders, control, q } from "./helpers.ts";

describe("rate limit", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ seed: "empty", rateLimit: 5, apiKeys: ["first-key-au1", "second-key-uk1"] });
  });
  after(() => sb.stop());

  it("answers 429 with X-RateLimit-Reset after N requests in a rolling minute, per key", async () => {
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 5; i++) assert.equal((await api(sb, "GET", "/patients")).status, 200);
    const limited = await api(sb, "GET", "/patients");
    assert.equal(limited.status, 429);
    const reset = Number(limited.headers.get("x-ratelimit-reset"));
    assert.ok(reset > before + 59 && reset <= Math.ceil(Date.now() / 1000) + 61, `reset ${reset} vs now ${before}`);
    assert.match(limited.body.message, /5 per minute/);
    const other = await api(sb, "GET", "/patients", undefined, authHeaders("second-key-uk1"));
    assert.equal(other.status, 200, "another key has its own budget");
    // The control API is never limited.
    assert.equal((await control(sb, "GET", "")).status, 200);
  });

  it("can be changed or switched off through the control API", async () => {
    await control(sb, "POST", "/rate-limit", { limit: 0 });
    for (let i = 0; i < 8; i++) assert.equal((await api(sb, "GET", "/patients")).status, 200);
  });
});

describe("fault injection", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ seed: "empty", rateLimit: 0 });
  });
  after(() => sb.stop());

  it("fails the next N matching requests with a 5xx, then recovers", async () => {
    const made = await control(sb, "POST", "/faults", { kind: "error", count: 2, status: 503, path: "/patients" });
    assert.equal(made.status, 201);
    assert.equal((await api(sb, "GET", "/users")).status, 200, "other paths unaffected");
    assert.equal((await api(sb, "GET", "/patients")).status, 503);
    assert.equal((await api(sb, "GET", "/patients")).status, 503);
    assert.equal((await api(sb, "GET", "/patients")).status, 200);
    assert.deepEqual((await control(sb, "GET", "/faults")).body.faults, []);
  });

  it("fails a share of requests", async () => {
    sb.faults.random = (() => {
      let n = 0;
      return () => (n++ % 2 === 0 ? 0.1 : 0.9);
    })();
    await control(sb, "POST", "/faults", { kind: "error", share: 0.5 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(sb, "GET", "/patients")).status);
    assert.deepEqual(statuses, [500, 200, 500, 200]);
    assert.equal((await control(sb, "DELETE", "/faults")).status, 204);
    sb.faults.random = Math.random;
  });

  it("storms 429s with a reset header", async () => {
    await control(sb, "POST", "/faults", { kind: "rate-limit", count: 3, resetInSeconds: 2 });
    for (let i = 0; i < 3; i++) {
      const r = await api(sb, "GET", "/patients");
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get("x-ratelimit-reset")) >= Math.floor(Date.now() / 1000) + 1);
    }
    assert.equal((await api(sb, "GET", "/patients")).status, 200);
  });

  it("drops the connection", async () => {
    await control(sb, "POST", "/faults", { kind: "drop", count: 1, method: "POST" });
    await assert.rejects(api(sb, "POST", "/patients", { first_name: "A", last_name: "B" }));
    assert.equal(sb.store.rows("patients").length, 0, "the dropped write never happened");
    assert.equal((await api(sb, "POST", "/patients", { first_name: "A", last_name: "B" })).status, 201);
  });

  it("adds latency", async () => {
    const fault = await control(sb, "POST", "/faults", { kind: "latency", ms: 150 });
    const t0 = performance.now();
    await api(sb, "GET", "/patients");
    assert.ok(performance.now() - t0 >= 140);
    assert.equal((await control(sb, "DELETE", `/faults/${fault.body.id}`)).status, 204);
  });

  it("rejects a malformed fault with 400", async () => {
    assert.equal((await control(sb, "POST", "/faults", { kind: "meteor" })).status, 400);
    assert.equal((await control(sb, "POST", "/faults", { kind: "error", share: 2 })).status, 400);
  });
});

describe("control API: clock, touch, records, request log, reset", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ seed: "empty", rateLimit: 0, apiKeys: ["secret-key-value-au3"] });
  });
  after(() => sb.stop());

  it("freezes, sets and advances the clock used for timestamps", async () => {
    const state = await control(sb, "POST", "/clock", { set: "2026-05-01T10:00:00Z", freeze: true });
    // Exactly there, not a few ms later: seeds round such moments, and equal seeds must give equal data.
    assert.equal(sb.clock.nowMs(), Date.parse("2026-05-01T10:00:00Z"));
    assert.equal(
      new SandboxClock({ now: "2026-06-10T00:00:00Z", frozen: true }).nowMs(),
      Date.parse("2026-06-10T00:00:00Z"),
    );
    assert.deepEqual(state.body, { frozen: true, now: "2026-05-01T10:00:00Z" });
    const p = await api(sb, "POST", "/patients", { first_name: "Tim", last_name: "Tock" });
    assert.equal(p.body.created_at, "2026-05-01T10:00:00Z");
    await control(sb, "POST", "/clock", { advanceSeconds: 90 });
    const u = await api(sb, "PATCH", `/patients/${p.body.id}`, { first_name: "Tom" });
    assert.equal(u.body.updated_at, "2026-05-01T10:01:30Z");
    assert.equal(u.body.created_at, "2026-05-01T10:00:00Z");
  });

  it("touches N records to the same updated_at, visible to an updated_at:>= poll", async () => {
    for (let i = 0; i < 5; i++) sb.control.create("patients", { archived_at: null });
    await control(sb, "POST", "/clock", { advanceSeconds: 60 });
    const touched = await control(sb, "POST", "/touch", { resource: "patients", count: 4 });
    assert.equal(touched.body.ids.length, 4);
    assert.equal(new Set(touched.body.updated_at).size, 1);
    const poll = await api(sb, "GET", `/patients?${q(`updated_at:>=${touched.body.updated_at[0]}`)}&sort=updated_at`);
    assert.deepEqual(poll.body.patients.map((x: { id: string }) => x.id).sort(), [...touched.body.ids].sort());
    const spread = await control(sb, "POST", "/touch", { resource: "patients", count: 3, sameTimestamp: false });
    assert.equal(new Set(spread.body.updated_at).size, 3);
    assert.equal((await control(sb, "POST", "/touch", { resource: "martians" })).status, 404);
  });

  it("writes records directly: create, update (state fields too), archive, cancel", async () => {
    const made = await control(sb, "POST", "/records/contacts", {
      first_name: "Direct",
      archived_at: null,
      deleted_at: null,
    });
    assert.equal(made.status, 201);
    assert.equal(made.body.first_name, "Direct");
    assert.ok(made.body.last_name, "other fields get realistic values");
    const deleted = await control(sb, "PATCH", `/records/contacts/${made.body.id}`, { deleted_at: sb.clock.iso() });
    assert.ok(deleted.body.deleted_at);
    const hidden = await api(sb, "GET", `/contacts?${q(`id:=${made.body.id}`)}`);
    assert.equal(hidden.body.total_entries, 0);
    const shown = await api(sb, "GET", `/contacts?${q(`id:=${made.body.id}`, "deleted_at:*")}`);
    assert.equal(shown.body.total_entries, 1);
    const archived = await control(sb, "POST", `/records/contacts/${made.body.id}/archive`);
    assert.ok(archived.body.archived_at);
    assert.equal((await control(sb, "POST", `/records/contacts/${made.body.id}/explode`)).status, 404);
  });

  it("logs API requests with the key suffix only, never the key, and not control calls", async () => {
    await control(sb, "DELETE", "/requests");
    await api(sb, "GET", `/patients?per_page=1&${q("first_name:~T")}`);
    await api(sb, "GET", "/patients", undefined, { "User-Agent": "x (x@example.com)" });
    const log = (await control(sb, "GET", "/requests")).body.requests;
    assert.equal(log.length, 2);
    assert.deepEqual(
      log.map((e: { method: string; path: string; status: number; keySuffix: string | null }) => [
        e.method,
        e.path,
        e.status,
        e.keySuffix,
      ]),
      [
        ["GET", "/v1/patients", 200, "au3"],
        ["GET", "/v1/patients", 401, null],
      ],
    );
    assert.match(log[0].query, /per_page=1/);
    assert.ok(!JSON.stringify(log).includes("secret-key-value"));
    assert.equal(sb.requestLog.entries().length, 2);
  });

  it("resets to a seed, clearing faults and the log", async () => {
    await control(sb, "POST", "/faults", { kind: "latency", ms: 1 });
    const r = await control(sb, "POST", "/reset", { seed: "demo", seedNumber: 7 });
    assert.equal(r.status, 200);
    assert.equal(r.body.counts.patients, 300);
    assert.deepEqual(r.body.faults, []);
    assert.equal(sb.requestLog.entries().length, 0);
    assert.equal((await api(sb, "GET", "/user")).status, 200);
    assert.equal((await control(sb, "POST", "/reset", { seed: "galaxy" })).status, 400);
  });
});

describe("demo seed", () => {
  it("is deterministic for a seed number and fast", async () => {
    const clock = { now: "2026-06-10T00:00:00Z", frozen: true };
    const t0 = performance.now();
    const a = await startSandbox({ seed: "demo", seedNumber: 3, clock });
    const took = performance.now() - t0;
    const b = await startSandbox({ seed: "demo", seedNumber: 3, clock });
    const c = await startSandbox({ seed: "demo", seedNumber: 4, clock });
    try {
      assert.ok(took < 2000, `seeding took ${took} ms`);
      assert.deepEqual(a.store.snapshot(), b.store.snapshot());
      assert.notDeepEqual(a.store.snapshot().tables.patients, c.store.snapshot().tables.patients);
      const counts = a.store.counts();
      assert.equal(counts.businesses, 2);
      assert.equal(counts.practitioners, 6);
      assert.equal(counts.patients, 300);
      for (const t of [
        "individual_appointments",
        "group_appointments",
        "invoices",
        "invoice_items",
        "communications",
      ]) {
        assert.ok((counts[t] ?? 0) > 5, t);
      }
      const appts = a.store.rows("individual_appointments");
      assert.ok(
        appts.some((x) => x.cancelled_at != null),
        "some cancelled",
      );
      assert.ok(
        appts.some((x) => String(x.starts_at) > "2026-06-10") && appts.some((x) => String(x.starts_at) < "2026-06-10"),
      );
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});

describe("persistence (--data)", () => {
  it("keeps state and the generated key across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-data-"));
    const file = join(dir, "sandbox.json");
    try {
      const first = await startSandbox({ seed: "empty", dataFile: file });
      const made = await api(first, "POST", "/patients", { first_name: "Kept", last_name: "Across" });
      await first.stop();
      assert.ok(readFileSync(file, "utf8").includes("Kept"));
      // It holds the API key and every record: owner-only, and set back to that when found looser.
      assert.equal(statSync(file).mode & 0o777, 0o600);
      chmodSync(file, 0o644);
      const second = await startSandbox({ dataFile: file });
      try {
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(second.apiKey, first.apiKey);
        const got = await api(second, "GET", `/patients/${made.body.id}`);
        assert.equal(got.body.first_name, "Kept");
        const next = await api(second, "POST", "/patients", { first_name: "New", last_name: "One" });
        assert.ok(BigInt(next.body.id) > BigInt(made.body.id), "ids continue");
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unreadable or foreign data file with a message naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-data-"));
    try {
      const corrupt = join(dir, "corrupt.json");
      writeFileSync(corrupt, "{nope");
      await assert.rejects(startSandbox({ dataFile: corrupt }), /Cannot read the sandbox data file .*corrupt\.json/);
      const foreign = join(dir, "foreign.json");
      writeFileSync(foreign, JSON.stringify({ hello: "world" }));
      await assert.rejects(startSandbox({ dataFile: foreign }), /foreign\.json is not a sandbox snapshot/);
      await assert.rejects(
        startSandbox({ dataFile: join(dir, "missing-dir", "s.json") }),
        /Cannot write the sandbox data file .*s\.json: ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
