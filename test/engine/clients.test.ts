/** The client provider: it owns the key's limiter, paced by CLINIKO_FLOW_RATE_LIMIT, and reports it. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalLimiters } from "../../src/cliniko/rate-limit.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { FakeClock } from "../cliniko/support/fake-clock.ts";
import { json, startServer, type TestServer, testKey } from "../cliniko/support/server.ts";

let server: TestServer;
let store: Store;
let dir: string;
before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "cf-clients-"));
  store = await openStore({ env: { DATABASE_URL: `sqlite:${join(dir, "flow.db")}` } });
});
after(async () => {
  await store.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const envOf = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  CLINIKO_API_KEY: testKey(),
  CLINIKO_EMAIL: "ops@clinic.test",
  CLINIKO_BASE_URL: server.baseUrl,
  ...extra,
});

const settle = () => new Promise((r) => setTimeout(r, 150));

describe("client provider: the limiter it owns", () => {
  it("CLINIKO_FLOW_RATE_LIMIT=2 lets at most 2 requests start per rolling minute (not only 0 is honoured)", async () => {
    server.handle((_req, res) => json(res, 200, { id: "u" }));
    const clock = new FakeClock(Date.now());
    const clients = new ClientProvider(store, { env: envOf({ CLINIKO_FLOW_RATE_LIMIT: "2" }), clock });
    const { client } = await clients.resolve();
    const sent = Array.from({ length: 3 }, () => client.request({ method: "GET", path: "/user" }));
    for (let i = 0; i < 50 && server.requests.length < 2; i++) await settle();
    await settle();
    assert.equal(server.requests.length, 2, "the third waits for the window instead of being sent");
    assert.equal(clients.limiterStats()[0]?.queued, 1);
    await clock.advance(60_000 + 1_200); // the minute plus our 2 % margin
    await Promise.all(sent);
    assert.equal(server.requests.length, 3);
    assert.equal(clients.limiterStats()[0]?.waits, 1);
  });

  it("CLINIKO_FLOW_RATE_LIMIT=0 turns pacing off; unset keeps Cliniko's 200 per minute", async () => {
    server.handle((_req, res) => json(res, 200, { id: "u" }));
    const off = new ClientProvider(store, { env: envOf({ CLINIKO_FLOW_RATE_LIMIT: "0" }) });
    const { client } = await off.resolve();
    await Promise.all(Array.from({ length: 250 }, () => client.request({ method: "GET", path: "/user" })));
    assert.equal(server.requests.length, 250);
    assert.equal(off.limiterStats()[0]?.waits, 0);
    server.handle((_req, res) => json(res, 200, { id: "u" }));
    const clock = new FakeClock(Date.now());
    const paced = new ClientProvider(store, { env: envOf({}), clock });
    const c = (await paced.resolve()).client;
    const sent = Array.from({ length: 201 }, () => c.request({ method: "GET", path: "/user" }));
    for (let i = 0; i < 50 && server.requests.length < 200; i++) await settle();
    await settle();
    assert.equal(server.requests.length, 200);
    await clock.advance(61_200);
    await Promise.all(sent);
    assert.equal(server.requests.length, 201);
  });

  it("refuses a CLINIKO_FLOW_RATE_LIMIT that is not a whole number, in one sentence", () => {
    assert.throws(
      () => new ClientProvider(store, { env: envOf({ CLINIKO_FLOW_RATE_LIMIT: "fast" }) }),
      /CLINIKO_FLOW_RATE_LIMIT must be a whole number of requests per minute \(0 turns pacing off\), not "fast"\./,
    );
  });

  it("clients of two connections on one key share the provider's limiter, and an injected registry is used", async () => {
    server.handle((_req, res) => json(res, 200, { id: "u" }));
    const apiKey = testKey();
    await store.connections.save({ name: "a", apiKey, email: "a@clinic.test", baseUrl: server.baseUrl });
    await store.connections.save({ name: "b", apiKey, email: "b@clinic.test", baseUrl: server.baseUrl });
    const limiters = new LocalLimiters({ limit: 5 });
    const clients = new ClientProvider(store, { env: {}, limiters });
    const a = await clients.resolve("a");
    const b = await clients.resolve("b");
    await a.client.request({ method: "GET", path: "/user" });
    await b.client.request({ method: "GET", path: "/user" });
    assert.equal(limiters.stats().length, 1, "one key, one limiter");
    assert.equal(clients.limiterStats()[0]?.requests, 2);
  });
});
