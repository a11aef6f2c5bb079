/**
 * Run records keep no credentials: not a header, not a URL's password or api_key, and not the
 * value of a secret FLOW_* variable, wherever a template put it (URL path, body, any header) or
 * wherever the remote echoed it back (response body, error detail). The live request is intact.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { secretScrubber } from "../../src/engine/redact.ts";
import { Runner } from "../../src/engine/runner.ts";
import { type Harness, harness, receiver, workflow } from "./helpers.ts";

const TOKEN = "crm-token-9f8e7d6c5b4a";
const CHAT_PATH = "T0001/B0002/chatwebhooksecret";
/** Mixed case: a URL host lower-cases it. */
const HOST_SECRET = "HostSecret42Xy";
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
let status = 200;
before(async () => {
  h = await harness();
  hook = await receiver((req) => ({ status, body: { echoed: req.headers["x-crm"], path: req.url } }));
});
after(async () => {
  await hook.close();
  await h.close();
});

async function execute(steps: Parameters<typeof workflow>[0]["steps"]) {
  const def = workflow({ trigger: { key: "new_patient" }, steps });
  const w = await h.store.workflows.save(def.name, def);
  const id = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: "new_patient",
    eventKey: `e${Math.random()}`,
    payload: { id: "1" },
  });
  const runner = new Runner({
    store: h.store,
    clients: h.clients,
    env: {
      ...h.env,
      FLOW_CRM_TOKEN: TOKEN,
      FLOW_CHAT_WEBHOOK: CHAT_PATH,
      FLOW_HOOK_SECRET: HOST_SECRET,
      FLOW_CLINIC: "Smith Physio",
    },
    allowPrivateHttp: true,
    retry: { attempts: 1, backoffMs: 10 },
  });
  const record = (await h.store.runs.find(id))!;
  assert.equal(await h.store.runs.claim(record, "t:1", 60_000), true);
  await runner.execute((await h.store.runs.find(id))!, "t:1");
  return { run: (await h.store.runs.find(id))!, steps: await h.store.runs.steps(id) };
}

const step = {
  id: "crm",
  action: "http.request",
  input: {
    method: "POST",
    url: `${"{{ 'http://user:pa55word-x@' }}"}127.0.0.1:PORT/hooks/{{ env.FLOW_CHAT_WEBHOOK }}?api_key=k-123456&clinic={{ env.FLOW_CLINIC }}`,
    headers: { "X-Crm": "Bearer {{ env.FLOW_CRM_TOKEN }}" },
    json: { note: "token {{ env.FLOW_CRM_TOKEN }}" },
  },
};
const withPort = () => JSON.parse(JSON.stringify(step).replace("PORT", new URL(hook.url).port));

test("stored inputs, outputs and errors keep no secret, while the request itself carried them", async () => {
  for (const answer of [200, 400]) {
    status = answer;
    hook.calls.length = 0;
    const { run, steps } = await execute([withPort()]);
    assert.equal(run.status, answer === 200 ? "succeeded" : "failed");
    // The live request had the real values.
    assert.equal(hook.calls.length, 1);
    assert.ok(hook.calls[0]!.path.includes(CHAT_PATH));
    assert.deepEqual(hook.calls[0]!.body, { note: `token ${TOKEN}` });
    const stored = JSON.stringify({ run, steps });
    for (const secret of [TOKEN, CHAT_PATH, "pa55word-x"])
      assert.ok(!stored.includes(secret), `${secret} is in the stored run (HTTP ${answer}): ${stored}`);
    // A literal api_key in the URL is cut from the stored input (the remote's echo is its own data).
    assert.match(JSON.stringify(steps[0]!.input), /user:\[redacted\]@.*api_key=\[redacted\]&clinic=Smith/);
    assert.match(stored, /\[redacted\]/);
    assert.match(stored, /Smith(\+|%20| )Physio/, "ordinary FLOW_* values stay readable");
    if (answer === 400) assert.match(run.error ?? "", /answered HTTP 400/);
  }
});

test("a secret is cut whatever its case and wherever a URL put it: host (lower-cased), path (escaped)", () => {
  const clean = secretScrubber({ FLOW_HOOK_SECRET: HOST_SECRET, FLOW_CHAT_TOKEN: "a b/c+d=e" });
  const input = clean.input({
    url: `https://${HOST_SECRET}.hooks.example/x?api_key=1`,
    note: HOST_SECRET.toUpperCase(),
  });
  assert.doesNotMatch(JSON.stringify(input), /hostsecret42xy/i);
  assert.match(JSON.stringify(input), /https:\/\/\[redacted\]\.hooks\.example\/x\?api_key=\[redacted\]/);
  const error = clean.text(
    `POST https://${HOST_SECRET.toLowerCase()}.hooks.example/a%20b%2Fc%2Bd%3De failed: ENOTFOUND.`,
  );
  assert.equal(error, "POST https://[redacted].hooks.example/[redacted] failed: ENOTFOUND.");
  assert.deepEqual(clean.text({ seen: HOST_SECRET.toLowerCase() }), { seen: "[redacted]" });
});

test("a secret in a URL host is kept out of the stored input and error, though the URL lower-cased it", async () => {
  const { run, steps } = await execute([
    { id: "hook", action: "http.request", input: { url: `http://{{ env.FLOW_HOOK_SECRET }}.invalid/x`, json: {} } },
  ]);
  assert.equal(run.status, "failed");
  const stored = JSON.stringify({ run, steps });
  assert.match(run.error ?? "", /http:\/\/\[redacted\]\.invalid\/x failed/);
  assert.doesNotMatch(stored, /hostsecret42xy/i);
});
