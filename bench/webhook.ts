/**
 * Webhook engine cost (`npm run bench -- webhook`). The scenario, so another engine can be
 * measured the same way:
 *   - a Cliniko sandbox (rate limit off) in its own process, one patient in it;
 *   - the engine (`cliniko-flow serve`, SQLite) in its own process, with two active workflows
 *     started by a webhook: "one" = GET /patients/{body.id}; "three" = the same GET three times,
 *     each step reading its id from the previous step's output ({{ steps.a.id }});
 *   - N webhook posts (JSON `{"id": <patient>}`) at concurrency C to each workflow's URL; a round
 *     ends when every run has finished (all must succeed);
 *   - the raw floor: the same N GETs sent straight to the sandbox at concurrency C.
 *   - Node-RED, as a comparison engine (bench/node-red.ts): its http-in → http-request →
 *     http-response flow doing the same GET per post, on the same sandbox with the same load
 *     generator; it answers when the GET is done, and keeps nothing.
 * Rounds alternate raw / one / three / Node-RED, 3 times; the medians are printed, and the ratio
 * of one-step runs to Node-RED's posts of each round. CPU is the engine's (or Node-RED's) process
 * and its children only (from /proc), so neither the sandbox nor this load generator counts.
 * BENCH_WEBHOOKS (N, default 2000), BENCH_CONCURRENCY (C, default 20), BENCH_ROUNDS (default 3);
 * BENCH_ENGINE_ARGS adds node flags to the engine (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof");
 * DATABASE_URL=postgres://… runs the engine on PostgreSQL instead of a fresh SQLite file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateWorkflow } from "../src/engine/workflow.ts";
import { WebhookTokens } from "../src/server/webhooks.ts";
import { openStore, type Store } from "../src/store/index.ts";
import { nodeRedInstall, startNodeRed } from "./node-red.ts";
import { email, sleep } from "./support.ts";

const bin = new URL("../bin/cliniko-flow.js", import.meta.url).pathname;
const N = Number(process.env.BENCH_WEBHOOKS ?? 2000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICK_MS = 1000 / 100; // /proc reports CPU in clock ticks (USER_HZ = 100 on Linux)

/** Starts a CLI child and resolves with the first stdout line matching `pattern`. */
function startChild(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  const found = new Promise<RegExpMatchArray>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before it was ready:\n${err}`)));
  });
  return { child, found };
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** The process and every descendant (the expression workers are child processes). */
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (kids) for (const k of kids.split(/\s+/)) out.push(...tree(Number(k)));
    }
  } catch {}
  return out;
}

/** CPU ms used so far by the engine and its children (utime + stime). */
function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {}
  }
  return ticks * TICK_MS;
}

function peakRssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Runs `count` calls of `fn` with at most `concurrency` in flight; returns each call's latency. */
async function pool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await fn(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

interface Round {
  perS: number;
  cpuMs: number;
  p50: number;
  p99: number;
}

/** Finished runs (and how many of them did not succeed) with an id above `after`: an index walk, cheap to repeat. */
async function finishedRuns(store: Store, after = 0): Promise<{ done: number; bad: number }> {
  const rows = await store.database.db
    .selectFrom("runs")
    .select(["status", (eb) => eb.fn.countAll().as("n")])
    .where("id", ">", after)
    .where("status", "in", ["succeeded", "failed", "unknown"])
    .groupBy("status")
    .execute();
  const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return { done: n("succeeded") + n("failed") + n("unknown"), bad: n("failed") + n("unknown") };
}

async function lastRunId(store: Store): Promise<number> {
  const row = await store.database.db
    .selectFrom("runs")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

async function viaNodeRedOnce(url: string, patientId: string): Promise<void> {
  await (
    await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: `{"id":"${patientId}"}` })
  ).text();
}

export async function webhook() {
  console.log(`\nWebhook runs: ${N} posts at concurrency ${C}, engine in its own process (sandbox rate limit off)`);
  const dir = mkdtempSync(join(tmpdir(), "cf-bench-webhook-"));
  const apiKey = "bench-key-0123456789abcdef";
  const sandboxChild = startChild(
    ["sandbox", "--port", "0", "--seed", "empty", "--rate-limit", "0", "--api-key", apiKey],
    process.env,
    /listening on (http:\S+)/,
  );
  const baseUrl = (await sandboxChild.found)[1]!;
  const headers = {
    Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString("base64")}`,
    "User-Agent": `cliniko-flow bench (${email})`,
    Accept: "application/json",
  };
  const created = await fetch(`${baseUrl}/patients`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ first_name: "Bench", last_name: "Mark" }),
  });
  const patientId = String(((await created.json()) as { id: string | number }).id);

  const databaseUrl = process.env.DATABASE_URL?.startsWith("postgres")
    ? process.env.DATABASE_URL
    : `sqlite:${join(dir, "bench.db")}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CLINIKO_API_KEY: apiKey,
    CLINIKO_EMAIL: email,
    CLINIKO_BASE_URL: baseUrl,
    // The sandbox runs in a process of its own: the operator's exception lets the engine reach it.
    CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
    CLINIKO_FLOW_SECRET: "bench-secret-bench-secret",
    CLINIKO_FLOW_RATE_LIMIT: "0",
    CLINIKO_FLOW_WEBHOOK_RATE: "100000000",
    // The benchmark measures throughput, so posts may queue past the default cap of 1000 runs.
    CLINIKO_FLOW_WEBHOOK_MAX_QUEUED: "100000000",
    LOG_FORMAT: "json",
  };
  const store = await openStore({ env });
  const tokens = new WebhookTokens(store.database.db);
  const hook = async (name: string, steps: unknown[]) => {
    const def = validateWorkflow({ name, trigger: { key: "webhook" }, steps });
    const w = await store.workflows.save(name, def);
    await store.workflows.setEnabled(name, true);
    return `/hooks/${await tokens.tokenFor(w.id)}`;
  };
  const find = (id: string, from: string) => ({ id, action: "find_patient", input: { id: `{{ ${from} }}` } });
  const hooks = {
    one: await hook("bench one step", [find("a", "trigger.body.id")]),
    three: await hook("bench three steps", [
      find("a", "trigger.body.id"),
      find("b", "steps.a.id"),
      find("c", "steps.b.id"),
    ]),
  };

  const nodeArgs = (process.env.BENCH_ENGINE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const engine = startChild(["serve", "--port", "0"], env, /running at (http:\S+)/, nodeArgs);
  const engineUrl = (await engine.found)[1]!;
  const pid = engine.child.pid!;

  const raw = async (): Promise<Round> => {
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    const lat = await pool(N, C, async () => {
      const res = await fetch(`${baseUrl}/patients/${patientId}`, { headers });
      if (res.status !== 200) throw new Error(`sandbox answered ${res.status}`);
      await res.text();
    });
    const wall = (performance.now() - t0) / 1000;
    return { perS: N / wall, cpuMs: (cpuMs(pid) - cpu0) / N, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  };
  const viaEngine = async (path: string): Promise<Round> => {
    const after = await lastRunId(store);
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    const body = JSON.stringify({ id: patientId });
    const lat = await pool(N, C, async () => {
      const res = await fetch(`${engineUrl}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      await res.text();
    });
    // Polled every 10 ms from this process (a cheap index walk), so it barely competes for the CPU.
    let now = await finishedRuns(store, after);
    while (now.done < N) {
      await sleep(10);
      now = await finishedRuns(store, after);
    }
    const wall = (performance.now() - t0) / 1000;
    if (now.bad > 0) throw new Error(`${now.bad} runs did not succeed`);
    return { perS: N / wall, cpuMs: (cpuMs(pid) - cpu0) / N, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  };

  const red = nodeRedInstall();
  const nodeRed = red ? await startNodeRed(red, { baseUrl, headers }) : undefined;
  const viaNodeRed = async (): Promise<Round> => {
    const { url, pid: redPid } = nodeRed!;
    const cpu0 = cpuMs(redPid);
    const t0 = performance.now();
    const body = JSON.stringify({ id: patientId });
    const lat = await pool(N, C, async () => {
      const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const text = await res.text();
      if (res.status !== 200 || !text.includes(`"${patientId}"`))
        throw new Error(`node-red answered ${res.status}: ${text.slice(0, 200)}`);
    });
    const wall = (performance.now() - t0) / 1000;
    return { perS: N / wall, cpuMs: (cpuMs(redPid) - cpu0) / N, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  };

  // Warm-up: JIT, connections, prepared statements, definition caches.
  const warm = Math.min(N, 200);
  await pool(warm, C, async () => void (await (await fetch(`${baseUrl}/patients/${patientId}`, { headers })).text()));
  for (const path of [hooks.one, hooks.three]) {
    const after = await lastRunId(store);
    await pool(warm, C, async () => {
      await (
        await fetch(`${engineUrl}${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: `{"id":"${patientId}"}`,
        })
      ).text();
    });
    while ((await finishedRuns(store, after)).done < warm) await sleep(10);
  }

  if (nodeRed) await pool(warm, C, async () => void (await viaNodeRedOnce(nodeRed.url, patientId)));

  const rounds: Record<"raw" | "one" | "three" | "nodeRed", Round[]> = { raw: [], one: [], three: [], nodeRed: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.raw.push(await raw());
    rounds.one.push(await viaEngine(hooks.one));
    rounds.three.push(await viaEngine(hooks.three));
    if (nodeRed) rounds.nodeRed.push(await viaNodeRed());
  }
  const rss = peakRssMb(pid);
  const med = (k: keyof typeof rounds) => ({
    perS: median(rounds[k].map((x) => x.perS)),
    cpuMs: median(rounds[k].map((x) => x.cpuMs)),
    p50: median(rounds[k].map((x) => x.p50)),
    p99: median(rounds[k].map((x) => x.p99)),
  });
  const [floor, one, three] = [med("raw"), med("one"), med("three")];
  const perStep = (three.cpuMs - one.cpuMs) / 2;
  const fixed = one.cpuMs - perStep;
  const f = (n: number, d = 0) => n.toFixed(d).padStart(7);
  console.log(
    `   database: ${databaseUrl.startsWith("postgres") ? "PostgreSQL" : "SQLite"}; medians of ${ROUNDS} rounds`,
  );
  console.log("                      exec/s  CPU-ms/exec  accept p50 ms  p99 ms   ratio to raw");
  console.log(
    `   raw floor (GETs) ${f(floor.perS)}  ${"—".padStart(11)}  ${f(floor.p50, 2)}  ${f(floor.p99, 2)}  (requests/s)`,
  );
  const rows: [string, Round][] = [
    ["one-step runs ", one],
    ["three-step runs", three],
  ];
  if (nodeRed) rows.push(["node-red (1 GET)", med("nodeRed")]);
  for (const [label, m] of rows)
    console.log(
      `   ${label.padEnd(16)} ${f(m.perS)}  ${f(m.cpuMs, 2).padStart(11)}  ${f(m.p50, 2)}  ${f(m.p99, 2)}  ${(m.perS / floor.perS).toFixed(2)}`,
    );
  console.log(
    `   engine CPU ≈ ${fixed.toFixed(2)} ms fixed + ${perStep.toFixed(2)} ms per step; peak RSS ${rss.toFixed(0)} MB`,
  );
  if (nodeRed) {
    // Per round (the rounds alternate, so each ratio compares the same minutes of a loaded machine).
    const ratios = rounds.one.map((o, i) => (o.perS / rounds.nodeRed[i]!.perS).toFixed(2));
    console.log(
      `   one-step runs / node-red: ${ratios.join(", ")} per round (median ${median(ratios.map(Number)).toFixed(2)}); CPU-ms ratio ${(one.cpuMs / med("nodeRed").cpuMs).toFixed(2)}`,
    );
  }
  console.log(
    "   (targets: one-step ≥ node-red's runs/s and ≥ 0.3 of raw; ≤ 1.0 ms per execution + ≤ 0.5 ms per step)",
  );

  await nodeRed?.stop();
  await stopChild(engine.child);
  await stopChild(sandboxChild.child);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
