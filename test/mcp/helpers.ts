/** Shared by the MCP suites: the SDK's own client over stdio, and what tools/list must hold. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { action, actions } from "../../src/catalog/index.ts";

export const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

/** The tools that operate the automation (everything that is not a catalogue action). */
export const FLOW_TOOLS = [
  "flow_list_workflows",
  "flow_enable_workflow",
  "flow_disable_workflow",
  "flow_list_runs",
  "flow_show_run",
  "flow_replay_run",
  "flow_poll_trigger",
];

/** Written out here rather than taken from src/mcp: the test states which kinds are destructive. */
export const destructive = (key: string) => ["delete", "archive", "cancel"].includes(action(key).kind);

export async function stdioClient(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "mcp", ...args],
    env: env as Record<string, string>,
    stderr: "pipe",
  });
  const client = new Client({ name: "test-assistant", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

export function resultOf<T = Record<string, unknown>>(r: CallToolResult): T {
  assert.notEqual(r.isError, true, textOf(r));
  return (r.structuredContent as { result: T }).result;
}

/**
 * tools/list of a server with the default policy: every catalogue action that is not
 * destructive, with the catalogue's own schema, title and annotations, then the flow tools.
 */
export function assertDefaultListing(tools: Tool[]): void {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const expected = actions.filter((a) => !destructive(a.key));
  assert.equal(tools.length, expected.length + FLOW_TOOLS.length);
  for (const a of expected) {
    const t = byName.get(a.key);
    assert.ok(t, `${a.key} is listed`);
    assert.deepEqual(t.inputSchema, a.inputSchema, `${a.key} has the catalogue's input schema`);
    assert.equal(t.title, a.title);
    assert.ok(t.description?.startsWith(a.description));
    const read = a.method === "GET" || a.kind === "find" || a.kind === "list";
    assert.equal(t.annotations?.readOnlyHint, read, `${a.key} readOnlyHint`);
    assert.equal(t.annotations?.destructiveHint, false, `${a.key} destructiveHint`);
    assert.equal(t.annotations?.idempotentHint, a.method !== "POST" || read, `${a.key} idempotentHint`);
    assert.equal(t.outputSchema?.type, "object");
  }
  for (const a of actions.filter((x) => destructive(x.key))) assert.ok(!byName.has(a.key), `${a.key} is withheld`);
  for (const name of FLOW_TOOLS) assert.ok(byName.has(name), `${name} is listed`);
}
