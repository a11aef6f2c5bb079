import assert from "node:assert/strict";
import { test } from "node:test";
import { startStack } from "./harness.ts";

test("serve --demo stopping (SIGTERM) lets a run in flight against the demo clinic finish before the clinic stops", async () => {
  const stack = await startStack({ engine: true, demo: true });
  try {
    const cookie = await stack.login();
    const write = { cookie, headers: { "x-cliniko-flow": "1" } };
    const { sandboxUrl } = (await stack.call("GET", "/api/demo", { cookie })).json as { sandboxUrl: string };
    // The example workflow's one write (a medical alert) takes 1.5 s in the demo clinic.
    const fault = await fetch(`${new URL(sandboxUrl).origin}/__sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "latency", method: "POST", path: "/medical_alerts", ms: 1500 }),
    });
    assert.equal(fault.status, 201);
    const added = await stack.call("POST", "/api/demo/add-patient", { ...write, body: { firstName: "Grace" } });
    assert.equal(added.status, 201, added.text);
    let running: number | undefined;
    for (let i = 0; i < 200 && running === undefined; i++) {
      running = (await stack.store.runs.list({ status: "running" }))[0]?.id;
      if (running === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(running, "the example workflow's run started");

    await stack.service!.stop();

    const run = await stack.store.runs.find(running);
    assert.equal(run?.status, "succeeded", run?.error ?? "no error");
  } finally {
    await stack.stop();
  }
});
