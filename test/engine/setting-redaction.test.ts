/**
 * Settings saved in the web UI as not secret, but named like a secret (a chat `*_WEBHOOK_URL`
 * whose path is the credential, a `*_TOKEN`), are cut from what a run records and what a step test
 * shows — inputs, outputs, errors and error details — as FLOW_* environment variables are; the
 * live request still gets the real values, and an ordinary setting stays readable.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { StepTester } from "../../src/engine/step-test.ts";
import { executeRun, type Harness, harness, queueRun, receiver, workflow } from "./helpers.ts";

const CHAT_PATH = "/hooks/T024/chat-path-9f8e7d6c";
const TOKEN = "partner-7c6b5a4d3e";
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
let reject = false;
before(async () => {
  h = await harness();
  // Some receivers echo what they got: the token comes back in the answer (and, refused, in the error's body).
  hook = await receiver((_req, body) => ({ status: reject ? 400 : 200, body: { echo: JSON.parse(body) } }));
  // Saved as NOT secret: only their names say what they are.
  await h.store.settings.set("FLOW_FRONT_DESK_WEBHOOK_URL", `${hook.url}${CHAT_PATH}`, false);
  await h.store.settings.set("FLOW_PARTNER_TOKEN", TOKEN, false);
  await h.store.settings.set("FLOW_CLINIC_NAME", "Harbour Physio", false);
});
after(async () => {
  await hook.close();
  await h.close();
});

const def = workflow({
  trigger: { key: "webhook" },
  steps: [
    {
      id: "tell",
      action: "http.request",
      input: {
        method: "POST",
        url: "{{ env.FLOW_FRONT_DESK_WEBHOOK_URL }}",
        json: { text: "{{ env.FLOW_PARTNER_TOKEN }} at {{ env.FLOW_CLINIC_NAME }}" },
      },
    },
  ],
});

const leaks = (record: unknown) => [CHAT_PATH, TOKEN].filter((secret) => JSON.stringify(record).includes(secret));

test("a run records neither value, though the request had both; the clinic's name stays readable", async () => {
  reject = false;
  hook.calls.length = 0;
  const { run, steps } = await executeRun(h, await queueRun(h, def, { body: {} }));
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.deepEqual(hook.calls[0]!.path, CHAT_PATH);
  assert.deepEqual(hook.calls[0]!.body, { text: `${TOKEN} at Harbour Physio` });
  assert.deepEqual(leaks({ run, steps }), []);
  assert.match(JSON.stringify(steps[0]!.input), /\[redacted\]/);
  assert.match(JSON.stringify(steps[0]!.output), /\[redacted\] at Harbour Physio/);
});

test("a refused request's error and details are cut alike", async () => {
  reject = true;
  const { run, steps } = await executeRun(h, await queueRun(h, def, { body: {} }));
  assert.equal(run.status, "failed");
  assert.deepEqual(run.details, { echo: { text: "[redacted] at Harbour Physio" } });
  assert.deepEqual(leaks({ run, steps }), []);
});

test("a step test shows neither value either", async () => {
  reject = false;
  const tester = new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true });
  const tested = await tester.workflow(def, { body: {} });
  assert.equal(tested.ok, true);
  assert.deepEqual(leaks(tested), []);
});
