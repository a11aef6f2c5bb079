/** Steps/s of a 3-step workflow through the in-process runner against raw client requests/s. */
import { createClient } from "../src/cliniko/client.ts";
import { InProcessQueue } from "../src/engine/queue.ts";
import { Runner } from "../src/engine/runner.ts";
import { email, setup, wf } from "./support.ts";

export async function throughput() {
  console.log("\n2. Runner throughput vs raw client (sandbox rate limit off)");
  const b = await setup({ rateLimit: 0 });
  const p = b.sandbox.control.create("patients", { first_name: "Bench", last_name: "Mark" });
  const N = 300;
  const client = createClient({ apiKey: b.sandbox.apiKey, email, baseUrl: b.sandbox.baseUrl, rateLimit: false });
  const def = wf("three", { key: "new_patient" }, [
    { id: "a", action: "find_patient", input: { id: "{{ trigger.id }}" } },
    { id: "b", action: "find_patient", input: { id: "{{ steps.a.id }}" } },
    { id: "c", action: "find_patient", input: { id: "{{ steps.b.id }}" } },
  ]);
  const w = await b.store.workflows.save(def.name, def);
  const runner = new Runner({ store: b.store, clients: b.clients, env: b.env });
  const runs = N / 3;
  // Wall time and this process's CPU time (sandbox included) per request/step. The machine may be
  // shared, so the rounds alternate and the best round of each counts.
  const measure = async (ops: number, fn: () => Promise<void>) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perS: ops / wall, cpuMs: (cpu.user + cpu.system) / 1000 / ops };
  };
  const raw = async () => {
    for (let i = 0; i < N; i++) await client.resource("patients").get(p.id);
  };
  let batch = 0;
  const viaRunner = async (concurrency: number) => {
    batch++;
    for (let i = 0; i < runs; i++)
      await b.store.runs.enqueue({
        workflowId: w.id,
        workflowVersion: 1,
        triggerKey: "new_patient",
        eventKey: `b${batch}-${i}`,
        payload: { id: p.id },
      });
    const queue = new InProcessQueue(b.store, { workflowIds: [w.id], concurrency, pollMs: 50 });
    return measure(N, async () => {
      queue.start((r, o) => runner.execute(r, o));
      await queue.drain();
      await queue.stop();
    });
  };
  await raw(); // warm-up: JIT, connections, prepared statements
  await viaRunner(1);
  const best = {
    raw: { perS: 0, cpuMs: Infinity },
    one: { perS: 0, cpuMs: Infinity },
    four: { perS: 0, cpuMs: Infinity },
  };
  const keep = (k: keyof typeof best, m: { perS: number; cpuMs: number }) => {
    best[k] = { perS: Math.max(best[k].perS, m.perS), cpuMs: Math.min(best[k].cpuMs, m.cpuMs) };
  };
  for (let round = 0; round < 3; round++) {
    keep("raw", await measure(N, raw));
    keep("one", await viaRunner(1));
    keep("four", await viaRunner(4));
  }
  const line = (label: string, m: { perS: number; cpuMs: number }, unit: string) =>
    `   ${label.padEnd(26)} ${m.perS.toFixed(0).padStart(5)} ${unit}/s, ${m.cpuMs.toFixed(2)} ms CPU per ${unit.slice(0, -1)}`;
  console.log(line("raw client (sequential):", best.raw, "requests"));
  for (const [label, m] of [
    ["runner, 1 worker:", best.one],
    ["runner, 4 workers:", best.four],
  ] as const)
    console.log(`${line(label, m, "steps")}; ratio ${(m.perS / best.raw.perS).toFixed(2)} (target ≥ 0.6)`);
  console.log("   (best of 3 alternating rounds of 300 requests/steps; CPU includes the in-process sandbox)");
  await b.close();
}
