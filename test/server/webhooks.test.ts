/**
 * Inbound webhooks under load and retries: the limit is per URL (token), a flood of posts to
 * unknown tokens from one address does not block a real sender, and an idempotency key (header or
 * a configured body path) makes a sender's retry answer with the first run instead of a second.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { webhookRateFromEnv } from "../../src/server/app.ts";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };

describe("inbound webhooks", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack({ webhookPostsPerMinute: 150 });
    cookie = await s.login();
  });
  after(() => s.stop());

  async function hook(name: string, options?: Record<string, unknown>): Promise<{ id: string; path: string }> {
    const definition = {
      name,
      trigger: { key: "webhook", ...(options ? { options } : {}) },
      steps: [{ id: "check", action: "filter", input: { condition: "{{ true }}" } }],
    };
    const created = await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
    const path = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;
    return { id, path };
  }

  test("a form posting every sign-up from one address is limited per URL at the configured rate, not at 120", async () => {
    const { path } = await hook("Busy form");
    const statuses: number[] = [];
    for (let i = 0; i < 160; i++) statuses.push((await s.call("POST", path, { body: { n: i } })).status);
    assert.equal(statuses.filter((x) => x === 202).length, 150, "150 accepted (the configured rate)");
    assert.equal(statuses.filter((x) => x === 429).length, 10);
  });

  test("a flood of bogus tokens from one address is cut off without blocking a valid URL", async () => {
    const { path } = await hook("Website");
    const bogus: number[] = [];
    for (let i = 0; i < 40; i++) bogus.push((await s.call("POST", `/hooks/whk_guess${i}`, { body: {} })).status);
    assert.equal(bogus.filter((x) => x === 404).length, 30, "30 guesses a minute per address");
    assert.equal(bogus.filter((x) => x === 429).length, 10);
    const real = await s.call("POST", path, { body: { email: "jo@example.com" } });
    assert.equal(real.status, 202, real.text);
  });

  test("an Idempotency-Key header: the retry answers with the first run and queues none", async () => {
    const { id, path } = await hook("Retrying sender");
    const first = await s.call("POST", path, { body: { a: 1 }, headers: { "idempotency-key": "sub-42" } });
    assert.equal(first.status, 202, first.text);
    const retry = await s.call("POST", path, { body: { a: 1 }, headers: { "idempotency-key": "sub-42" } });
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.json, { runId: (first.json as { runId: string }).runId, duplicate: true });
    const other = await s.call("POST", path, { body: { a: 2 }, headers: { "idempotency-key": "sub-43" } });
    assert.equal(other.status, 202);
    assert.equal((await s.store.runs.list({ workflowId: Number(id) })).length, 2);
    const long = await s.call("POST", path, { body: {}, headers: { "idempotency-key": "x".repeat(201) } });
    assert.equal(long.status, 400);
  });

  test("a configured body path as the key (read as data, never evaluated)", async () => {
    const { id, path } = await hook("Form with ids", { idempotencyKey: "body.submission_id" });
    const a = await s.call("POST", path, { body: { submission_id: 7, name: "Jo" } });
    const b = await s.call("POST", path, { body: { submission_id: 7, name: "Jo" } });
    const c = await s.call("POST", path, { body: { submission_id: "$string([1..10000000])" } });
    const d = await s.call("POST", path, { body: { name: "no id: every post runs" } });
    const e = await s.call("POST", path, { body: { name: "no id: every post runs" } });
    assert.deepEqual([a.status, b.status, c.status, d.status, e.status], [202, 200, 202, 202, 202]);
    assert.equal((await s.store.runs.list({ workflowId: Number(id) })).length, 4);
  });

  test("idempotency keys are stored as keyed digests, not the value, and pruned with the runs' retention", async () => {
    const { id, path } = await hook("Keyed by email", { idempotencyKey: "body.email" });
    const email = "jo.private@example.com";
    const first = await s.call("POST", path, { body: { email } });
    const retry = await s.call("POST", path, { body: { email } });
    assert.deepEqual([first.status, retry.status], [202, 200], "the digest still recognises the retry");
    const db = s.store.database.db;
    const seen = await db.selectFrom("seen_events").selectAll().where("workflow_id", "=", Number(id)).execute();
    assert.equal(seen.length, 1);
    const runs = await db.selectFrom("runs").select("event_key").where("workflow_id", "=", Number(id)).execute();
    for (const text of [JSON.stringify(seen), JSON.stringify(runs.map((r) => r.event_key))])
      assert.ok(!text.includes("jo.private"), `no key value stored: ${text}`);
    // Retention: the run and its key both go once they are older than the retention.
    const old = new Date(Date.now() - 20 * 86_400_000).toISOString();
    await db.updateTable("seen_events").set({ event_time: old }).where("workflow_id", "=", Number(id)).execute();
    await db
      .updateTable("runs")
      .set({ status: "succeeded", finished_at: old })
      .where("workflow_id", "=", Number(id))
      .execute();
    const pruned = await s.store.runs.prune(new Date(Date.now() - 14 * 86_400_000).toISOString());
    assert.ok(pruned >= 1);
    const left = await db.selectFrom("seen_events").selectAll().where("workflow_id", "=", Number(id)).execute();
    assert.deepEqual(left, [], "the idempotency key was pruned with the run");
  });

  test("CLINIKO_FLOW_WEBHOOK_RATE is a whole number of posts per minute", () => {
    assert.equal(webhookRateFromEnv({}), 600);
    assert.equal(webhookRateFromEnv({ CLINIKO_FLOW_WEBHOOK_RATE: "2000" }), 2000);
    assert.throws(() => webhookRateFromEnv({ CLINIKO_FLOW_WEBHOOK_RATE: "fast" }), /whole number/);
  });
});
