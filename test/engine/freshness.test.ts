/**
 * Adaptive polling against the sandbox over HTTP with a paced limiter, time compressed (a 2 s
 * rate window stands for Cliniko's minute): freshness polls come far more often than `every`,
 * use only the share of the spare budget, make nobody wait, and stop when the share is 0.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { LocalLimiters } from "../../src/cliniko/rate-limit.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { dueForFreshness, freshIntervalMs, pollShareFromEnv } from "../../src/engine/freshness.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { type Harness, harness, sleep, workflow } from "./helpers.ts";

describe("freshness intervals", () => {
  const o = { fastestMs: 2000, doublingMs: 240_000 };
  test("start fast after a change, double every quiet doubling time, never slower than every", () => {
    assert.equal(freshIntervalMs(0, 60_000, o), 2000);
    assert.equal(freshIntervalMs(240_000, 60_000, o), 4000);
    assert.equal(freshIntervalMs(3_600_000, 60_000, o), 60_000);
    assert.equal(freshIntervalMs(0, 1000, o), 1000, "a shorter every wins");
  });
  test("the most overdue pair asks first; pairs not due yet do not ask", () => {
    const now = 1_000_000;
    const pairs = [
      { id: "quiet", everyMs: 60_000, lastPollAt: now - 9000, lastChangeAt: now - 960_000 }, // 32 s: not due
      { id: "recent", everyMs: 60_000, lastPollAt: now - 3000, lastChangeAt: now - 1000 }, // 1.5× due
      { id: "warm", everyMs: 60_000, lastPollAt: now - 16_000, lastChangeAt: now - 480_000 }, // 8 s: 2× due
    ];
    assert.deepEqual(
      dueForFreshness(pairs, (p) => p, now, o).map((p) => p.id),
      ["warm", "recent"],
    );
  });
  test("CLINIKO_FLOW_POLL_SHARE: default 0.5, 0 turns it off, out of range is refused in a sentence", () => {
    assert.equal(pollShareFromEnv({}), 0.5);
    assert.equal(pollShareFromEnv({ CLINIKO_FLOW_POLL_SHARE: "0" }), 0);
    assert.equal(pollShareFromEnv({ CLINIKO_FLOW_POLL_SHARE: "0.25" }), 0.25);
    assert.throws(() => pollShareFromEnv({ CLINIKO_FLOW_POLL_SHARE: "1" }), /from 0 to 0\.9/);
    assert.throws(() => pollShareFromEnv({ CLINIKO_FLOW_POLL_SHARE: "half" }), /not "half"/);
  });
});

describe("adaptive polling (sandbox, paced limiter, 2 s window)", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });

  const WINDOW = 2000;
  async function runFor(
    ms: number,
    share: number,
    work?: (limiter: import("../../src/cliniko/rate-limit.ts").RateLimiter) => Promise<void>,
  ) {
    const limiters = new LocalLimiters({ limit: 200, windowMs: WINDOW, marginMs: 0 });
    const clients = new ClientProvider(h.store, { env: h.env, limiters });
    const queue = new InProcessQueue(h.store, { workflowIds: [] });
    const scheduler = new Scheduler({
      store: h.store,
      clients,
      queue,
      env: { CLINIKO_FLOW_POLL_SHARE: String(share) },
      pollIntervalMs: 1000, // `every`, compressed
      tickMs: 10,
      freshness: { fastestMs: 50, doublingMs: 4000 },
    });
    const { limiter } = await clients.resolve();
    h.sandbox.requestLog.clear();
    scheduler.start();
    await Promise.all([sleep(ms), work?.(limiter)]);
    await scheduler.stop();
    const entries = h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients");
    return { polls: entries.length, times: entries.map((e) => Date.parse(e.time)), limiter };
  }

  test("a resource with an active workflow is polled far more often than its every; share 0 polls at every only", async () => {
    await h.store.workflows.save("updated", workflow({ trigger: { key: "updated_patient" } }));
    const adaptive = await runFor(1500, 0.5);
    const before = await runFor(1500, 0);
    assert.ok(before.polls <= 3, `${before.polls} polls at every (1 s) in 1.5 s`);
    assert.ok(adaptive.polls >= 8, `${adaptive.polls} polls with the share`);
    // Half of what is spare: 100 per 2 s window at most, 5 in any 100 ms.
    assert.ok(adaptive.polls <= 1 + 100 * (1500 / WINDOW), `${adaptive.polls} polls`);
  });

  test("with runs using half the budget, freshness takes only a share of the rest and no run waits", async () => {
    await h.store.workflows.save("updated", workflow({ trigger: { key: "updated_patient" } }));
    // Runs: 100 requests per window, evenly (one every 20 ms), for 3 s.
    const starts: number[] = [];
    const { polls, times } = await runFor(3000, 0.5, async (l) => {
      const t0 = Date.now();
      for (let i = 0; i < 150; i++) {
        const wait = t0 + i * 20 - Date.now();
        if (wait > 0) await sleep(wait);
        await l.acquire();
        starts.push(Date.now());
      }
    });
    assert.equal(starts.length, 150);
    assert.ok(polls >= 5, `${polls} freshness polls beside the runs`);
    // Freshness may use half of the 100 the runs leave per window: 75 in 3 s at most (+1 regular).
    assert.ok(polls <= 76, `${polls} polls in 3 s`);
    // The window was never close to full, so no run had to wait for a slot: runs 100, freshness
    // at most 50, a regular poll, and a little of the runs' jitter.
    const all = [...starts, ...times].sort((a, b) => a - b);
    let busiest = 0;
    for (let lo = 0, hi = 0; hi < all.length; hi++) {
      while (all[hi]! - all[lo]! >= WINDOW) lo++;
      busiest = Math.max(busiest, hi - lo + 1);
    }
    assert.ok(busiest <= 170, `${busiest} starts in one ${WINDOW} ms window (limit 200)`);
  });
});
