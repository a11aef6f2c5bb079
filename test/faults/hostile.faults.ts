/**
 * Hostile input against a running `serve` (part of `npm run test:faults`): every API route from
 * the served OpenAPI document and the webhook URL get the bad bodies an attacker or a broken
 * client sends; every expression site gets hostile data; the expression resource-exhaustion set
 * runs through the step and workflow tests. Throughout, `/healthz` must answer within 1 s, no
 * answer may be a 5xx or carry a stack trace, and the process must never exit.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { sleep } from "../engine/helpers.ts";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
const PASSWORD = "hostile input suite password";
const SECRET = "flow-secret-value-9f8e7d";

let sandbox: Sandbox;
let dir: string;
let child: ChildProcess;
let base: string;
let cookie: string;
let exited = false;
let stderr = "";
const WRITE = { "x-requested-with": "cliniko-flow", "content-type": "application/json" };
const health = { checks: 0, max: 0, failures: 0 };
let watching = true;

before(async () => {
  sandbox = await startSandbox({ port: 0, seed: "demo", rateLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), "cf-hostile-"));
  child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
      CLINIKO_FLOW_DATA_DIR: dir,
      CLINIKO_API_KEY: sandbox.apiKey,
      CLINIKO_EMAIL: "ops@clinic.test",
      CLINIKO_BASE_URL: sandbox.baseUrl,
      // The sandbox is this test's, not the product's process: the operator's exception reaches it.
      CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
      CLINIKO_FLOW_RATE_LIMIT: "0",
      CLINIKO_FLOW_ADMIN_PASSWORD: PASSWORD,
      CLINIKO_FLOW_TEST_POLL_INTERVAL_MS: "500",
      FLOW_CRM_TOKEN: SECRET,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.on("exit", () => {
    exited = true;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${stderr}`)), 30_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
  });
  const login = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  void (async () => {
    while (watching) {
      const started = performance.now();
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
        if (r.status !== 200) health.failures++;
      } catch {
        health.failures++;
      }
      health.max = Math.max(health.max, performance.now() - started);
      health.checks++;
      await sleep(100);
    }
  })();
});

after(async () => {
  watching = false;
  child?.kill("SIGTERM");
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface RunView {
  status: string;
  steps: { stepId: string; status: string; output: unknown }[];
}

interface Answer {
  status: number;
  text: string;
}

async function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  try {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, ...WRITE, ...headers },
      body: method === "GET" || method === "HEAD" ? undefined : (body as BodyInit | undefined),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, text: await r.text() } satisfies Answer;
  } catch (err) {
    // A body over the limit is answered 413 and the socket closed while we still write: the
    // server refused it, which is what we want; anything else is a real failure.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if ((code === "EPIPE" || code === "ECONNRESET") && (body?.length ?? 0) > 1024 * 1024)
      return { status: 413, text: "(closed after refusing the body)" } satisfies Answer;
    throw err;
  }
}

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const BAD_BODIES: [string, string | Buffer, Record<string, string>?][] = [
  ["nested 5,000 levels", nested(5000)],
  ["nested 100,000 objects", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`],
  ["2 MB string", JSON.stringify({ name: "x".repeat(2_000_000) })],
  ["NUL and control characters", JSON.stringify({ name: "a\u0000b\u0007c\u001b[31m", definition: { name: "\u0000" } })],
  ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ["not JSON", "{name: 'x',,}"],
  ["wrong types", JSON.stringify({ name: 42, definition: [1, 2], steps: "x", connection: { $ne: 1 } })],
  ["prototype pollution", '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
  ["empty", ""],
  ["form body", "a=1&b=2", { "content-type": "application/x-www-form-urlencoded" }],
];

const tried: { route: string; body: string; status: number }[] = [];

function check(route: string, body: string, a: Answer) {
  tried.push({ route, body, status: a.status });
  assert.ok(a.status < 500, `${route} with ${body} → ${a.status}: ${a.text.slice(0, 300)}`);
  assert.doesNotMatch(a.text, /\n\s+at .+\(.+:\d+:\d+\)/, `${route} with ${body}: a stack trace`);
  assert.ok(!a.text.includes(SECRET), `${route} with ${body}: the secret`);
}

async function webhookWorkflow(name: string, steps: unknown[]): Promise<{ id: string; path: string }> {
  const definition = { name, trigger: { key: "webhook" }, steps };
  const created = await send("POST", "/api/workflows", JSON.stringify({ definition }));
  assert.equal(created.status, 201, created.text);
  const id = (JSON.parse(created.text) as { id: string }).id;
  assert.equal((await send("POST", `/api/workflows/${id}/enable`, "{}")).status, 200);
  const path = (JSON.parse((await send("GET", `/api/workflows/${id}/webhook`)).text) as { path: string }).path;
  return { id, path };
}

test("every route and the webhook URL answer bad bodies with a 4xx, never a 5xx or a stack trace", {
  timeout: 600_000,
}, async () => {
  const { path: hook } = await webhookWorkflow("hostile hook", [
    { id: "pass", action: "filter", input: { condition: "{{ true }}" } },
  ]);
  const doc = JSON.parse((await send("GET", "/api/openapi.json")).text) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const routes: [string, string][] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops)) {
      // Logging out or resetting the admin would end this suite's session, not test the parser.
      if (path === "/api/logout") continue;
      const concrete = path.replace("{token}", hook.split("/").pop()!).replace(/\{[^}]+\}/g, "1");
      routes.push([method.toUpperCase(), concrete]);
    }
  assert.ok(routes.length >= 30, `the document lists the routes (${routes.length})`);
  for (const [method, path] of routes)
    for (const [label, body, headers] of BAD_BODIES)
      check(`${method} ${path}`, label, await send(method, path, body, headers));
  assert.equal(exited, false, `serve exited: ${stderr.slice(0, 500)}`);
});

test("hostile data at every expression site is data: runs end, secrets are not probed, nothing hangs", {
  timeout: 300_000,
}, async () => {
  const sites = [
    { id: "f", action: "filter", input: { condition: "{{ trigger.body.c }}" } },
    { id: "i", action: "filter", if: "{{ trigger.body.c }}", input: { condition: "{{ true }}" } },
    {
      id: "b",
      action: "branch",
      cases: [
        { if: "{{ trigger.body.c }}", steps: [{ id: "inner", action: "filter", input: { condition: "{{ true }}" } }] },
      ],
    },
    { id: "d", action: "delay", input: { until: "{{ trigger.body.c }}" } },
    { id: "h", action: "http.request", input: { method: "GET", url: "{{ trigger.body.c }}" } },
  ];
  // A right and a wrong guess at a secret: if data were evaluated they would answer differently.
  const hostile = [
    `env.FLOW_CRM_TOKEN = '${SECRET}'`,
    "env.FLOW_CRM_TOKEN = 'wrong-guess'",
    "$string([1..10000000])",
    "$pad('x', 100000000)",
    "$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /(a+)+$/)",
    "( $f := function($n){ $f($n+1) }; $f(0) )",
    "Yes please remind me",
    "{{ env.FLOW_CRM_TOKEN }}",
    "http://169.254.169.254/latest/meta-data/",
  ];
  for (const site of sites) {
    const { id, path } = await webhookWorkflow(`hostile ${site.id}`, [site]);
    const runIds: string[] = [];
    for (const c of hostile) {
      const r = await send("POST", path, JSON.stringify({ c }));
      check(`webhook ${site.id}`, c, r);
      runIds.push((JSON.parse(r.text) as { runId: string }).runId);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const runs = JSON.parse((await send("GET", `/api/runs?workflow=${id}`)).text) as {
        id: string;
        status: string;
      }[];
      const mine = runs.filter((r) => runIds.includes(r.id));
      if (mine.length === runIds.length && mine.every((r) => !["queued", "running"].includes(r.status))) break;
      assert.ok(Date.now() < deadline, `runs of ${site.id} did not end: ${JSON.stringify(mine)}`);
      await sleep(300);
    }
    const views = await Promise.all(
      runIds.map(async (runId) => JSON.parse((await send("GET", `/api/runs/${runId}`)).text) as RunView),
    );
    const [right, wrong] = views;
    assert.equal(right!.status, wrong!.status, `${site.id}: a right and a wrong guess end alike`);
    assert.deepEqual(
      right!.steps.map((st) => [st.stepId, st.status, st.output]),
      wrong!.steps.map((st) => [st.stepId, st.status, st.output]),
      `${site.id}: a right and a wrong guess give the same step results`,
    );
  }
  assert.equal(exited, false, `serve exited: ${stderr.slice(0, 500)}`);
});

test("the expression resource-exhaustion set through the step test ends in bounded time with a clear error", {
  timeout: 300_000,
}, async () => {
  const bombs = [
    "{{ $string([1..10000000]) }}",
    "{{ $pad('x', 100000000) }}",
    "{{ $match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /(a+)+$/) }}",
    "{{ ( $f := function($n){ $f($n+1) }; $f(0) ) }}",
    "{{ $sum([1..10000000]) }}",
  ];
  for (const bomb of bombs) {
    const started = performance.now();
    const r = await send(
      "POST",
      "/api/steps/test",
      JSON.stringify({
        step: { id: "x", action: "http.request", input: { method: "GET", url: bomb } },
        context: { trigger: {}, steps: {} },
      }),
    );
    check("POST /api/steps/test", bomb, r);
    const result = JSON.parse(r.text) as { ok: boolean; error?: string };
    assert.equal(result.ok, false, bomb);
    assert.ok(performance.now() - started < 10_000, `${bomb} took ${Math.round(performance.now() - started)} ms`);
  }
  assert.equal(exited, false, `serve exited: ${stderr.slice(0, 500)}`);
});

test("/healthz answered within 1 s throughout", () => {
  console.log(
    `hostile input: ${tried.length} tried, ${tried.filter((t) => t.status >= 500).length} 5xx; /healthz ${health.checks} checks, max ${Math.round(health.max)} ms, ${health.failures} failures`,
  );
  assert.ok(health.checks > 10);
  assert.equal(health.failures, 0);
  assert.ok(health.max < 1000, `max /healthz latency ${Math.round(health.max)} ms`);
});
