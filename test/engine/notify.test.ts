/**
 * A workflow saved or enabled through the API reaches the running scheduler at once (the API's
 * `notify("workflows-changed")`), not at the next periodic reload — here an hour away.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Service, startService } from "../../src/engine/service.ts";
import { createLogger } from "../../src/log.ts";
import { startHttp } from "../../src/server/http.ts";
import { type Harness, harness, sleep, workflow } from "./helpers.ts";

const PASSWORD = "correct horse battery staple";
const WRITE = { "x-cliniko-flow": "1", "content-type": "application/json" };
let h: Harness;
let service: Service;
let url = "";
let cookie = "";

before(async () => {
  h = await harness();
  const env = { ...h.env, CLINIKO_FLOW_ADMIN_PASSWORD: PASSWORD, CLINIKO_FLOW_DATA_DIR: h.dir };
  // One active workflow already: an empty scheduler reloads on every tick, which would hide the bug.
  const first = workflow({ name: "patients", trigger: { key: "new_patient" } });
  await h.store.workflows.save(first.name, first);
  service = await startService({
    env,
    store: h.store,
    logger: createLogger({ level: "silent" }),
    pollIntervalMs: 60_000,
    tickMs: 50,
    reloadMs: 3_600_000,
    extensions: [
      async (svc) => {
        const http = await startHttp(svc, { port: 0 }, env, () => {});
        url = http.url;
        return http.stop;
      },
    ],
  });
  const login = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
});
after(async () => {
  await service.stop();
  await h.close();
});

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { ...WRITE, cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The resources the scheduler polls now. */
const polled = () => service.scheduler.jobs().map((j) => j.resource);

async function within(ms: number, ok: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

test("a workflow created, disabled and enabled through the API is (un)scheduled at once", async () => {
  assert.ok(await within(2000, () => polled().includes("patients")), "the first workflow is scheduled at start");
  const def = workflow({ name: "appointment types", trigger: { key: "new_appointment_type" } });
  const created = await api("POST", "/api/workflows", { definition: def, enabled: true });
  const body = await created.text();
  assert.equal(created.status, 201, body);
  const id = (JSON.parse(body) as { id: string | number }).id;
  assert.ok(await within(1000, () => polled().includes("appointment_types")), `not scheduled: ${polled()}`);
  assert.equal((await api("POST", `/api/workflows/${id}/disable`, {})).status, 200);
  assert.ok(await within(1000, () => !polled().includes("appointment_types")), "still scheduled after disable");
  assert.equal((await api("POST", `/api/workflows/${id}/enable`, {})).status, 200);
  assert.ok(await within(1000, () => polled().includes("appointment_types")), "not scheduled after enable");
});
