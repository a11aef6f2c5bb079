/** Requests per idle polling interval as the number of workflows on one resource grows. */
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
}
