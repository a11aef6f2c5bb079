/**
 * API tokens have a scope (read, write, mcp-read), may expire, show when they were last used, and
 * stop working when the admin password changes unless kept on purpose.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { AuthStore } from "../../src/server/auth.ts";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };

describe("API tokens", () => {
  let s: Stack;
  let cookie: string;
  let auth: AuthStore;
  before(async () => {
    s = await startStack();
    cookie = await s.login();
    auth = new AuthStore(s.store.database.db);
    await s.store.connections.save(
      { name: "default", apiKey: s.sandbox.apiKey, email: "ops@clinic.test", baseUrl: s.sandbox.baseUrl },
      "test",
    );
  });
  after(() => s.stop());

  async function create(body: Record<string, unknown>) {
    const res = await s.call("POST", "/api/tokens", { cookie, headers: WRITE, body });
    assert.equal(res.status, 201, res.text);
    return res.json as { id: string; token: string; scope: string; expiresAt: string | null };
  }
  const definition = (name: string) => ({
    name,
    trigger: { key: "webhook" },
    steps: [{ id: "f", action: "filter", input: { condition: "{{ true }}" } }],
  });

  test("a read token reads the API and cannot change anything; a write token can", async () => {
    const read = await create({ name: "dashboard", scope: "read" });
    const write = await create({ name: "deploy" });
    assert.equal(write.scope, "write", "the default scope");
    assert.equal((await s.call("GET", "/api/workflows", { token: read.token })).status, 200);
    const refused = await s.call("POST", "/api/workflows", {
      token: read.token,
      body: { definition: definition("R") },
    });
    assert.equal(refused.status, 403, refused.text);
    assert.match((refused.json as { message: string }).message, /only read/);
    assert.equal((await s.call("DELETE", `/api/tokens/${write.id}`, { token: read.token })).status, 403);
    const made = await s.call("POST", "/api/workflows", { token: write.token, body: { definition: definition("W") } });
    assert.equal(made.status, 201, made.text);
  });

  test("an mcp-read token reaches only MCP's read-only tools", async () => {
    const mcp = await create({ name: "assistant", scope: "mcp-read" });
    assert.equal((await s.call("GET", "/api/workflows", { token: mcp.token })).status, 403);
    const client = new Client({ name: "t", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${mcp.token}` } },
      }),
    );
    try {
      const tools = (await client.listTools()).tools;
      assert.ok(tools.length > 0);
      assert.ok(!tools.some((t) => t.name === "create_patient"), "no write tool is offered");
      assert.ok(
        tools.every((t) => t.annotations?.readOnlyHint === true),
        tools
          .filter((t) => !t.annotations?.readOnlyHint)
          .map((t) => t.name)
          .join(","),
      );
    } finally {
      await client.close();
    }
  });

  test("an expired token is refused; the list shows scope, expiry and last use", async () => {
    const soon = await create({ name: "short", scope: "read", expiresAt: new Date(Date.now() + 1500).toISOString() });
    assert.equal((await s.call("GET", "/api/runs", { token: soon.token })).status, 200);
    await new Promise((r) => setTimeout(r, 1600));
    const late = await s.call("GET", "/api/runs", { token: soon.token });
    assert.equal(late.status, 401);
    assert.match((late.json as { message: string }).message, /expired/);
    const past = await s.call("POST", "/api/tokens", {
      cookie,
      headers: WRITE,
      body: { name: "past", expiresAt: "2020-01-01T00:00:00Z" },
    });
    assert.equal(past.status, 400);
    const list = (await s.call("GET", "/api/tokens", { cookie })).json as {
      name: string;
      scope: string;
      expiresAt: string | null;
      lastUsedAt: string | null;
    }[];
    const short = list.find((t) => t.name === "short")!;
    assert.equal(short.scope, "read");
    assert.ok(short.expiresAt && short.lastUsedAt, JSON.stringify(short));
    assert.equal(list.find((t) => t.name === "deploy")?.expiresAt, null);
  });

  test("a password change revokes every token, unless asked to keep them", async () => {
    const kept = await create({ name: "kept" });
    await auth.setPassword("a new password 1", { keepTokens: true });
    assert.equal((await s.call("GET", "/api/runs", { token: kept.token })).status, 200);
    await auth.setPassword("a new password 2");
    assert.equal((await s.call("GET", "/api/runs", { token: kept.token })).status, 401);
    assert.deepEqual(await auth.listTokens(), []);
  });
});
