/**
 * Whoever holds a webhook URL cannot fill the disk: bodies past the limit are refused (413), and
 * each workflow has a cap on runs waiting in the queue (429 + Retry-After) and on stored payload
 * bytes (503 + Retry-After), while other workflows' webhooks go on working; /metrics shows each
 * workflow's stored bytes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEFAULT_WEBHOOK_LIMITS, webhookLimitsFromEnv } from "../../src/server/webhook-limits.ts";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };
const KiB = 1024;

describe("webhook storage caps", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    // No engine: runs stay queued, as they would behind a flood.
    s = await startStack({ webhookLimits: { maxQueuedRuns: 5, maxStoredBytes: 1024 * KiB } });
    cookie = await s.login();
  });
  after(() => s.stop());

  async function hook(name: string): Promise<{ id: string; path: string }> {
    const definition = {
      name,
      trigger: { key: "webhook" },
      steps: [{ id: "check", action: "filter", input: { condition: "{{ true }}" } }],
    };
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition, enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    const path = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;
    return { id, path };
  }

  test("a body past the limit (256 KiB by default) is refused with 413 and stores nothing", async () => {
    assert.equal(DEFAULT_WEBHOOK_LIMITS.bodyBytes, 256 * KiB);
    const { id, path } = await hook("Big bodies");
    const big = await s.call("POST", path, { body: { blob: "x".repeat(300 * KiB) } });
    assert.equal(big.status, 413, big.text);
    assert.equal((await s.store.runs.list({ workflowId: Number(id) })).length, 0);
    const fits = await s.call("POST", path, { body: { blob: "x".repeat(200 * KiB) } });
    assert.equal(fits.status, 202, fits.text);
  });

  test("past the queued-runs cap: 429 with Retry-After; another workflow is not affected", async () => {
    const { id, path } = await hook("Flooded");
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Stack["call"]>> | undefined;
    for (let i = 0; i < 8; i++) {
      last = await s.call("POST", path, { body: { n: i } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
    assert.equal(last?.headers.get("retry-after"), "30");
    assert.match((last?.json as { message?: string } | undefined)?.message ?? "", /5 runs waiting/);
    assert.equal((await s.store.runs.list({ workflowId: Number(id) })).length, 5);
    const other = await hook("Quiet");
    assert.equal((await s.call("POST", other.path, { body: {} })).status, 202);
  });

  test("past the stored-bytes cap: 503 with Retry-After, and /metrics shows the workflow's bytes", async () => {
    const { id, path } = await hook("Filler");
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Stack["call"]>> | undefined;
    for (let i = 0; i < 12; i++) {
      last = await s.call("POST", path, { body: { blob: "y".repeat(200 * KiB) } });
      statuses.push(last.status);
      // Finished runs do not count against the queue cap, only against storage.
      await s.store.database.db
        .updateTable("runs")
        .set({ status: "succeeded", finished_at: new Date().toISOString() })
        .where("workflow_id", "=", Number(id))
        .execute();
    }
    assert.deepEqual(statuses.slice(0, 6), [202, 202, 202, 202, 202, 202], "200 KiB × 5 < 1 MiB: accepted");
    assert.ok(
      statuses.slice(6).every((x) => x === 503),
      statuses.join(","),
    );
    assert.equal(last?.headers.get("retry-after"), "3600");
    const { storedBytes } = await s.store.runs.usage(Number(id));
    assert.ok(storedBytes >= 1024 * KiB && storedBytes < 1300 * KiB, String(storedBytes));
    const metrics = (await s.call("GET", "/metrics", { cookie })).text;
    const line = metrics.split("\n").find((l) => l.startsWith('cliniko_flow_workflow_stored_bytes{workflow="Filler"}'));
    assert.equal(Number(line?.split(" ")[1]), storedBytes);
  });

  test("the caps are settings with safe defaults", () => {
    assert.deepEqual(webhookLimitsFromEnv({}), DEFAULT_WEBHOOK_LIMITS);
    assert.deepEqual(
      webhookLimitsFromEnv({
        CLINIKO_FLOW_WEBHOOK_BODY_LIMIT: "65536",
        CLINIKO_FLOW_WEBHOOK_MAX_QUEUED: "50",
        CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB: "10",
      }),
      { bodyBytes: 65536, maxQueuedRuns: 50, maxStoredBytes: 10 * 1024 * 1024 },
    );
    assert.throws(() => webhookLimitsFromEnv({ CLINIKO_FLOW_WEBHOOK_MAX_QUEUED: "lots" }), /whole number of runs/);
  });
});
