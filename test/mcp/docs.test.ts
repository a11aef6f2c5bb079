/**
 * docs/mcp.md's configuration for a checkout, started as written (paths, key and database swapped
 * for this checkout and a sandbox) with the SDK's own client: the block a reader copies works.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type Harness, harness } from "../engine/helpers.ts";
import { call, textOf } from "./helpers.ts";

const root = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

interface ServerConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
}

function checkoutConfig(): ServerConfig {
  const doc = readFileSync(`${root}/docs/mcp.md`, "utf8");
  const block = /<!-- checkout-config -->\s*```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/mcp.md has the checkout configuration");
  return (JSON.parse(block) as { mcpServers: Record<string, ServerConfig> }).mcpServers.cliniko!;
}

describe("docs/mcp.md: the checkout configuration", () => {
  let h: Harness;
  let client: Client;
  before(async () => {
    h = await harness({ seed: "demo" });
  });
  after(async () => {
    await client?.close();
    await h.close();
  });

  it("starts the server as written and answers with the sandbox's data", async () => {
    const config = checkoutConfig();
    assert.equal(config.command, "node");
    const args = config.args.map((a) => a.replace("/path/to/cliniko-flow", root));
    assert.equal(args[0], `${root}/bin/cliniko-flow.js`);
    // The documented variables, with this test's values; the rest of the harness's environment
    // (the sandbox's address, no rate limit) as a desktop assistant would pass nothing else.
    assert.deepEqual(Object.keys(config.env).sort(), ["CLINIKO_API_KEY", "CLINIKO_EMAIL", "DATABASE_URL"]);
    const env = { ...h.env } as Record<string, string>;
    client = new Client({ name: "docs-reader", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args, env, stderr: "pipe" }));
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes("day_schedule") && names.includes("list_treatment_notes"), "default and clinical");
    for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, `${t.name}: --read-only`);
    const r = await call(client, "search_patients", { query: String(h.sandbox.store.rows("patients")[0]!.last_name) });
    assert.notEqual(r.isError, true, textOf(r));
  });
});
