/**
 * Polling a busy resource, where the poller skips the already-read, not-yet-final middle of the
 * overlap window (src/engine/poll-window.ts): changes that commit late (stamped before what was
 * already visible) and listings whose pages cut through same-second groups must still produce
 * exactly one run per change. Real sandbox over HTTP, its clock frozen and moved by the test, so
 * minutes of a clinic's day take no wall time; the overlap is the default 2 minutes.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { trigger as catalogTrigger } from "../../src/catalog/index.ts";
import { DEFAULT_OVERLAP_MS, type PollJob, pollResource } from "../../src/engine/poller.ts";
import { Prng } from "../../src/sandbox/index.ts";
import type { StoredWorkflow } from "../../src/store/index.ts";
import { type Harness, harness, workflow } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const stampOf = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** A clinic whose patients change under the test's hand, and the runs each change must make. */
async function busyClinic(poolSize: number) {
  h.sandbox.clock.freeze();
  const ago = stampOf(h.sandbox.clock.nowMs() - 3600_000);
  const pool = Array.from(
    { length: poolSize },
    (_, i) =>
      h.sandbox.control.create("patients", { first_name: `P${i}`, last_name: "Pool", created_at: ago, updated_at: ago })
        .id,
  );
  const updated = await h.store.workflows.save("updated", workflow({ trigger: { key: "updated_patient" } }));
  const created = await h.store.workflows.save("created", workflow({ trigger: { key: "new_patient" } }));
  // Activation is wall-clock time: every change below is well after it.
  h.sandbox.clock.advance(600_000);
  const targets = (w: StoredWorkflow, key: string) => ({
    workflow: w,
    definition: w.definition as never,
    trigger: catalogTrigger(key),
  });
  const job: PollJob = {
    connectionKey: await h.clients.keyOf(),
    pollKey: "patients",
    resource: "patients",
    targets: [targets(updated, "updated_patient"), targets(created, "new_patient")],
  };
  const { client } = await h.clients.resolve();
  const expected = { updated: new Set<string>(), created: new Set<string>() };
  let next = 0;
  const clinic = {
    now: () => h.sandbox.clock.nowMs(),
    advance: (ms: number) => h.sandbox.clock.advance(ms),
    /** Fresh patients from the pool (never changed twice unless a test says so). */
    take(n: number): string[] {
      next += n;
      return pool.slice(next - n, next);
    },
    /** Changes these patients at `at` (default now), all in that second; returns their event keys. */
    touch(ids: string[], at = h.sandbox.clock.nowMs()): string[] {
      const r = h.sandbox.control.touch({ resource: "patients", ids, at: stampOf(at), sameTimestamp: true });
      const keys = r.ids.map((id) => `${id}@${r.updated_at[0]}`);
      for (const k of keys) expected.updated.add(k);
      return keys;
    },
    /** A patient created at `createdAt` whose transaction commits now, with a later change in it or not. */
    createLate(createdAt: number, updatedAt = createdAt) {
      const row = h.sandbox.control.create("patients", {
        first_name: "Late",
        last_name: "Commit",
        created_at: stampOf(createdAt),
        updated_at: stampOf(updatedAt),
      });
      expected.created.add(row.id);
      if (stampOf(updatedAt) !== stampOf(createdAt)) expected.updated.add(`${row.id}@${stampOf(updatedAt)}`);
    },
    async poll() {
      h.sandbox.requestLog.clear();
      const result = await pollResource(job, { store: h.store, client });
      const requests = h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients");
      return {
        result,
        requests: requests.length,
        finalReads: requests.filter((e) => decodeURIComponent(e.query).includes("updated_at:<")).length,
      };
    },
    async runKeys(w: "updated" | "created"): Promise<string[]> {
      const id = (w === "updated" ? updated : created).id;
      return (await h.store.runs.list({ workflowId: id, limit: 100_000 })).map((r) => r.eventKey);
    },
    async assertExact() {
      for (const [w, want] of [
        [updated, expected.updated],
        [created, expected.created],
      ] as const) {
        const keys = (await h.store.runs.list({ workflowId: w.id, limit: 100_000 })).map((r) => r.eventKey);
        assert.equal(new Set(keys).size, keys.length, `${w.name}: a change produced two runs`);
        const missed = [...want].filter((k) => !keys.includes(k));
        assert.deepEqual(missed, [], `${w.name}: changes without a run`);
        const invented = keys.filter((k) => !want.has(k));
        assert.deepEqual(invented, [], `${w.name}: runs for changes that never happened`);
      }
    },
  };
  await clinic.poll();
  return clinic;
}

describe("upgrading from a version that re-read the whole window", () => {
  test("its cursor, with no marks stored and old seen keys pruned, fires nothing twice", async () => {
    h.sandbox.clock.freeze();
    const w = await h.store.workflows.save("created", workflow({ trigger: { key: "new_patient" } }));
    h.sandbox.clock.advance(600_000);
    const now = h.sandbox.clock.nowMs();
    // Created 3 minutes ago and changed 30 s ago: the earlier version fired for it and, its
    // cursor now 2 minutes past the creation, pruned the key (what it committed is replayed here).
    const p = h.sandbox.control.create("patients", {
      first_name: "Before",
      last_name: "Upgrade",
      created_at: stampOf(now - 180_000),
      updated_at: stampOf(now - 30_000),
    });
    const connectionKey = await h.clients.keyOf();
    const iso = (ms: number) => new Date(ms).toISOString();
    await h.store.polling.ensureCursor(connectionKey, "patients", iso(now - 300_000));
    const event = { workflowId: w.id, workflowVersion: w.version, triggerKey: "new_patient", payload: {} };
    await h.store.polling.commit({
      connectionKey,
      pollKey: "patients",
      cursor: iso(now - 179_000),
      events: [{ ...event, eventKey: p.id, eventTime: iso(now - 180_000) }],
    });
    await h.store.polling.commit({
      connectionKey,
      pollKey: "patients",
      cursor: iso(now - 30_000),
      events: [],
      pruneBefore: iso(now - 30_000 - DEFAULT_OVERLAP_MS),
    });
    assert.equal((await h.store.polling.seen(w.id, [p.id])).size, 0, "the old key was pruned");
    const job: PollJob = {
      connectionKey,
      pollKey: "patients",
      resource: "patients",
      targets: [{ workflow: w, definition: w.definition as never, trigger: catalogTrigger("new_patient") }],
    };
    const { client } = await h.clients.resolve();
    for (let k = 0; k < 3; k++) {
      await pollResource(job, { store: h.store, client });
      h.sandbox.clock.advance(30_000);
    }
    assert.deepEqual(
      (await h.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey),
      [p.id],
    );
  });
});

describe("polling a busy resource", () => {
  test("changes committed late inside the overlap each make exactly one run", async () => {
    const c = await busyClinic(4000);
    let requests = 0;
    let finalReads = 0;
    let previous: string[] = [];
    // Polls every 30 s: a change read in the middle of the window waits more than one poll there.
    const POLLS = 24;
    for (let k = 0; k < POLLS; k++) {
      // 150 on-time changes a minute (300 in the 2-minute overlap), in bursts sharing a second.
      const onTime: string[] = [];
      for (let b = 0; b < 3; b++) {
        c.advance(10_000);
        onTime.push(...c.touch(c.take(25)));
      }
      const now = c.now();
      // Late updates stamped across the window: in the not-yet-final middle and in the final part.
      for (const back of [5, 20, 50, 80, 110, 119]) c.touch(c.take(1), now - back * 1000);
      // A patient changed on time last minute (already read) changes again, committed late, stamped
      // between its first change and the cursor: same count in the window, a new version.
      if (previous.length) c.touch(previous.slice(0, 3), now - 40_000);
      previous = c.take(3);
      c.touch(previous, now);
      // Creations committed late, one with a later change in the same transaction: its created_at
      // is far below the part of the window the change is read in.
      c.createLate(now - 70_000);
      c.createLate(now - 115_000, now - 30_000);
      // A long transaction: created almost an overlap ago, changed in the middle of the window, so
      // it is first read polls later, when the settled mark is already past its creation.
      c.createLate(now - 119_000, now - 85_000);
      const p = await c.poll();
      requests += p.requests;
      finalReads += p.finalReads;
      // Skipping the middle never delays a change that committed on time.
      const runs = new Set(await c.runKeys("updated"));
      assert.deepEqual(
        onTime.filter((key) => !runs.has(key)),
        [],
        `poll ${k}: on-time changes waiting`,
      );
    }
    // The clinic goes quiet (one more late change): the rest of the window becomes final and is
    // read once more; an overlap later, Cliniko's clock alone settles it and a poll is one page.
    const quiet: number[] = [];
    for (let k = 0; k < 5; k++) {
      c.advance(60_000);
      if (k === 0) c.touch(c.take(1), c.now() - 100_000);
      quiet.push((await c.poll()).requests);
    }
    assert.deepEqual(quiet.slice(-2), [1, 1], `quiet polls took ${quiet.join(", ")} requests`);
    await c.assertExact();
    assert.ok(finalReads > 0, "the middle of the window was skipped at least once");
    // Re-reading the whole window each poll takes 4 pages a poll here (bench/idle.ts).
    assert.ok(requests <= POLLS * 3, `${requests} requests in ${POLLS} busy polls`);
  });

  test("nothing is missed where pages cut through changes made in the same second", async () => {
    const c = await busyClinic(7000);
    const rng = new Prng(16);
    let finalReads = 0;
    for (let k = 0; k < 24; k++) {
      // Polls 30-90 s apart; between them 60-220 changes in groups of 1-60 sharing a second, so
      // the first page (100 newest) and the final line fall inside groups at every poll.
      const gap = rng.int(30, 90) * 1000;
      let changes = rng.int(60, 220);
      const start = c.now();
      const onTime: string[] = [];
      while (changes > 0) {
        const n = Math.min(changes, rng.int(1, 60));
        changes -= n;
        onTime.push(...c.touch(c.take(n), start + rng.int(1, gap / 1000) * 1000));
      }
      c.advance(gap);
      // Sometimes a late group, stamped anywhere in the overlap, or a late creation.
      const overlapS = DEFAULT_OVERLAP_MS / 1000;
      if (rng.chance(0.5)) c.touch(c.take(rng.int(1, 40)), c.now() - rng.int(1, overlapS - 1) * 1000);
      if (rng.chance(0.5)) {
        const createdAt = c.now() - rng.int(1, overlapS - 1) * 1000;
        c.createLate(createdAt, rng.chance(0.5) ? createdAt : rng.int(createdAt / 1000, c.now() / 1000) * 1000);
      }
      finalReads += (await c.poll()).finalReads;
      const runs = new Set(await c.runKeys("updated"));
      assert.deepEqual(
        onTime.filter((key) => !runs.has(key)),
        [],
        `poll ${k}: on-time changes waiting`,
      );
    }
    for (let k = 0; k < 4; k++) {
      c.advance(60_000);
      await c.poll();
    }
    await c.assertExact();
    assert.ok(finalReads > 0, "the middle of the window was skipped at least once");
  });
});
