import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyFingerprint, LocalLimiters, SlidingWindowLimiter, UnlimitedLimiter } from "../../src/cliniko/rate-limit.ts";
import { FakeClock, flush } from "./support/fake-clock.ts";

describe("sliding-window rate limiter", () => {
  it("paces 450 acquisitions at 200 per rolling minute, in order, with a fake clock", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const limiter = new SlidingWindowLimiter({ clock, marginMs: 0 });
    const grantedAt: number[] = [];
    const order: number[] = [];
    const all = Array.from({ length: 450 }, (_, i) =>
      limiter.acquire().then(() => {
        grantedAt.push(clock.now());
        order.push(i);
      }),
    );
    await flush();
    assert.equal(grantedAt.length, 200, "the first 200 start at once");
    assert.equal(limiter.stats().queued, 250, "the rest are queued, not failed");
    await clock.advance(59_999);
    assert.equal(grantedAt.length, 200, "nobody starts before the oldest start leaves the window");
    await clock.advance(1);
    assert.equal(grantedAt[200], t0 + 60_000, "the 201st starts exactly at t0 + 60 s");
    await clock.advance(120_000);
    await Promise.all(all);
    assert.equal(grantedAt.length, 450);
    assert.deepEqual(
      order,
      Array.from({ length: 450 }, (_, i) => i),
      "FIFO",
    );
    // No rolling 60 s window holds more than 200 starts.
    for (let i = 0; i < grantedAt.length; i++) {
      const inWindow = grantedAt.filter((t) => t >= grantedAt[i]! && t < grantedAt[i]! + 60_000).length;
      assert.ok(inWindow <= 200, `window starting at ${grantedAt[i]! - t0} holds ${inWindow}`);
    }
    assert.equal(grantedAt[449], t0 + 120_000);
    const stats = limiter.stats();
    assert.equal(stats.requests, 450);
    assert.equal(stats.waits, 250);
    assert.equal(stats.queued, 0);
  });

  it("never lets a burst after a quiet spell exceed the window (unlike a refilling bucket)", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, marginMs: 0, clock });
    const grantedAt: number[] = [];
    const take = (n: number) =>
      Promise.all(Array.from({ length: n }, () => limiter.acquire().then(() => grantedAt.push(clock.now()))));
    const first = take(5);
    await clock.advance(900);
    await first;
    const second = take(10);
    await clock.advance(3_000);
    await second;
    for (const t of grantedAt) {
      assert.ok(grantedAt.filter((u) => u >= t && u < t + 1_000).length <= 10);
    }
  });

  it("holds every caller until the reset after a 429, then resumes", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ clock });
    await limiter.acquire();
    limiter.blockUntil(clock.now() + 5_000);
    limiter.blockUntil(clock.now() + 1_000); // never shortens a block
    let granted = 0;
    const waiting = [limiter.acquire(), limiter.acquire()].map((p) => p.then(() => granted++));
    await clock.advance(4_999);
    assert.equal(granted, 0);
    assert.ok(limiter.stats().blockedUntil > clock.now());
    await clock.advance(1);
    await Promise.all(waiting);
    assert.equal(granted, 2);
    assert.equal(limiter.stats().rateLimited, 2);
    assert.equal(limiter.stats().blockedUntil, 0);
  });

  it("drops a queued caller whose signal aborts, without blocking the others", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, marginMs: 0, clock });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    await clock.advance(1_000);
    await next;
    assert.equal(limiter.stats().requests, 2);
  });

  it("a registry shares one limiter per API key, keyed by a hash of the key; two registries share nothing", () => {
    const limiters = new LocalLimiters();
    const a = limiters.forKey("key-one-au1");
    assert.equal(limiters.forKey("key-one-au1"), a);
    assert.notEqual(limiters.forKey("key-two-au1"), a);
    assert.notEqual(new LocalLimiters().forKey("key-one-au1"), a, "no process-wide map behind the registry");
    assert.ok(!keyFingerprint("key-one-au1").includes("key-one"));
  });

  it("a registry paces with its options, or not at all with paced: false", async () => {
    const clock = new FakeClock();
    const paced = new LocalLimiters({ limit: 2, windowMs: 1_000, marginMs: 0, clock }).forKey("k-au1");
    let granted = 0;
    const all = Array.from({ length: 3 }, () => paced.acquire().then(() => granted++));
    await flush();
    assert.equal(granted, 2);
    await clock.advance(1_000);
    await Promise.all(all);
    const unpaced = new LocalLimiters({ paced: false, limit: 1, clock }).forKey("k-au1");
    await Promise.all(Array.from({ length: 5 }, () => unpaced.acquire()));
    assert.equal(unpaced.stats().waits, 0);
  });
});

describe("safety margin", () => {
  it("keeps 2 % on top of Cliniko's minute by default, so jitter cannot land a 201st request inside it", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const limiter = new SlidingWindowLimiter({ clock });
    const grantedAt: number[] = [];
    const all = Array.from({ length: 201 }, () => limiter.acquire().then(() => grantedAt.push(clock.now())));
    await flush();
    await clock.advance(61_199);
    assert.equal(grantedAt.length, 200, "still inside the 61.2 s window");
    await clock.advance(1);
    await Promise.all(all);
    assert.equal(grantedAt[200], t0 + 61_200);
  });
});

describe("limiter statistics for /metrics", () => {
  it("a registry reports every key's requests and 429s, unpaced keys too", async () => {
    const limiters = new LocalLimiters({ paced: false });
    const total = () => limiters.stats().reduce((n, s) => n + s.requests, 0);
    const limited = () => limiters.stats().reduce((n, s) => n + s.rateLimited, 0);
    assert.equal(total(), 0);
    await limiters.forKey("one-au1").acquire();
    await limiters.forKey("two-au1").acquire();
    limiters.forKey("two-au1").blockUntil(0);
    assert.equal(total(), 2);
    assert.equal(limited(), 1);
    assert.equal(limiters.stats().length, 2);
  });

  it("an unpaced limiter still counts and honours a 429's reset", async () => {
    const clock = new FakeClock();
    const unpaced = new UnlimitedLimiter({ clock });
    await unpaced.acquire();
    unpaced.blockUntil(clock.now() + 1_000);
    let granted = false;
    const next = unpaced.acquire().then(() => {
      granted = true;
    });
    await flush();
    assert.equal(granted, false);
    await clock.advance(1_000);
    await next;
    assert.deepEqual([unpaced.stats().requests, unpaced.stats().rateLimited], [2, 1]);
  });
});

describe("optional starts (freshness polls) take spare budget only", () => {
  it("are spread over the window, stay within the share of what others leave, and never take a slot anyone waits for", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 200, windowMs: 60_000, marginMs: 0, clock });
    // Alone on the key: half of 200 a minute, at most 5 in any 3 s (200 × 0.5 / 20).
    let granted = 0;
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 10; i++)
        if (limiter.tryOptional(0.5)) {
          granted++;
          await limiter.acquire();
        }
      await clock.advance(1000);
    }
    assert.equal(granted, 100, "half of the budget over the minute");
    assert.equal(limiter.stats().waits, 0, "the optional requests themselves never waited");
    // A minute later, other work uses 120 of the window: optional starts get half of the 80 left.
    await clock.advance(60_000);
    for (let i = 0; i < 120; i++) await limiter.acquire();
    granted = 0;
    for (let s = 0; s < 50; s++) {
      for (let i = 0; i < 10; i++) if (limiter.tryOptional(0.5)) granted++;
      await clock.advance(1000);
    }
    assert.ok(granted <= 40, `${granted} optional starts while others used 120 of 200`);
    assert.ok(granted >= 30, `${granted}: the spare budget is used`);
  });

  it("are refused while a caller is queued and while a 429 holds the key", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 60_000, marginMs: 0, clock });
    for (let i = 0; i < 10; i++) await limiter.acquire();
    const waiting = limiter.acquire();
    await flush();
    assert.equal(limiter.stats().queued, 1);
    assert.equal(limiter.tryOptional(0.9), false, "a run is waiting for a slot");
    await clock.advance(60_000);
    await waiting;
    await clock.advance(60_000);
    limiter.blockUntil(clock.now() + 5000);
    assert.equal(limiter.tryOptional(0.9), false, "a 429's reset holds optional work too");
    await clock.advance(5000);
    assert.equal(limiter.tryOptional(0.9), true);
    assert.equal(new UnlimitedLimiter().tryOptional(), false, "no pacing, no budget to share");
  });
});
