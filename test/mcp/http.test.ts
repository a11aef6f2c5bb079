/**
 * `/mcp` under the HTTP server (Streamable HTTP, stateless), driven by the SDK's own client
 * against the sandbox: the API's bearer tokens guard it, and it offers and does what stdio does.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { AuthStore } from "../../src/server/auth.ts";
import { type Stack, startStack } from "../server/harness.ts";
import { assertDefaultListing, call, resultOf, textOf } from "./helpers.ts";

async function connect(stack: Stack, token: string): Promise<Client> {
  const client = new Client({ name: "test-assistant", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** A stack whose `default` connection is its sandbox, and an API token for it. */
async function stackWithToken(): Promise<{ stack: Stack; token: string }> {
  const stack = await startStack();
  await stack.store.connections.save(
    { name: "default", apiKey: stack.sandbox.apiKey, email: "ops@clinic.test", baseUrl: stack.sandbox.baseUrl },
    "test",
  );
  const { token } = await new AuthStore(stack.store.database.db).createToken("assistant");
  return { stack, token };
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};

describe("MCP over HTTP at /mcp", () => {
  let stack: Stack;
  let token: string;
  let client: Client;

  before(async () => {
    ({ stack, token } = await stackWithToken());
    client = await connect(stack, token);
  });
  after(async () => {
    await client.close();
    await stack.stop();
  });

  it("answers 401 without a token or with a wrong one, and sends nothing to Cliniko", async () => {
    stack.sandbox.requestLog.clear();
    const headers = { accept: "application/json, text/event-stream" };
    for (const auth of [undefined, "cft_not-a-token"]) {
      const res = await stack.call("POST", "/mcp", { body: initialize, headers, ...(auth ? { token: auth } : {}) });
      assert.equal(res.status, 401);
      assert.equal((res.json as { error: string }).error, "unauthorized");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    const cookie = await stack.login();
    const bySession = await stack.call("POST", "/mcp", { body: initialize, headers, cookie });
    assert.equal(bySession.status, 401, "a browser session is not an API token");
    const viaClient = new Client({ name: "no-token", version: "1" });
    await assert.rejects(viaClient.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`))));
    assert.deepEqual(stack.sandbox.requestLog.entries(), []);
  });

  it("answers 405 to GET and DELETE with a token (stateless: no stream, no session)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await stack.call(method, "/mcp", { token, headers: { accept: "text/event-stream" } });
      assert.equal(res.status, 405);
    }
  });

  it("lists the default toolset within 40 tools and 60 KB", async () => {
    assertDefaultListing((await client.listTools()).tools);
  });

  it("creates and finds a patient in the sandbox; refuses invalid input and destructive tools before any request", async () => {
    const created = resultOf<{ id: string }>(
      await call(client, "create_patient", { first_name: "Grace", last_name: "Hopper" }),
    );
    assert.equal(stack.sandbox.store.get("patients", created.id)?.last_name, "Hopper");
    assert.equal(
      resultOf<{ first_name: string }>(await call(client, "find_patient", { id: created.id })).first_name,
      "Grace",
    );

    stack.sandbox.requestLog.clear();
    const invalid = await call(client, "update_patient", { id: created.id, date_of_birth: "yesterday" });
    assert.equal(invalid.isError, true);
    assert.match(textOf(invalid), /Invalid input for update_patient: date_of_birth/);
    const refused = await call(client, "delete_patient", { id: created.id });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /CLINIKO_FLOW_MCP_ALLOW=delete_patient/);
    assert.deepEqual(stack.sandbox.requestLog.entries(), []);
  });

  it("answers a job tool, lists the prompts and resource templates, and reads a patient", async () => {
    const created = resultOf<{ id: string }>(
      await call(client, "create_patient", { first_name: "Katherine", last_name: "Johnson" }),
    );
    const found = (await call(client, "search_patients", { query: "katherine johnson" })).structuredContent as {
      patients: { id: string }[];
    };
    assert.equal(found.patients[0]?.id, created.id);
    assert.ok((await client.listPrompts()).prompts.length >= 5);
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    assert.ok(templates.includes("cliniko://patients/{id}") && templates.includes("cliniko://appointments/{date}"));
    const read = await client.readResource({ uri: `cliniko://patients/${created.id}` });
    assert.equal(JSON.parse((read.contents[0] as { text: string }).text).first_name, "Katherine");
  });

  it("finds a free slot and books it; the same slot again is refused", async () => {
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const practitioner = stack.sandbox.store.rows("practitioners").find((p) => p.active !== false)!;
    const found = (
      await call(client, "find_free_slots", { from: day(8), to: day(12), practitioner_id: practitioner.id })
    ).structuredContent as { slots: Record<string, string>[] };
    const slot = found.slots[0]!;
    const patient = stack.sandbox.store.rows("patients").find((p) => !p.archived_at)!;
    const booking = {
      patient_id: patient.id,
      practitioner_id: slot.practitioner_id,
      appointment_type_id: slot.appointment_type_id,
      business_id: slot.business_id,
      starts_at: slot.starts_at,
    };
    const booked = await call(client, "book_appointment", booking);
    assert.notEqual(booked.isError, true, textOf(booked));
    const id = (booked.structuredContent as { appointment: { id: string } }).appointment.id;
    assert.equal(stack.sandbox.store.get("individual_appointments", id)?.patient_id, patient.id);
    const again = await call(client, "book_appointment", booking);
    assert.equal(again.isError, true);
    assert.match(textOf(again), /not free/);
  });

  it("audits the calls as the token's, over http, without the Cliniko key, the API token or patient data", async () => {
    const entries = (await stack.store.audit.list(1000)).filter((e) => e.action === "mcp.tool_call");
    assert.ok(entries.length >= 4);
    for (const e of entries) {
      assert.equal(e.actor, "token");
      assert.equal((e.detail as { transport: string }).transport, "http");
    }
    const create = entries.find((e) => e.subject === "create_patient")!.detail as {
      connection: string;
      outcome: string;
    };
    assert.deepEqual([create.connection, create.outcome], ["default", "ok"]);
    const text = JSON.stringify(entries);
    for (const secret of [stack.sandbox.apiKey, token, "Grace", "Hopper", "Katherine"])
      assert.ok(!text.includes(secret));
  });
});

describe("MCP over HTTP with CLINIKO_FLOW_MCP_ALLOW and CLINIKO_FLOW_MCP_TOOLSETS", () => {
  it("offers the chosen toolsets and runs the allowed destructive tool (an archive round trip)", async () => {
    process.env.CLINIKO_FLOW_MCP_ALLOW = "delete_patient";
    process.env.CLINIKO_FLOW_MCP_TOOLSETS = "default,billing";
    let stack: Stack | undefined;
    try {
      const started = await stackWithToken();
      stack = started.stack;
      const client = await connect(stack, started.token);
      try {
        const names = (await client.listTools()).tools.map((t) => t.name);
        assert.ok(names.includes("delete_patient") && !names.includes("cancel_individual_appointment"));
        assert.ok(names.includes("list_billable_items") && names.includes("search_patients"));
        assert.ok(!names.includes("list_treatment_notes"), "clinical is not chosen");
        const patient = resultOf<{ id: string }>(
          await call(client, "create_patient", { first_name: "Arch", last_name: "Ived" }),
        );
        assert.notEqual((await call(client, "delete_patient", { id: patient.id })).isError, true);
        assert.ok(stack.sandbox.store.get("patients", patient.id)?.archived_at);
        const found = resultOf<{ archived_at: string | null }>(await call(client, "find_patient", { id: patient.id }));
        assert.ok(found.archived_at, "find_patient sees the archive");
      } finally {
        await client.close();
      }
    } finally {
      delete process.env.CLINIKO_FLOW_MCP_ALLOW;
      delete process.env.CLINIKO_FLOW_MCP_TOOLSETS;
      await stack?.stop();
    }
  });
});
