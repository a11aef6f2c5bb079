/**
 * Two pollers of one (connection, resource) pair on one database, one of them slow: the fast one
 * commits, moves the cursor on and prunes the seen keys it no longer needs; the slow one then
 * commits the same (now old) events. They must not become second runs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pollWindow } from "../../src/store/index.ts";
import { onEveryStore } from "./on-every-store.ts";

const MIN = 60_000;
const OVERLAP = 2 * MIN;

onEveryStore("poll commits", (ctx) => {
  test("a slow poller's stale events after a prune make no second run", async () => {
    const w = await ctx.store.workflows.save("prune-race", { name: "prune-race" });
    const t0 = Date.parse("2026-01-01T10:00:00Z");
    const at = (ms: number) => new Date(ms).toISOString();
    const event = (key: string, time: number) => ({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "updated_patient",
      eventKey: key,
      eventTime: at(time),
      payload: { id: key },
    });
    const pair = { connectionKey: "main", pollKey: "patients", overlapMs: OVERLAP };
    await ctx.store.polling.ensureCursor("main", "patients", at(t0));
    // Both pollers read the cursor (t0) and fetch the same change, made at t0 + 1 min.
    const first = await ctx.store.polling.commit({ ...pair, cursor: at(t0 + MIN), events: [event("p1@1", t0 + MIN)] });
    assert.equal(first.runIds.length, 1);
    // The fast one polls again later: new changes move the cursor 10 minutes on and the old
    // seen key falls out of the overlap, so it is pruned.
    const later = await ctx.store.polling.commit({
      ...pair,
      cursor: at(t0 + 11 * MIN),
      events: [event("p2@11", t0 + 11 * MIN)],
      pruneBefore: at(t0 + 11 * MIN - OVERLAP),
    });
    assert.equal(later.runIds.length, 1);
    assert.deepEqual([...(await ctx.store.polling.seen(w.id, ["p1@1"]))], [], "the old key was pruned");
    // Now the slow poller commits what it read long ago.
    const slow = await ctx.store.polling.commit({ ...pair, cursor: at(t0 + MIN), events: [event("p1@1", t0 + MIN)] });
    assert.deepEqual(slow.runIds, [], "no second run for p1@1");
    const runs = await ctx.store.runs.list({ workflowId: w.id });
    assert.deepEqual(runs.map((r) => r.eventKey).sort(), ["p1@1", "p2@11"]);
    // A late change within the overlap of the stored cursor still counts.
    const late = await ctx.store.polling.commit({
      ...pair,
      cursor: at(t0 + 11 * MIN),
      events: [event("p3@10", t0 + 10 * MIN)],
    });
    assert.equal(late.runIds.length, 1);
  });

  test("the settled mark and seen floor only move forward; a slow poller's events below the floor are dropped", async () => {
    const w = await ctx.store.workflows.save("marks", { name: "marks" });
    const t0 = Date.parse("2026-02-01T10:00:00Z");
    const at = (ms: number) => new Date(ms).toISOString();
    const event = (key: string, time: number) => ({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "new_patient",
      eventKey: key,
      eventTime: at(time),
      payload: { id: key },
    });
    const pair = { connectionKey: "main", pollKey: "contacts", overlapMs: OVERLAP };
    // Never set (a cursor from an earlier version): both read as cursor minus the overlap.
    const legacy = await ctx.store.polling.ensureCursor("main", "contacts", at(t0));
    assert.deepEqual(pollWindow(legacy, OVERLAP), { settled: t0 - OVERLAP, seenFloor: t0 - OVERLAP });
    await ctx.store.polling.commit({
      ...pair,
      cursor: at(t0 + 5 * MIN),
      settled: at(t0 + 3 * MIN),
      seenFloor: at(t0 + MIN),
      events: [],
    });
    // A slower poller commits older marks: they stay where they are.
    await ctx.store.polling.commit({
      ...pair,
      cursor: at(t0 + 2 * MIN),
      settled: at(t0),
      seenFloor: at(t0 - MIN),
      events: [],
    });
    const state = (await ctx.store.polling.cursor("main", "contacts"))!;
    assert.deepEqual(pollWindow(state, OVERLAP), { settled: t0 + 3 * MIN, seenFloor: t0 + MIN });
    // Its event stamped below the stored floor was handled by the faster one: no run. One at the floor runs.
    const slow = await ctx.store.polling.commit({
      ...pair,
      cursor: null,
      events: [event("c1", t0 + MIN - 1000), event("c2", t0 + MIN)],
    });
    assert.deepEqual(
      (await ctx.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey),
      ["c2"],
    );
    assert.equal(slow.duplicates, 1);
  });
});
