/**
 * `cliniko-flow mcp` over stdio, driven by the SDK's own client against the sandbox: what is
 * listed, what a call does in Cliniko, what is refused before any request, and what the audit
 * log keeps.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { actions } from "../../src/catalog/index.ts";
import { type Harness, harness, workflow } from "../engine/helpers.ts";
import {
  assertAllListing,
  assertDefaultListing,
  call,
  destructive,
  FLOW_TOOLS,
  listingBytes,
  mcpExit,
  resultOf,
  stdioClient,
  textOf,
} from "./helpers.ts";

describe("MCP over stdio", () => {
  let h: Harness;
  let client: Client;
  const open: Client[] = [];
  const start = async (args: string[] = [], env?: NodeJS.ProcessEnv) => {
    const c = await stdioClient(env ?? h.env, args);
    open.push(c);
    return c;
  };

  before(async () => {
    h = await harness({ seed: "demo" });
    client = await start();
  });
  after(async () => {
    for (const c of open) await c.close();
    await h.close();
  });

  it("lists the default toolset: the job tools and the most used reads and writes, within 40 tools and 60 KB", async () => {
    const { tools } = await client.listTools();
    assertDefaultListing(tools);
    console.log(`default tools/list: ${tools.length} tools, ${listingBytes(tools)} bytes`);
    const find = tools.find((t) => t.name === "find_patient")!;
    assert.deepEqual(find.annotations, {
      title: find.title,
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
  });

  it("--toolsets all lists every non-destructive action with its fields and annotations, the job and flow tools", async () => {
    const all = await start(["--toolsets", "all"]);
    const { tools } = await all.listTools();
    assertAllListing(tools);
    console.log(`--toolsets all tools/list: ${tools.length} tools, ${listingBytes(tools)} bytes`);
  });

  it("--toolsets picks toolsets, CLINIKO_FLOW_MCP_TOOLSETS too, and a tool outside them is refused before any request", async () => {
    const billing = await start(["--toolsets", "billing"]);
    const names = (await billing.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("list_invoices") && names.includes("unpaid_invoices"));
    assert.ok(!names.includes("find_patient") && !names.includes("search_patients"));
    for (const n of names) assert.match(n, /invoice|billable|product|stock|concession|tax|supplier/, n);
    h.sandbox.requestLog.clear();
    const r = await call(billing, "find_patient", { id: "1" });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /toolset patients.*--toolsets billing,patients/);
    assert.deepEqual(h.sandbox.requestLog.entries(), []);

    const fromEnv = await start([], { ...h.env, CLINIKO_FLOW_MCP_TOOLSETS: "clinical,automation" });
    const envNames = (await fromEnv.listTools()).tools.map((t) => t.name);
    assert.ok(envNames.includes("list_treatment_notes") && envNames.includes("flow_replay_run"));
    assert.ok(!envNames.includes("list_invoices"));
  });

  it("exits 2 when --toolsets names a toolset that does not exist", async () => {
    const { code, stderr } = await mcpExit(h.env, ["--toolsets", "billling"]);
    assert.equal(code, 2);
    assert.match(stderr, /"billling", which is not a toolset \(did you mean "billing"\?\)/);
  });

  it("creates a patient and finds it again, in the sandbox", async () => {
    const created = resultOf<{ id: string; first_name: string }>(
      await call(client, "create_patient", { first_name: "Ada", last_name: "Lovelace" }),
    );
    assert.equal(h.sandbox.store.get("patients", created.id)?.first_name, "Ada");
    const found = resultOf<{ id: string; last_name: string }>(await call(client, "find_patient", { id: created.id }));
    assert.equal(found.id, created.id);
    assert.equal(found.last_name, "Lovelace");
  });

  it("refuses invalid arguments before any request reaches Cliniko", async () => {
    h.sandbox.requestLog.clear();
    const r = await call(client, "create_patient", { first_name: 42 });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /^Invalid input for create_patient: first_name/);
    assert.match(textOf(r), /last_name: is required/);
    const u = await call(client, "find_patient", { id: "not-an-id" });
    assert.equal(u.isError, true);
    assert.deepEqual(h.sandbox.requestLog.entries(), []);
  });

  it("returns a Cliniko error as a tool error with its one sentence, and what Cliniko said on a line of its own", async () => {
    const r = await call(client, "find_patient", { id: "999999999" });
    assert.equal(r.isError, true);
    assert.match(
      textOf(r),
      /^Cliniko could not find that patient \(\/v1\/patients\/999999999\)[^\n{]*\.\nDetails: \{"message":"Not found/,
    );
  });

  it("refuses a destructive tool without --allow, before any request", async () => {
    const patient = resultOf<{ id: string }>(
      await call(client, "create_patient", { first_name: "Keep", last_name: "Me" }),
    );
    h.sandbox.requestLog.clear();
    const r = await call(client, "delete_patient", { id: patient.id });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /--allow delete_patient/);
    assert.deepEqual(h.sandbox.requestLog.entries(), []);
    assert.equal(h.sandbox.store.get("patients", patient.id)?.archived_at ?? null, null);
  });

  it("archives with --allow, and lists only that destructive tool", async () => {
    const allowed = await start(["--allow", "delete_patient"]);
    const { tools } = await allowed.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes("delete_patient"));
    assert.equal(tools.find((t) => t.name === "delete_patient")!.annotations?.destructiveHint, true);
    for (const a of actions) if (destructive(a.key) && a.key !== "delete_patient") assert.ok(!names.includes(a.key));
    const patient = resultOf<{ id: string }>(
      await call(allowed, "create_patient", { first_name: "Gone", last_name: "Soon" }),
    );
    const r = await call(allowed, "delete_patient", { id: patient.id });
    assert.notEqual(r.isError, true, textOf(r));
    assert.ok(h.sandbox.store.get("patients", patient.id)?.archived_at, "the patient is archived in the sandbox");
  });

  it("--read-only lists only read tools and refuses a write by name", async () => {
    const ro = await start(["--read-only", "--allow", "delete_patient"]);
    const { tools } = await ro.listTools();
    assert.ok(tools.length > 0);
    for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, `${t.name} is a read tool`);
    const names = tools.map((t) => t.name);
    for (const hidden of [
      "create_patient",
      "update_patient",
      "delete_patient",
      "flow_enable_workflow",
      "flow_replay_run",
    ])
      assert.ok(!names.includes(hidden), `${hidden} is hidden`);
    assert.ok(names.includes("find_patient") && names.includes("flow_list_runs"));
    h.sandbox.requestLog.clear();
    const r = await call(ro, "create_patient", { first_name: "No", last_name: "Way" });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /read-only/);
    assert.deepEqual(h.sandbox.requestLog.entries(), []);
  });

  it("--deny withholds the named tools", async () => {
    const c = await start(["--deny", "find_patient,flow_replay_run"]);
    const names = (await c.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("find_patient") && !names.includes("flow_replay_run"));
    assert.ok(names.includes("list_practitioners"));
    assert.match(textOf(await call(c, "find_patient", { id: "1" })), /--deny/);
    const patient = h.sandbox.store.rows("patients")[0]!;
    await assert.rejects(c.readResource({ uri: `cliniko://patients/${patient.id}` }), /find_patient/);
  });

  it("exits 2 when --allow names a tool that does not exist", async () => {
    const { code, stderr } = await mcpExit(h.env, ["--allow", "delete_patients"]);
    assert.equal(code, 2);
    assert.match(stderr, /"delete_patients", which is not a tool \(did you mean "delete_patient"\?\)/);
  });

  it("operates workflows and runs: check, save, list, disable, enable, poll a trigger, show and replay a run", async () => {
    const client = await start(["--toolsets", "default,automation"]);
    const checked = (await call(client, "flow_check_workflow", { definition: { name: "bad" } })).structuredContent as {
      valid: boolean;
      problems: { path: string }[];
    };
    assert.equal(checked.valid, false);
    assert.ok(checked.problems.some((p) => p.path.startsWith("trigger")));
    const draft = workflow({
      name: "drafted",
      trigger: { key: "new_patient" },
      steps: [{ id: "read", action: "find_patient", input: { id: "{{ trigger.id }}" } }],
    });
    const good = (await call(client, "flow_check_workflow", { definition: draft })).structuredContent;
    assert.equal(good?.valid, true);
    const saved = (await call(client, "flow_save_workflow", { definition: draft })).structuredContent;
    assert.deepEqual([saved?.name, saved?.enabled], ["drafted", false]);
    assert.equal((await h.store.workflows.get("drafted")).enabled, false);
    assert.match(textOf(await call(client, "flow_save_workflow", { definition: draft })), /replace: true/);
    await h.store.workflows.remove("drafted");
    const def = workflow({
      name: "welcome",
      trigger: { key: "new_patient" },
      steps: [{ id: "read", action: "find_patient", input: { id: "{{ trigger.id }}" } }],
    });
    const w = await h.store.workflows.save("welcome", def, { enabled: true });
    const listed = (await call(client, "flow_list_workflows", {})).structuredContent as {
      workflows: { name: string; enabled: boolean; trigger: string }[];
    };
    assert.deepEqual(
      listed.workflows.map((x) => [x.name, x.enabled, x.trigger]),
      [["welcome", true, "new_patient"]],
    );
    const off = (await call(client, "flow_disable_workflow", { name: "welcome" })).structuredContent;
    assert.equal(off?.enabled, false);
    assert.equal((await h.store.workflows.get("welcome")).enabled, false);
    assert.equal((await call(client, "flow_enable_workflow", { name: "welcome" })).structuredContent?.enabled, true);
    assert.match(textOf(await call(client, "flow_enable_workflow", { name: "nope" })), /no workflow named "nope"/);
    // A refusal numbers steps as the editor, the API and the CLI do.
    const gaps = workflow({
      name: "gaps",
      trigger: { key: "new_patient" },
      steps: [{ id: "alert", action: "create_medical_alert", input: { patient_id: "{{ trigger.id }}" } }],
    });
    await h.store.workflows.save("gaps", gaps, { enabled: false });
    const refused = await call(client, "flow_enable_workflow", { name: "gaps" });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /"gaps" cannot be switched on yet: Step 1 · Name is required\./);
    assert.equal((await h.store.workflows.get("gaps")).enabled, false);
    // Replacing a live workflow with a change it could not run keeps the change as its draft, not a version.
    const broken = await call(client, "flow_save_workflow", {
      definition: { ...def, steps: gaps.steps },
      replace: true,
    });
    assert.equal(broken.isError, true);
    assert.match(textOf(broken), /"welcome" is switched on and this change could not run: Step 1 · Name is required/);
    assert.match(textOf(broken), /kept as the workflow's draft; version 1 still runs/);
    const kept = await h.store.workflows.get("welcome");
    assert.deepEqual([kept.enabled, kept.version, kept.definition], [true, 1, w.definition]);
    assert.deepEqual(kept.draft?.definition, { ...def, steps: gaps.steps });

    const since = new Date(Date.parse(h.sandbox.clock.now().toISOString()) - 1000).toISOString();
    const patient = resultOf<{ id: string }>(
      await call(client, "create_patient", { first_name: "Polly", last_name: "Trigger" }),
    );
    const polled = (await call(client, "flow_poll_trigger", { trigger: "new_patient", since })).structuredContent as {
      events: { key: string; record: { id: string } }[];
    };
    assert.ok(polled.events.some((e) => e.record.id === patient.id));

    const runId = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "new_patient",
      eventKey: patient.id,
      payload: { id: patient.id },
    });
    await h.store.runs.finish(runId, "failed", "Step read failed: the network was down.");
    const runs = (await call(client, "flow_list_runs", { workflow: "welcome" })).structuredContent as {
      runs: { id: number; status: string }[];
    };
    assert.deepEqual(
      runs.runs.map((r) => [r.id, r.status]),
      [[runId, "failed"]],
    );
    const shown = (await call(client, "flow_show_run", { id: runId })).structuredContent as {
      run: { triggerPayload: unknown };
    };
    assert.deepEqual(shown.run.triggerPayload, { id: patient.id });

    const replayed = (await call(client, "flow_replay_run", { id: runId, from: "start" })).structuredContent as {
      run: { id: number; status: string; replayOf: number };
      replayedOn: { version: string; workflowVersion: number };
    };
    assert.equal(replayed.run.replayOf, runId);
    assert.equal(replayed.replayedOn.version, "ran", "the workflow did not change, so the version it ran");
    assert.equal(replayed.run.status, "succeeded", "the stdio server ran the replay itself");
    const steps = await h.store.runs.steps(replayed.run.id);
    assert.equal((steps[0]!.output as { id: string }).id, patient.id);
  });

  it("offers the catalogue, stored workflows and resource templates, and readable prompts for front-desk jobs", async () => {
    await h.store.workflows.save("listed", workflow({ name: "listed", trigger: { key: "new_patient" } }), {
      enabled: false,
    });
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.equal(uris[0], "cliniko-flow://catalogue");
    assert.ok(uris.includes("cliniko-flow://workflows/listed"));
    const read = await client.readResource({ uri: "cliniko-flow://catalogue" });
    const doc = JSON.parse((read.contents[0] as { text: string }).text) as { actions: { key: string }[] };
    assert.equal(doc.actions.length, actions.length);

    const { resourceTemplates } = await client.listResourceTemplates();
    const templates = resourceTemplates.map((t) => t.uriTemplate);
    for (const t of ["cliniko://patients/{id}", "cliniko://appointments/{date}", "cliniko-flow://workflows/{name}"])
      assert.ok(templates.includes(t), t);
    const text = async (uri: string) =>
      JSON.parse(((await client.readResource({ uri })).contents[0] as { text: string }).text);
    const patient = h.sandbox.store.rows("patients")[5]!;
    assert.equal((await text(`cliniko://patients/${patient.id}`)).last_name, patient.last_name);
    const appt = h.sandbox.store.rows("individual_appointments").find((a) => !a.cancelled_at && !a.archived_at)!;
    const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Australia/Sydney", dateStyle: "short" }).format(
      new Date(String(appt.starts_at)),
    );
    const day = await text(`cliniko://appointments/${date}`);
    assert.equal(day.date, date);
    assert.ok(day.appointments.some((a: { id: string }) => a.id === appt.id));
    assert.equal((await text("cliniko-flow://workflows/listed")).definition.trigger.key, "new_patient");
    const full = await text("cliniko-flow://tools/create_patient");
    assert.match(full.inputSchema.properties.first_name.description, /Text/);
    await assert.rejects(client.readResource({ uri: "cliniko-flow://workflows/nope" }), /no workflow named "nope"/);
    await assert.rejects(client.readResource({ uri: "cliniko://patients/999999999" }), /could not find that patient/);

    const { prompts } = await client.listPrompts();
    const names = prompts.map((p) => p.name);
    for (const n of [
      "todays_schedule",
      "fill_cancelled_slot",
      "follow_up_no_shows",
      "chase_unpaid_invoices",
      "build_workflow",
    ])
      assert.ok(names.includes(n), n);
    assert.ok(prompts.length >= 6);
    const ids = await client.getPrompt({ name: "cliniko_ids_and_links" });
    assert.match(JSON.stringify(ids.messages), /links\.self/);
    const build = await client.getPrompt({ name: "build_workflow", arguments: { sentence: "email new patients" } });
    const buildText = JSON.stringify(build.messages);
    assert.match(buildText, /email new patients/);
    assert.match(buildText, /flow_check_workflow[\s\S]*wait for a yes[\s\S]*flow_save_workflow/);
    await assert.rejects(client.getPrompt({ name: "build_workflow" }), /needs sentence/);
    for (const n of names.filter((x) => x !== "build_workflow")) {
      const p = await client.getPrompt({ name: n });
      const used = JSON.stringify(p.messages).match(/[a-z]+_[a-z_]+/g) ?? [];
      assert.ok(used.length > 0, n);
    }
  });

  it("audits every call (who, tool, connection, outcome) without the key or patient data", async () => {
    const entries = (await h.store.audit.list(1000)).filter((e) => e.action === "mcp.tool_call");
    const byTool = (tool: string) => entries.filter((e) => e.subject === tool);
    const detail = (tool: string) =>
      byTool(tool).map((e) => e.detail as { outcome: string; connection: string | null });
    assert.ok(detail("create_patient").some((d) => d.outcome === "ok" && d.connection?.startsWith("env:")));
    assert.ok(detail("create_patient").some((d) => d.outcome === "invalid"));
    assert.ok(detail("delete_patient").some((d) => d.outcome === "refused"));
    assert.ok(detail("delete_patient").some((d) => d.outcome === "ok"));
    assert.ok(detail("find_patient").some((d) => d.outcome === "error"));
    for (const name of FLOW_TOOLS) assert.ok(byTool(name).length > 0, `${name} was audited`);
    assert.ok(
      detail("resource cliniko://patients/{id}").some((d) => d.outcome === "ok" && d.connection?.startsWith("env:")),
    );
    assert.ok(entries.every((e) => e.actor.startsWith("cli:")));
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(h.sandbox.apiKey), "the key is not logged");
    for (const name of ["Ada", "Lovelace", "Polly", "Gone"]) assert.ok(!text.includes(name), `${name} is not logged`);
  });
});

describe("MCP over stdio: which connection", () => {
  it("uses --connection NAME from the store, and exits 2 for a name that is not stored", async () => {
    const h = await harness({ seed: "demo" });
    try {
      await h.store.connections.save(
        { name: "clinic", apiKey: h.sandbox.apiKey, email: "ops@clinic.test", baseUrl: h.sandbox.baseUrl },
        "test",
      );
      const { CLINIKO_API_KEY: _k, CLINIKO_BASE_URL: _b, ...withoutKey } = h.env;
      const c = await stdioClient(withoutKey, ["--connection", "clinic"]);
      try {
        resultOf(await call(c, "list_practitioners", { per_page: 1 }));
      } finally {
        await c.close();
      }
      const [entry] = (await h.store.audit.list(10)).filter((e) => e.action === "mcp.tool_call");
      assert.equal((entry!.detail as { connection: string }).connection, "clinic");

      const { code, stderr } = await mcpExit(h.env, ["--connection", "nope"]);
      assert.equal(code, 2);
      assert.match(stderr, /nope/);
    } finally {
      await h.close();
    }
  });
});
