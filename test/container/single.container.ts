/**
 * The image alone, as `docker run … serve --demo` runs it: SQLite and the secret in the /data
 * volume, a non-root user, a read-only root filesystem. It starts and answers /healthz (and its
 * HEALTHCHECK passes), the demo workflow produces a run, `podman stop` drains a run in flight
 * within the drain time, and a new container on the same volume keeps the workflows, the runs,
 * the connections (still decryptable) and the password.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { Api, freePort, IMAGE, podman, podmanQuiet, type RunRow, waitFor } from "./podman.ts";

const id = randomBytes(4).toString("hex");
const volume = `cf-test-data-${id}`;
const names: string[] = [];

after(async () => {
  for (const name of names) await podmanQuiet("rm", "-f", "-v", "-t", "0", name);
  await podmanQuiet("volume", "rm", "-f", volume);
  await podmanQuiet("volume", "rm", "-f", `${volume}-ro`);
});

/** A container of the image on the test volume, with a read-only root and its port on loopback. */
async function start(name: string, port: number): Promise<Api> {
  names.push(name);
  await podman(
    "run",
    "-d",
    "--name",
    name,
    "--read-only",
    "--tmpfs",
    "/tmp",
    "-p",
    `127.0.0.1:${port}:3000`,
    "-v",
    `${volume}:/data`,
    // The demo workflow polls every 30 s; a 1 s interval keeps the suite short.
    "-e",
    "CLINIKO_FLOW_TEST_POLL_INTERVAL_MS=1000",
    IMAGE,
    "serve",
    "--demo",
  );
  const api = new Api(`http://127.0.0.1:${port}`);
  await waitFor(`${name} /healthz`, () => api.healthy(), 120_000);
  return api;
}

/** The run of the demo workflow for the patient `patientId` in `status`, if there is one. */
async function runOf(api: Api, patientId: string, status: string): Promise<RunRow | undefined> {
  for (const run of await api.get<RunRow[]>(`/api/runs?status=${status}&limit=50`)) {
    const detail = await api.get<{ payload: { id?: unknown } }>(`/api/runs/${run.id}`);
    if (String(detail.payload?.id) === patientId) return run;
  }
  return undefined;
}

const exec = (name: string, ...cmd: string[]) => podman("exec", name, ...cmd);

/** A request to the in-container demo sandbox's control API (it listens on the container's loopback). */
async function sandboxControl(name: string, origin: string, method: string, path: string, body?: unknown) {
  const script = `const r = await fetch(process.argv[1], { method: process.argv[2], headers: { "content-type": "application/json" }, body: process.argv[3] || undefined }); process.stdout.write(await r.text());`;
  const out = await exec(
    name,
    "node",
    "--input-type=module",
    "-e",
    script,
    `${origin}/__sandbox${path}`,
    method,
    body === undefined ? "" : JSON.stringify(body),
  );
  return out ? (JSON.parse(out) as unknown) : undefined;
}

test("the image runs as the unprivileged node user, with a read-only root filesystem and a writable /data", async () => {
  assert.equal(await podman("image", "inspect", "--format", "{{.Config.User}}", IMAGE), "node");
  const name = `cf-test-ro-${id}`;
  names.push(name);
  const out = await podman(
    "run",
    "--name",
    name,
    "--read-only",
    "--tmpfs",
    "/tmp",
    "-v",
    `${volume}-ro:/data`,
    "--entrypoint",
    "sh",
    IMAGE,
    "-c",
    'id -u; touch /app/x 2>/dev/null || echo "root read-only"; touch /data/x && echo "data writable"; stat -c "%a %U" /data',
  );
  assert.deepEqual(out.split("\n"), ["1000", "root read-only", "data writable", "700 node"]);
  await podman("rm", "-v", name);
  await podman("volume", "rm", `${volume}-ro`);
});

test("one container on SQLite: demo run, drain on podman stop, state kept on the volume", async () => {
  const port = await freePort();
  const first = `cf-test-single-${id}-a`;
  const api = await start(first, port);

  // Non-root, read-only root, HEALTHCHECK present and passing, /data owner-only.
  assert.equal(await exec(first, "id", "-u"), "1000");
  await assert.rejects(exec(first, "touch", "/app/x"), /Read-only file system/);
  const health = await podman("inspect", "--format", "{{json .Config.Healthcheck}}", first);
  assert.match(health, /healthz/);
  await podman("healthcheck", "run", first);

  const password = /log in with the password: (\S+)/.exec(await podman("logs", first))?.[1];
  assert.ok(password, "serve --demo prints the admin password");
  await api.login(password);
  const demo = await api.get<{ sandboxUrl: string }>("/api/demo");
  const origin = new URL(demo.sandboxUrl).origin;

  // The demo workflow: a new patient in the sandbox clinic → a run that writes a medical alert.
  const added = await api.post<{ id: string }>("/api/demo/add-patient", { firstName: "Ada", lastName: "Container" });
  const firstRun = await waitFor("the demo workflow's run", () => runOf(api, added.id, "succeeded"));
  assert.ok(firstRun.finishedAt);

  // A second Cliniko connection, stored encrypted with the secret generated into /data.
  const sandboxKey = (JSON.parse(await exec(first, "cat", "/data/sandbox.json")) as { apiKeys: string[] }).apiKeys[0]!;
  await api.post("/api/connections", {
    name: "kept",
    apiKey: sandboxKey,
    email: "ops@clinic.example",
    baseUrl: demo.sandboxUrl,
  });

  // A run in flight at SIGTERM: the alert's POST takes 6 s in the sandbox.
  await sandboxControl(first, origin, "POST", "/faults", {
    kind: "latency",
    method: "POST",
    path: "/medical_alerts",
    ms: 6000,
  });
  const slow = await api.post<{ id: string }>("/api/demo/add-patient", { firstName: "Grace", lastName: "Drain" });
  const inFlight = await waitFor("a run in flight", () => runOf(api, slow.id, "running"), 60_000, 200);
  const stopStarted = Date.now();
  await podman("stop", "-t", "40", first);
  const stopMs = Date.now() - stopStarted;
  const exitCode = await podman("inspect", "--format", "{{.State.ExitCode}}", first);
  assert.equal(exitCode, "0", "SIGTERM ends the process cleanly, not by SIGKILL");
  assert.ok(stopMs < 30_000, `podman stop took ${stopMs} ms, past the 30 s drain time`);
  process.stdout.write(`# podman stop with a run in flight: ${stopMs} ms\n`);
  // Every file the process wrote to /data (database, journal, secret, password, sandbox) is owner-only.
  const files = await podman(
    "run",
    "--rm",
    "-v",
    `${volume}:/data`,
    "--entrypoint",
    "sh",
    IMAGE,
    "-c",
    'stat -c "%a %u %n" /data /data/*',
  );
  for (const name of ["secret.key", "cliniko-flow.db", "demo-password.txt"])
    assert.match(files, new RegExp(`/data/${name}$`, "m"));
  for (const line of files.split("\n")) assert.match(line, /^(600|700) 1000 /, files);

  // A new container on the same volume: same password, workflow, runs and connections.
  await podman("rm", "-v", first);
  const second = `cf-test-single-${id}-b`;
  const again = await start(second, port);
  assert.equal(/log in with the password: (\S+)/.exec(await podman("logs", second))?.[1], password);
  await again.login(password);
  const workflows = await again.get<{ name: string; enabled: boolean }[]>("/api/workflows");
  assert.equal(workflows.length, 1);
  assert.equal(workflows[0]!.enabled, true);
  const runs = await again.get<RunRow[]>("/api/runs?limit=50");
  assert.ok(runs.some((r) => r.id === firstRun.id && r.status === "succeeded"));
  const drained = runs.find((r) => r.id === inFlight.id);
  assert.equal(drained?.status, "succeeded", "the run in flight finished before the container stopped");
  assert.ok(
    Date.parse(drained.finishedAt!) <= stopStarted + stopMs,
    "it finished during the drain, not after the restart",
  );
  const connections = await again.get<{ name: string }[]>("/api/connections");
  assert.deepEqual(connections.map((c) => c.name).sort(), ["demo", "kept"]);
  const tested = await again.post<{ ok: boolean }>("/api/connections/kept/test");
  assert.equal(tested.ok, true, "the stored key still decrypts: the secret was kept on the volume");
  // The alert of the drained run landed once.
  const { medical_alerts: alerts } = (await sandboxControl(second, origin, "GET", "/records/medical_alerts")) as {
    medical_alerts: { name: string }[];
  };
  assert.equal(alerts.filter((a) => a.name === "Intake form pending for Grace").length, 1);
});
