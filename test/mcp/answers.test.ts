/**
 * Answers that fit a context window, measured with the SDK's client on the demo clinic: list
 * answers are summaries capped by records and bytes with a cursor that walks the whole list
 * without gaps or repeats; `fields` asks for more; the text is not a second copy of the JSON; and
 * no read tool answers more than 64 KB.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Harness, harness } from "../engine/helpers.ts";
import { call, JOB_TOOLS, resultOf, stdioClient, textOf } from "./helpers.ts";

const LIMIT = 64 * 1024;
const size = (r: CallToolResult) => Buffer.byteLength(JSON.stringify(r));

interface ListAnswer {
  records: Record<string, unknown>[];
  total_entries: number;
  next_cursor: string | null;
}

describe("MCP answers that fit", () => {
  let h: Harness;
  let client: Client;

  before(async () => {
    h = await harness({ seed: "demo" });
    client = await stdioClient(h.env, ["--toolsets", "all"]);
  });
  after(async () => {
    await client.close();
    await h.close();
  });

  it("list_patients {all: true} answers 50 summaries and a cursor that walks every patient once", async () => {
    const live = h.sandbox.store.rows("patients").filter((p) => !p.archived_at && !p.deleted_at);
    const first = await call(client, "list_patients", { all: true });
    const page = resultOf<ListAnswer>(first);
    assert.equal(page.records.length, 50);
    assert.equal(page.total_entries, live.length);
    assert.ok(size(first) < 40_000, `${size(first)} bytes`);
    const summary = page.records[0]!;
    assert.ok(summary.id && summary.first_name && summary.last_name);
    assert.ok(!("custom_fields" in summary) && !("links" in summary), "a summary, not the whole record");
    const text = textOf(first);
    assert.notEqual(text, JSON.stringify(first.structuredContent));
    assert.ok(text.length < JSON.stringify(first.structuredContent).length, "the text is shorter than the JSON");
    assert.equal(text.split("\n").filter((l) => l.startsWith("- ")).length, 50, "one line per record");
    assert.match(text, /"cursor"/);

    const seen = page.records.map((r) => String(r.id));
    let cursor = page.next_cursor;
    while (cursor) {
      const next = resultOf<ListAnswer>(await call(client, "list_patients", { cursor }));
      seen.push(...next.records.map((r) => String(r.id)));
      cursor = next.next_cursor;
    }
    assert.equal(new Set(seen).size, seen.length, "no patient twice");
    assert.deepEqual([...seen].sort(), live.map((p) => String(p.id)).sort(), "every patient");
  });

  it("a page and a limit are kept, and fields picks what each record shows", async () => {
    const one = resultOf<ListAnswer>(await call(client, "list_patients", { per_page: 30, page: 2 }));
    assert.equal(one.records.length, 30);
    const rest = resultOf<ListAnswer>(await call(client, "list_patients", { cursor: one.next_cursor }));
    assert.equal(rest.records.length, 30, "the next page");
    const limited = resultOf<ListAnswer>(await call(client, "list_patients", { all: true, limit: 60 }));
    const more = resultOf<ListAnswer>(await call(client, "list_patients", { cursor: limited.next_cursor }));
    assert.equal(limited.records.length + more.records.length, 60);
    assert.equal(more.next_cursor, null);
    const picked = resultOf<ListAnswer>(
      await call(client, "list_patients", { per_page: 5, fields: ["email", "date_of_birth"] }),
    );
    for (const r of picked.records) assert.deepEqual(Object.keys(r).sort(), ["date_of_birth", "email", "id"]);
    const whole = resultOf<ListAnswer>(await call(client, "list_patients", { per_page: 2, fields: ["*"] }));
    assert.ok("custom_fields" in whole.records[0]! || "links" in whole.records[0]!, "every field");
    const bad = await call(client, "list_patients", { cursor: "not-ours" });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /cursor/);
  });

  it("flow_poll_trigger over the demo's whole history is capped, and its cursor walks every event", async () => {
    const first = await call(client, "flow_poll_trigger", { trigger: "new_patient", since: "2020-01-01T00:00:00Z" });
    assert.ok(size(first) < LIMIT, `${size(first)} bytes`);
    const answer = first.structuredContent as { events: { key: string }[]; total_events: number; next_cursor: string };
    assert.ok(answer.events.length <= 50 && answer.total_events > 50);
    const keys = answer.events.map((e) => e.key);
    let cursor: string | null = answer.next_cursor;
    while (cursor) {
      const next = (await call(client, "flow_poll_trigger", { cursor })).structuredContent as typeof answer;
      keys.push(...next.events.map((e) => e.key));
      cursor = next.next_cursor;
    }
    assert.equal(new Set(keys).size, answer.total_events);
  });

  it("no read tool answers more than 64 KB on the demo clinic", async () => {
    const { tools } = await client.listTools();
    const today = new Date().toISOString().slice(0, 10);
    const extra: Record<string, Record<string, unknown>> = {
      find_free_slots: { from: today, to: new Date(Date.now() + 6 * 86_400_000).toISOString().slice(0, 10) },
      no_shows: { from: new Date(Date.now() - 28 * 86_400_000).toISOString().slice(0, 10), to: today },
      flow_poll_trigger: { trigger: "individual_appointment_updated", since: "2020-01-01T00:00:00Z" },
      upcoming_birthdays: { days: 60 },
      patients_due_for_recall: { days_since_last_visit: 1, look_back_days: 60 },
    };
    const sizes: [string, number][] = [];
    for (const t of tools) {
      if (!t.annotations?.readOnlyHint) continue;
      const args = extra[t.name] ?? {};
      if ((t.inputSchema.required ?? []).some((r) => !(r in args))) continue;
      const list = "all" in (t.inputSchema.properties ?? {});
      const r = await call(client, t.name, list ? { ...args, all: true } : args);
      if (t.name in extra) assert.notEqual(r.isError, true, `${t.name}: ${textOf(r)}`);
      sizes.push([t.name, size(r)]);
    }
    assert.ok(sizes.length > 50, `${sizes.length} tools called`);
    for (const name of JOB_TOOLS.filter((n) => n !== "book_appointment" && n !== "search_patients"))
      assert.ok(
        sizes.some(([n]) => n === name),
        `${name} was called`,
      );
    const biggest = sizes.sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(`largest answers: ${biggest.map(([n, b]) => `${n} ${b} B`).join(", ")}`);
    for (const [name, bytes] of sizes) assert.ok(bytes <= LIMIT, `${name} answered ${bytes} bytes`);
  });
});
