/**
 * compose.yaml as an operator runs it (podman-compose, the `.env` beside it): PostgreSQL, Redis, one
 * api and two workers, plus a sandbox Cliniko. A webhook workflow's 200 posts each run once; a
 * worker SIGKILLed mid-load loses and duplicates nothing (its runs are taken over once their
 * lease ends); a third worker started by scaling up picks up work alone when the others stop.
 * Judged by the sandbox's own records: at most one medical alert per post, one per succeeded run.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Api, compose, freePort, IMAGE, logs, podman, podmanQuiet, type RunRow, waitFor } from "./podman.ts";

const root = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cf-compose-"));
const project = `cftest${randomBytes(3).toString("hex")}`;
const files = ["compose.yaml", "compose.sandbox.yaml"];
const SANDBOX_KEY = "container-suite-key-au1";

after(async () => {
  await compose(dir, project, files, ["down", "-v", "-t", "5"], { CLINIKO_FLOW_WORKERS_REPLICAS: "3" }).catch(() => {});
  // podman-compose 1.0 leaves the project's network behind.
  await podmanQuiet("network", "rm", `${project}_default`);
  rmSync(dir, { recursive: true, force: true });
});

/** `up -d` with this many workers (a process variable: in podman-compose the `.env` file wins). */
const up = (replicas: number) =>
  compose(dir, project, files, ["up", "-d"], { CLINIKO_FLOW_WORKERS_REPLICAS: String(replicas) });

test("compose: api + workers on PostgreSQL and Redis run each webhook post once, through a worker SIGKILL and a scale-up", async () => {
  copyFileSync(join(root, "compose.yaml"), join(dir, "compose.yaml"));
  copyFileSync(join(root, "test/container/compose.sandbox.yaml"), join(dir, "compose.sandbox.yaml"));
  const [apiPort, sandboxPort] = [await freePort(), await freePort()];
  const password = randomBytes(12).toString("hex");
  writeFileSync(
    join(dir, ".env"),
    [
      `CLINIKO_FLOW_SECRET=${randomBytes(32).toString("hex")}`,
      `CLINIKO_FLOW_ADMIN_PASSWORD=${password}`,
      `POSTGRES_PASSWORD=${randomBytes(16).toString("hex")}`,
      `CLINIKO_FLOW_IMAGE=${IMAGE}`,
      `CLINIKO_FLOW_PORT=${apiPort}`,
      `SANDBOX_PORT=${sandboxPort}`,
      // The sandbox does not rate-limit; a killed worker's runs are taken over after 10 s.
      "CLINIKO_FLOW_RATE_LIMIT=0",
      "CLINIKO_FLOW_LEASE_MS=10000",
      // The sandbox container is an address inside the compose network: the operator allows it.
      "CLINIKO_FLOW_HTTP_ALLOW=sandbox",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  await up(2);
  const api = new Api(`http://127.0.0.1:${apiPort}`);
  const sandbox = `http://127.0.0.1:${sandboxPort}/__sandbox`;
  await waitFor("the api's /healthz", () => api.healthy(), 240_000, 1000);
  const workers = [1, 2].map((n) => `${project}_worker_${n}`);
  for (const w of workers) await waitFor(`${w}'s HEALTHCHECK`, () => podman("healthcheck", "run", w).then(() => true));

  await api.login(password);
  await api.post("/api/connections", {
    name: "clinic",
    apiKey: SANDBOX_KEY,
    email: "ops@clinic.example",
    baseUrl: "http://sandbox:4010/v1",
  });
  const patient = (await (
    await fetch(`${sandbox}/records/patients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ first_name: "Alert", last_name: "Holder" }),
    })
  ).json()) as { id: string };
  const workflow = await api.post<{ id: number }>("/api/workflows", {
    enabled: true,
    definition: {
      name: "container webhook",
      trigger: { key: "webhook", options: { idempotencyKey: "body.n" } },
      steps: [
        {
          id: "alert",
          action: "create_medical_alert",
          connection: "clinic",
          input: { patient_id: patient.id, name: "post|{{ trigger.body.n }}" },
        },
      ],
    },
  });
  const { path } = await api.get<{ path: string }>(`/api/workflows/${workflow.id}/webhook`);

  /** Posts n = from … to-1, 10 at a time; each answers 202 (queued). */
  async function post(from: number, to: number) {
    const queue = Array.from({ length: to - from }, (_, i) => from + i);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          const res = await fetch(`${api.base}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ n }),
          });
          assert.equal(res.status, 202, await res.text());
        }
      }),
    );
  }
  async function alerts(): Promise<Map<string, number>> {
    const body = (await (await fetch(`${sandbox}/records/medical_alerts`)).json()) as {
      medical_alerts: { name: string }[];
    };
    const byName = new Map<string, number>();
    for (const a of body.medical_alerts) byName.set(a.name, (byName.get(a.name) ?? 0) + 1);
    return byName;
  }
  /**
   * The exactness the cluster suite asks for, per post below `total`: exactly one run, finished;
   * at most one alert; a succeeded run wrote one, a failed run none (an `unknown` run, whose step
   * was cut off by the SIGKILL after it may have sent, either).
   */
  async function exactlyOnce(total: number): Promise<Record<string, number>> {
    const runs = await waitFor(
      `${total} finished runs`,
      async () => {
        const all = await api.get<RunRow[]>("/api/runs?limit=1000");
        const mine = all.filter((r) => r.workflow === "container webhook");
        return mine.length >= total && mine.every((r) => r.finishedAt) ? mine : undefined;
      },
      180_000,
      1000,
    );
    const byName = await alerts();
    const runsOf = new Map<string, RunRow[]>();
    for (const r of runs) runsOf.set(r.eventKey, [...(runsOf.get(r.eventKey) ?? []), r]);
    const status: Record<string, number> = {};
    for (let n = 0; n < total; n++) {
      const [run, ...more] = runsOf.get(`webhook#${n}`) ?? [];
      assert.ok(run, `post ${n} has a run`);
      assert.equal(more.length, 0, `post ${n} ran once`);
      const written = byName.get(`post|${n}`) ?? 0;
      assert.ok(written <= 1, `post ${n} wrote ${written} alerts`);
      if (run.status === "succeeded") assert.equal(written, 1, `post ${n} succeeded without its alert`);
      else assert.ok(run.status === "unknown" || written === 0, `post ${n}: ${run.status} with ${written} alerts`);
      status[run.status] = (status[run.status] ?? 0) + 1;
    }
    assert.equal(runs.length, total, "no run for a post that was never made");
    return status;
  }

  // 200 posts; each alert takes 200 ms in the sandbox, so runs are in flight when worker 1 dies.
  await fetch(`${sandbox}/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "latency", method: "POST", path: "/medical_alerts", ms: 200 }),
  });
  await post(0, 200);
  await waitFor("the first 40 alerts", async () => (await alerts()).size >= 40, 120_000, 200);
  await podman("kill", "-s", "KILL", workers[0]!);
  const ranBeforeKill = (await logs(workers[0]!)).split("\n").filter((l) => l.includes('"run finished"'));
  assert.ok(ranBeforeKill.length > 0, "worker 1 was running posts when it was killed");
  const afterKill = await exactlyOnce(200);
  process.stdout.write(
    `# 200 posts, worker 1 SIGKILLed after ${ranBeforeKill.length} runs: ${JSON.stringify(afterKill)}\n`,
  );

  // A third worker; with the first two stopped (SIGTERM, drained) it alone runs the next posts.
  await up(3);
  const third = `${project}_worker_3`;
  await waitFor(`${third}'s HEALTHCHECK`, () => podman("healthcheck", "run", third).then(() => true));
  for (const w of workers) await podman("stop", "-t", "40", w);
  await post(200, 230);
  const afterScale = await exactlyOnce(230);
  assert.equal(afterScale.succeeded, (afterKill.succeeded ?? 0) + 30, "the third worker ran the 30 new posts");
  const running = await podman(
    "ps",
    "--filter",
    `label=io.podman.compose.project=${project}`,
    "--format",
    "{{.Names}}",
  );
  assert.ok(running.split("\n").includes(third), running);
});
