/**
 * A privacy officer's request: export, then erase, one patient's data from run history — through
 * the API (GET/DELETE /api/patients/:id/runs) and the CLI (`runs export|purge --patient ID`). A run
 * counts as the patient's when its trigger event or any step's data refers to the patient; other
 * patients' runs (even with an id that starts the same) stay.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };
const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
let s: Stack;
let cookie: string;
const ids: Record<string, number> = {};

async function seed(name: string, patientPrefix: string) {
  const def = (key: string) => ({
    name: `${name} ${key}`,
    trigger: { key },
    steps: [{ id: "f", action: "filter", input: { condition: "{{ true }}" } }],
  });
  const np = await s.store.workflows.save(`${name} new_patient`, def("new_patient"), { enabled: false });
  const wh = await s.store.workflows.save(`${name} webhook`, def("webhook"), { enabled: false });
  const run = async (label: string, w: typeof np, trigger: string, payload: unknown, stepOutput?: unknown) => {
    const id = await s.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: trigger,
      eventKey: `${label}-${Math.random()}`,
      payload,
    });
    if (label !== "queued") {
      await s.store.runs.finishStep(
        id,
        "f",
        { status: "succeeded", output: stepOutput ?? { ok: true } },
        { seq: 0, input: { note: "x" }, attempts: 1, startedAt: new Date().toISOString() },
      );
      await s.store.runs.finish(id, "succeeded", null);
    }
    ids[`${patientPrefix}:${label}`] = id;
  };
  return { np, wh, run };
}

before(async () => {
  s = await startStack();
  cookie = await s.login();
  const { np, wh, run } = await seed("Privacy", "p");
  await run("new", np, "new_patient", { id: "123", first_name: "Jo", last_name: "Private" });
  await run("link", wh, "webhook", {
    body: { appointment: { patient: { links: { self: "https://api.au1.cliniko.com/v1/patients/123" } } } },
  });
  await run("step", wh, "webhook", { body: { email: "jo@example.test" } }, { patient_id: 123, alert: "allergy" });
  await run("queued", np, "new_patient", { id: "123", first_name: "Jo" });
  await run("other", np, "new_patient", { id: "1234", first_name: "Sam" });
  await run("otherlink", wh, "webhook", { body: { link: "https://x/v1/patients/1234" } });
});
after(() => s.stop());

test("the API exports exactly the patient's runs, then erases them (queued ones are left and counted)", async () => {
  const exported = await s.call("GET", "/api/patients/123/runs", { cookie });
  assert.equal(exported.status, 200, exported.text);
  const runs = (exported.json as { runs: { id: string; payload: unknown }[] }).runs;
  assert.deepEqual(
    runs.map((r) => Number(r.id)).sort((a, b) => a - b),
    [ids["p:new"], ids["p:link"], ids["p:step"], ids["p:queued"]].sort((a, b) => a! - b!),
  );
  assert.match(exported.text, /Private/, "the export carries the data itself");

  const erased = await s.call("DELETE", "/api/patients/123/runs", { cookie, headers: WRITE });
  assert.equal(erased.status, 200, erased.text);
  assert.deepEqual(erased.json, { erased: 3, inProgress: 1 });
  for (const label of ["new", "link", "step"]) {
    assert.equal(await s.store.runs.find(ids[`p:${label}`]!), undefined, label);
    assert.deepEqual(await s.store.runs.steps(ids[`p:${label}`]!), []);
  }
  assert.ok(await s.store.runs.find(ids["p:queued"]!), "a queued run is left for later");
  assert.ok(await s.store.runs.find(ids["p:other"]!), "patient 1234 is another patient");
  assert.ok(await s.store.runs.find(ids["p:otherlink"]!));
  const audit = (await s.store.audit.list(50)).map((e) => e.action);
  assert.ok(audit.includes("runs.patient_erased") && audit.includes("runs.patient_exported"));
  assert.equal((await s.call("GET", "/api/patients/abc/runs", { cookie })).status, 400);
});

test("the CLI: runs export --patient prints the runs, runs purge --patient erases them", async () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...s.env } });
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        out += d;
      });
      child.on("close", (code) => resolve({ code: code ?? 1, out }));
    });
  const exported = await cli(["runs", "export", "--patient", "1234"]);
  assert.equal(exported.code, 0, exported.out);
  const runs = (JSON.parse(exported.out) as { runs: { id: number }[] }).runs.map((r) => r.id).sort();
  assert.deepEqual(runs, [ids["p:other"], ids["p:otherlink"]].sort());
  const purged = await cli(["runs", "purge", "--patient", "1234"]);
  assert.equal(purged.code, 0, purged.out);
  assert.match(purged.out, /Erased 2 runs of patient 1234/);
  assert.equal(await s.store.runs.find(ids["p:other"]!), undefined);
  assert.equal((await cli(["runs", "purge", "--patient", "x1"])).code, 2);
});
