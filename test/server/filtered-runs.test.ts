/**
 * A run a filter stopped says "filtered" wherever a run's status shows — the API's run list and
 * view, the workflows list's health, /metrics, the CLI (`runs list`, `workflows list`) and the MCP
 * run tools — and counts neither as a failure nor as a success in the health summary. A failed
 * run's error is one sentence, its response body the `details` beside it (API, CLI, MCP).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { call, stdioClient, textOf } from "../mcp/helpers.ts";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };
const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
let s: Stack;
let cookie: string;
const runs: Record<"filtered" | "succeeded" | "failed", string> = { filtered: "", succeeded: "", failed: "" };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: s.env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function answer<T>(r: CallToolResult): T {
  assert.notEqual(r.isError, true, textOf(r));
  return r.structuredContent as T;
}

async function ended(runId: string) {
  for (let i = 0; i < 200; i++) {
    const run = await s.store.runs.find(Number(runId));
    if (run?.finishedAt) return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not end`);
}

before(async () => {
  s = await startStack({ engine: true });
  cookie = await s.login();
  const definition = {
    name: "Website form",
    trigger: { key: "webhook" },
    steps: [
      { id: "has_email", action: "filter", input: { condition: "{{ trigger.body.email != null }}" } },
      // The receiving end answers 404 with a JSON body for an email it does not know.
      {
        id: "notify",
        action: "http.request",
        if: "{{ trigger.body.fail = true }}",
        input: { method: "POST", url: `${s.url}/api/nothing-here`, json: { email: "{{ trigger.body.email }}" } },
      },
    ],
  };
  const created = await s.call("POST", "/api/workflows", {
    cookie,
    headers: WRITE,
    body: { definition, enabled: true },
  });
  assert.equal(created.status, 201, created.text);
  const id = (created.json as { id: string }).id;
  const { path } = (await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string };
  const post = async (body: unknown) => {
    const res = await s.call("POST", path, { body });
    assert.equal(res.status, 202, res.text);
    const runId = (res.json as { runId: string }).runId;
    await ended(runId);
    return runId;
  };
  runs.succeeded = await post({ email: "jo@example.com" });
  runs.failed = await post({ email: "jo@example.com", fail: true });
  runs.filtered = await post({ name: "no email" });
});
after(async () => {
  await s?.stop();
});

test("the API says filtered for the run, lists it by that status, and the health counts it apart", async () => {
  const run = (await s.call("GET", `/api/runs/${runs.filtered}`, { cookie })).json as {
    status: string;
    failure: boolean;
    error: string | null;
  };
  assert.deepEqual([run.status, run.failure, run.error], ["filtered", false, null]);
  const listed = (await s.call("GET", "/api/runs?status=filtered", { cookie })).json as { id: string }[];
  assert.deepEqual(
    listed.map((r) => r.id),
    [runs.filtered],
  );
  const [w] = (await s.call("GET", "/api/workflows", { cookie })).json as {
    health: { lastRun: { status: string }; runs: number; succeeded: number; filtered: number; failed: number };
  }[];
  assert.deepEqual(w!.health, {
    lastRun: w!.health.lastRun,
    runs: 3,
    succeeded: 1,
    filtered: 1,
    failed: 1,
  });
  assert.equal(w!.health.lastRun.status, "filtered");
  const metrics = await s.call("GET", "/metrics", { cookie });
  assert.match(metrics.text, /cliniko_flow_runs\{status="filtered"\} 1\n/);
  assert.match(metrics.text, /cliniko_flow_runs\{status="succeeded"\} 1\n/);
});

test("a failed run's error is one sentence; the answer's body is its details, in the run and on its step", async () => {
  const run = (await s.call("GET", `/api/runs/${runs.failed}`, { cookie })).json as {
    status: string;
    failure: boolean;
    error: string;
    details: unknown;
    steps: { stepId: string; error: string | null; details: unknown }[];
  };
  assert.equal(run.status, "failed");
  assert.equal(run.failure, true);
  assert.match(
    run.error,
    /^Step notify \(http\.request\) failed: POST http:\/\/127\.0\.0\.1:\d+\/api\/nothing-here answered HTTP \d+\.$/,
  );
  const step = run.steps.find((x) => x.stepId === "notify")!;
  assert.equal(step.error, run.error);
  assert.equal(typeof step.details, "object");
  assert.ok(step.details !== null && "message" in (step.details as object), JSON.stringify(step.details));
  assert.deepEqual(run.details, step.details);
});

test("the CLI lists filtered runs by status and counts them in workflows list; runs show prints details apart", async () => {
  const listed = await cli(["runs", "list", "--status", "filtered", "--json"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { id: number; status: string }[]).map((r) => [String(r.id), r.status]),
    [[runs.filtered, "filtered"]],
  );
  const table = await cli(["workflows", "list"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Website form .*filtered 1/);
  const shown = await cli(["runs", "show", runs.failed]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    shown.stdout,
    /\n {2}error: Step notify \(http\.request\) failed: .* answered HTTP \d+\.\n {2}details: \{/,
  );
  const bad = await cli(["runs", "list", "--status", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--status must be one of queued, running, succeeded, filtered, failed, unknown\./);
});

test("the MCP run tools list filtered runs and show a failed run's details", async () => {
  const client = await stdioClient({
    ...s.env,
    PATH: process.env.PATH,
    CLINIKO_API_KEY: s.sandbox.apiKey,
    CLINIKO_BASE_URL: s.sandbox.baseUrl,
    CLINIKO_EMAIL: "ops@clinic.test",
  });
  try {
    const listed = answer<{ runs: { id: number; status: string }[] }>(
      await call(client, "flow_list_runs", { status: "filtered" }),
    );
    assert.deepEqual(
      listed.runs.map((r) => [String(r.id), r.status]),
      [[runs.filtered, "filtered"]],
    );
    const shown = answer<{ run: { error: string; details: unknown; steps: { details: unknown }[] } }>(
      await call(client, "flow_show_run", { id: Number(runs.failed) }),
    );
    assert.match(shown.run.error, /answered HTTP \d+\.$/);
    assert.ok(shown.run.details !== null);
    assert.deepEqual(shown.run.steps.at(-1)!.details, shown.run.details);
  } finally {
    await client.close();
  }
});
