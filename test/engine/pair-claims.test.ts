/**
 * Distributed mode's adaptive polling against a real redis-server: a pair's claims (one poll at a
 * time, the freshness interval measured from the last poll anywhere), and two schedulers sharing
 * one Redis poll a pair about as often as one would, on one budget.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { RedisLimiters } from "../../src/cliniko/redis-limiter.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { PollBackoff } from "../../src/engine/cluster.ts";
import { PairClaims } from "../../src/engine/pair-claims.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { type RedisServer, redisSkip, startRedis } from "../support/redis.ts";
import { harness, sleep, workflow } from "./helpers.ts";

const skip = redisSkip();

describe("pair claims and freshness across processes (Redis)", { skip }, () => {
  let server: RedisServer;
  const conns: Redis[] = [];
  const connect = () => {
    const r = new Redis(server.url, { maxRetriesPerRequest: 1 });
    conns.push(r);
    return r;
  };
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    await server?.stop();
  });

  test("a pair has one poll at a time; a freshness poll waits its gap after the last poll anywhere", async () => {
    const a = new PairClaims(connect(), { prefix: "t1" });
    const b = new PairClaims(connect(), { prefix: "t1" });
    assert.equal((await a.claim("p", "fresh", 1000)).claimed, true, "never polled: due");
    assert.equal((await b.claim("p", "fresh", 0)).claimed, false, "a freshness poll runs");
    assert.equal((await b.claim("p", "regular")).claimed, false, "the regular poll is skipped: it would read the same");
    await a.release("p", "fresh", { changed: true });
    const after = await b.claim("p", "fresh", 60_000);
    assert.equal(after.claimed, false, "polled a moment ago by the other process");
    assert.ok(after.lastChangeAt > 0 && after.lastPollAt >= after.lastChangeAt, "the last poll and change are shared");
    assert.equal((await b.claim("p", "regular")).claimed, true);
    assert.equal((await a.claim("p", "regular")).claimed, true, "regular polls are timed by BullMQ, not held here");
    assert.equal((await a.claim("p", "fresh", 0)).claimed, false, "no freshness poll beside a regular one");
    await b.release("p", "regular", { changed: false });
    await a.release("p", "regular", { changed: false });
    assert.equal((await a.claim("p", "fresh", 0)).claimed, true);
    await a.release("p", "fresh");
  });

  test("two schedulers on one Redis poll a pair about as often as one, within one budget", async () => {
    const h = await harness();
    try {
      await h.store.workflows.save("updated", workflow({ trigger: { key: "updated_patient" } }));
      const WINDOW = 2000;
      const make = () => {
        const redis = connect();
        const clients = new ClientProvider(h.store, {
          env: h.env,
          limiters: new RedisLimiters(redis, { prefix: "t2", limit: 200, windowMs: WINDOW, marginMs: 0 }),
        });
        return new Scheduler({
          store: h.store,
          clients,
          queue: new InProcessQueue(h.store, { workflowIds: [] }),
          env: { CLINIKO_FLOW_POLL_SHARE: "0.5" },
          pollIntervalMs: 60_000, // regular polls (BullMQ's) do not come into it
          tickMs: 10,
          freshness: { fastestMs: 100, doublingMs: 60_000 },
          cluster: {
            reconcile: async () => {},
            backoff: new PollBackoff(redis, "t2"),
            pairs: new PairClaims(redis, { prefix: "t2" }),
          },
        });
      };
      const schedulers = [make(), make()];
      // Regular polls (BullMQ's, here called directly) are not skipped by freshness attempts
      // that the budget refuses: a pair is claimed only for a poll that runs.
      const unpaced = new Scheduler({
        store: h.store,
        clients: new ClientProvider(h.store, { env: h.env }), // CLINIKO_FLOW_RATE_LIMIT=0: no optional starts
        queue: new InProcessQueue(h.store, { workflowIds: [] }),
        env: { CLINIKO_FLOW_POLL_SHARE: "0.5" },
        pollIntervalMs: 60_000,
        tickMs: 5,
        freshness: { fastestMs: 100, doublingMs: 60_000 },
        cluster: { reconcile: async () => {}, pairs: new PairClaims(connect(), { prefix: "t3" }) },
      });
      unpaced.start();
      await unpaced.reload();
      const [id] = unpaced.jobs().map((j) => `${j.connectionKey}\0${j.pollKey}`);
      h.sandbox.requestLog.clear();
      for (let i = 0; i < 20; i++) {
        await unpaced.pollNow(id!);
        await sleep(20);
      }
      await unpaced.stop();
      const regular = h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients").length;
      assert.equal(regular, 20, "every regular poll ran");
      h.sandbox.requestLog.clear();
      for (const s of schedulers) s.start();
      await sleep(2000);
      for (const s of schedulers) await s.stop();
      const polls = h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients").length;
      // One process alone: one poll per 100 ms at most (its freshness interval), ~20 in 2 s.
      assert.ok(polls >= 5, `${polls} polls: freshness polls run in distributed mode`);
      assert.ok(polls <= 24, `${polls} polls in 2 s by two processes: allocated once for the cluster`);
    } finally {
      await h.close();
    }
  });
});
