/** Shared by the MCP suites: the SDK's own client over stdio, and what tools/list must hold. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
  "flow_check_workflow",
  "flow_save_workflow",
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

/** Runs `cliniko-flow mcp ARGS` to its exit (a refused setting ends it at once): its code and standard error. */
export async function mcpExit(
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, "mcp", ...args], { env, stdio: "pipe" });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stderr };
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

export function resultOf<T = Record<string, unknown>>(r: CallToolResult): T {
  assert.notEqual(r.isError, true, textOf(r));
  return (r.structuredContent as { result: T }).result;
}

/** The job tools, written out: each is one front-desk question. */
export const JOB_TOOLS = [
  "search_patients",
  "day_schedule",
  "find_free_slots",
  "book_appointment",
  "unpaid_invoices",
  "no_shows",
  "patients_due_for_recall",
  "upcoming_birthdays",
];

/** The size of a tools/list answer as an assistant receives it (its JSON). */
export const listingBytes = (tools: Tool[]) => Buffer.byteLength(JSON.stringify({ tools }));

/**
 * A catalogue action as listed: the catalogue's title, description start, annotations, and the
 * catalogue's own properties and required fields (list tools add `fields` and `cursor`).
 */
function assertCatalogueTool(t: Tool): void {
  const a = action(t.name);
  assert.equal(t.title, a.title);
  assert.ok(t.description?.startsWith(a.description));
  const props = Object.keys((a.inputSchema as { properties?: object }).properties ?? {});
  const listed = Object.keys(t.inputSchema.properties ?? {}).filter((k) => k !== "fields" && k !== "cursor");
  assert.deepEqual(listed, props, `${a.key} lists the catalogue's fields`);
  assert.deepEqual(t.inputSchema.required ?? [], (a.inputSchema as { required?: string[] }).required ?? []);
  const read = a.method === "GET" || a.kind === "find" || a.kind === "list";
  assert.equal(t.annotations?.readOnlyHint, read, `${a.key} readOnlyHint`);
  assert.equal(t.annotations?.destructiveHint, destructive(a.key), `${a.key} destructiveHint`);
  assert.equal(t.annotations?.idempotentHint, a.method !== "POST" || read, `${a.key} idempotentHint`);
  assert.equal(t.outputSchema?.type, "object");
}

/**
 * tools/list of a server with the default policy: the job tools and the most used reads and
 * writes, at most 40 tools and 60 KB, nothing destructive.
 */
export function assertDefaultListing(tools: Tool[]): void {
  const names = tools.map((t) => t.name);
  assert.ok(tools.length <= 40, `${tools.length} tools`);
  assert.ok(listingBytes(tools) <= 60_000, `${listingBytes(tools)} bytes`);
  for (const name of [...JOB_TOOLS, "find_patient", "create_patient", "list_individual_appointments"])
    assert.ok(names.includes(name), `${name} is listed`);
  const keys = new Set(actions.map((a) => a.key));
  for (const t of tools) {
    assert.equal(t.annotations?.destructiveHint, false, `${t.name} is not destructive`);
    if (keys.has(t.name)) assertCatalogueTool(t);
  }
}

/** tools/list with `--toolsets all`: every catalogue action that is not destructive, the job and flow tools. */
export function assertAllListing(tools: Tool[]): void {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const expected = actions.filter((a) => !destructive(a.key));
  assert.equal(tools.length, expected.length + FLOW_TOOLS.length + JOB_TOOLS.length);
  for (const a of expected) {
    const t = byName.get(a.key);
    assert.ok(t, `${a.key} is listed`);
    assertCatalogueTool(t);
  }
  for (const a of actions.filter((x) => destructive(x.key))) assert.ok(!byName.has(a.key), `${a.key} is withheld`);
  for (const name of [...FLOW_TOOLS, ...JOB_TOOLS]) assert.ok(byName.has(name), `${name} is listed`);
}
