/** Resident memory with 1,000 active workflows over 100 connections. */
import { InProcessQueue } from "../src/engine/queue.ts";
import { Scheduler } from "../src/engine/scheduler.ts";
import { generateApiKey } from "../src/sandbox/index.ts";
import { email, setup, sleep, wf } from "./support.ts";

export async function memory() {
  console.log("\n4. RSS with 1,000 active workflows over 100 connections");
  const keys = Array.from({ length: 100 }, () => generateApiKey());
  const b = await setup({ rateLimit: 0, apiKeys: keys });
  for (const [i, key] of keys.entries())
    await b.store.connections.save({ name: `c${i}`, apiKey: key, email, baseUrl: b.sandbox.baseUrl });
  const triggers = ["new_patient", "updated_patient", "new_contact", "individual_appointment_cancelled", "new_invoice"];
  for (let i = 0; i < 1000; i++) {
    const def = wf(`m${i}`, { key: triggers[i % triggers.length], connection: `c${i % 100}` });
    await b.store.workflows.save(def.name, def);
  }
  const queue = new InProcessQueue(b.store, { workflowIds: [] });
  const s = new Scheduler({ store: b.store, clients: b.clients, queue, pollIntervalMs: 1000, tickMs: 50 });
  s.start();
  await sleep(4000);
  global.gc?.();
  const rss = process.memoryUsage().rss / 1024 / 1024;
  console.log(
    `   ${s.jobs().length} poll jobs; RSS ${rss.toFixed(0)} MB (target < 250 MB; includes the in-process sandbox)`,
  );
  await s.stop();
  await b.close();
}
