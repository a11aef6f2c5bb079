/**
 * Requests per polling interval: idle (nothing changes; as the number of workflows on one
 * resource grows) and busy (a steady trickle of changes, a few of them committed late).
 */
import { trigger as catalogTrigger } from "../src/catalog/index.ts";
import { pollResource } from "../src/engine/poller.ts";
import { InProcessQueue } from "../src/engine/queue.ts";
import { Scheduler } from "../src/engine/scheduler.ts";
import { setup, sleep, wf } from "./support.ts";

export async function idleRequests() {
  console.log("\n1. Requests per idle interval (200 ms test interval, 2 s)");
  for (const n of [1, 10, 50]) {
    const b = await setup({ rateLimit: 0 });
    for (let i = 0; i < n; i++) await b.store.workflows.save(`w${i}`, wf(`w${i}`, { key: "updated_patient" }));
    const queue = new InProcessQueue(b.store, { workflowIds: [] });
    const s = new Scheduler({ store: b.store, clients: b.clients, queue, pollIntervalMs: 200, tickMs: 20 });
    b.sandbox.requestLog.clear();
    const t0 = Date.now();
    s.start();
    await sleep(2000);
    await s.stop();
    const intervals = (Date.now() - t0) / 200;
    const requests = b.sandbox.requestLog.entries().length;
    console.log(
      `   ${String(n).padStart(3)} workflow(s): ${requests} requests in ${intervals.toFixed(1)} intervals = ${(requests / intervals).toFixed(2)} per interval`,
    );
    await b.close();
  }
  await busyRequests();
}

const WARM_UP = 4;
const MEASURED = 20;
const QUIET = 5;

/**
 * The sandbox clock stands still except where this moves it, so a "minute" costs no wall time:
 * per interval, `perTwoMinutes` changes at even steps (each to a different patient, so each is
 * one run), plus one change committed late (stamped 45 s, then 100 s, back: inside the 2-minute
 * overlap). After a warm-up, every poll's requests are counted; then a few quiet polls.
 */
async function busyRequests() {
  console.log("\n1b. Requests per busy interval (updated_patient, default overlap, sandbox clock)");
  for (const intervalS of [60, 30])
    for (const perTwoMinutes of [150, 300]) {
      const b = await setup({ rateLimit: 0 });
      b.sandbox.clock.freeze();
      const ago = new Date(b.sandbox.clock.nowMs() - 3600_000).toISOString();
      const pool = Array.from(
        { length: 1000 },
        (_, i) =>
          b.sandbox.control.create("patients", {
            first_name: `B${i}`,
            last_name: "Busy",
            created_at: ago,
            updated_at: ago,
          }).id,
      );
      const w = await b.store.workflows.save("busy", wf("busy", { key: "updated_patient" }));
      // Activation is wall-clock time: start well after it, so late stamps are after it too.
      b.sandbox.clock.advance(600_000);
      const t = catalogTrigger("updated_patient");
      const job = {
        connectionKey: await b.clients.keyOf(),
        pollKey: t.resource,
        resource: t.resource,
        targets: [{ workflow: w, definition: w.definition as never, trigger: t }],
      };
      const { client } = await b.clients.resolve();
      await pollResource(job, { store: b.store, client });
      const perInterval = Math.round((perTwoMinutes * intervalS) / 120);
      let next = 0;
      const expected = new Set<string>();
      const touch = (at?: number) => {
        const id = pool[next++ % pool.length]!;
        const r = b.sandbox.control.touch({
          resource: "patients",
          ids: [id],
          at: at === undefined ? undefined : new Date(at).toISOString(),
        });
        expected.add(`${id}@${r.updated_at[0]}`);
      };
      const busy: number[] = [];
      for (let k = 0; k < WARM_UP + MEASURED; k++) {
        for (let i = 0; i < perInterval; i++) {
          b.sandbox.clock.advance((intervalS * 1000) / perInterval);
          touch();
        }
        touch(b.sandbox.clock.nowMs() - (k % 2 ? 100_000 : 45_000));
        b.sandbox.requestLog.clear();
        await pollResource(job, { store: b.store, client });
        if (k >= WARM_UP) busy.push(b.sandbox.requestLog.entries().length);
      }
      const quiet: number[] = [];
      for (let k = 0; k < QUIET; k++) {
        b.sandbox.clock.advance(intervalS * 1000);
        b.sandbox.requestLog.clear();
        await pollResource(job, { store: b.store, client });
        quiet.push(b.sandbox.requestLog.entries().length);
      }
      const runs = (await b.store.runs.list({ workflowId: w.id, limit: 100_000 })).map((r) => r.eventKey);
      const exact =
        runs.length === expected.size && new Set(runs).size === runs.length && runs.every((k) => expected.has(k));
      const mean = busy.reduce((a, c) => a + c, 0) / busy.length;
      console.log(
        `   every ${intervalS}s, ${perTwoMinutes} changes/2 min: ${mean.toFixed(2)} requests per busy interval (${busy.join(" ")}); then quiet: ${quiet.join(" ")}; runs ${runs.length}/${expected.size} ${exact ? "exact" : "NOT EXACT"}`,
      );
      await b.close();
    }
}
