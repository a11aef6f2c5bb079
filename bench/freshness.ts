/**
 * Freshness: how soon a change made in Cliniko becomes a run, and what the polling costs.
 *
 * A sandbox clinic with N active resources (one `updated_…` workflow each, a filter step, so runs
 * make no Cliniko requests) gets changes at random times (uniform over the run: a Poisson-like
 * stream, each to a random record of a random resource). Detection latency is from the change to
 * its run being queued. Requests per minute and the share of the 200/min budget are counted at
 * the sandbox. Each scenario runs twice: polling at `every` only (CLINIKO_FLOW_POLL_SHARE=0, the
 * behaviour before adaptive polling) and with the default share.
 *
 * Time is compressed by BENCH_FRESHNESS_SPEED (default 10): the sandbox's rate window and our
 * limiter's are 60 s / speed, and so are the scheduler's tick (1 s), the workflows' `every`
 * (1 m, the default), the overlap (2 min) and the freshness timings (2 s fastest, doubling every
 * 4 quiet minutes). Latencies and rates are printed in uncompressed time; the engine's own work
 * per poll is not compressed, so latencies come out a little pessimistic. BENCH_FRESHNESS_MINUTES
 * (default 10) is the simulated duration, BENCH_FRESHNESS_RATE (default 15) the changes per
 * simulated minute with ten resources (a fifth of it with one).
 */
import { trigger as catalogTrigger } from "../src/catalog/index.ts";
import { LocalLimiters } from "../src/cliniko/rate-limit.ts";
import { ClientProvider } from "../src/engine/clients.ts";
import { DEFAULT_POLL_SHARE, FRESHNESS_DEFAULTS } from "../src/engine/freshness.ts";
import { InProcessQueue } from "../src/engine/queue.ts";
import { Scheduler } from "../src/engine/scheduler.ts";
import { setup, sleep, wf } from "./support.ts";

const TRIGGERS = [
  "updated_patient",
  "individual_appointment_updated",
  "updated_invoice",
  "updated_contact",
  "updated_treatment_note",
  "updated_patient_form",
  "updated_medical_alert",
  "updated_patient_case",
  "updated_product",
  "updated_communication",
];
const LIMIT = 200;

export async function freshness() {
  const speed = Number(process.env.BENCH_FRESHNESS_SPEED ?? 10);
  const minutes = Number(process.env.BENCH_FRESHNESS_MINUTES ?? 10);
  const rate = Number(process.env.BENCH_FRESHNESS_RATE ?? 15);
  console.log(
    `\n7. Freshness: change → queued run, ${minutes} simulated minutes per row, time compressed ${speed}×` +
      ` (every 1m, ${LIMIT} requests/min budget)`,
  );
  console.log(
    "   resources  polling          runs/changes            detection p50 / p95 / max (s)   requests/min  budget used",
  );
  for (const resources of [10, 1])
    for (const share of [0, DEFAULT_POLL_SHARE]) {
      const perMinute = resources === 1 ? rate / 5 : rate;
      const r = await scenario({ resources, share, speed, minutes, perMinute });
      const fmt = (ms: number) => (ms / 1000).toFixed(1).padStart(5);
      console.log(
        `   ${String(resources).padStart(9)}  ${(share === 0 ? "every only" : `share ${share}`).padEnd(15)}` +
          `  ${String(r.detected).padStart(3)}/${String(r.changes).padEnd(3)}${r.superseded ? ` (${r.superseded} superseded)` : ""}`.padEnd(
            24,
          ) +
          `  ${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.max)}` +
          `                 ${r.perMinute.toFixed(1).padStart(6)}       ${((r.perMinute / LIMIT) * 100).toFixed(1).padStart(5)} %`,
      );
    }
}

async function scenario(o: { resources: number; share: number; speed: number; minutes: number; perMinute: number }) {
  const minute = 60_000 / o.speed;
  const b = await setup({ rateLimit: LIMIT, rateLimitWindowMs: minute });
  const limiters = new LocalLimiters({ limit: LIMIT, windowMs: minute, marginMs: Math.ceil(minute * 0.02) });
  const clients = new ClientProvider(b.store, { env: b.env, limiters });
  const keys = TRIGGERS.slice(0, o.resources);
  const old = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const pools = new Map<string, string[]>();
  for (const key of keys) {
    const resource = catalogTrigger(key).resource;
    pools.set(
      resource,
      Array.from({ length: 100 }, () => b.sandbox.control.create(resource, { created_at: old, updated_at: old }).id),
    );
    await b.store.workflows.save(key, wf(key, { key }));
  }
  const queue = new InProcessQueue(b.store, { workflowIds: [] });
  const scheduler = new Scheduler({
    store: b.store,
    clients,
    queue,
    env: { CLINIKO_FLOW_POLL_SHARE: String(o.share) },
    pollIntervalMs: minute,
    overlapMs: 2 * minute,
    tickMs: 1000 / o.speed,
    freshness: {
      fastestMs: FRESHNESS_DEFAULTS.fastestMs / o.speed,
      doublingMs: FRESHNESS_DEFAULTS.doublingMs / o.speed,
    },
  });
  scheduler.start();
  // Let the first polls (activation) pass, then measure.
  await sleep(minute / 2);
  b.sandbox.requestLog.clear();
  const duration = o.minutes * minute;
  const count = Math.round(o.minutes * o.perMinute);
  const at = Array.from({ length: count }, () => Math.random() * duration).sort((x, y) => x - y);
  const madeAt = new Map<string, number>();
  const versions = new Map<string, string[]>();
  const t0 = Date.now();
  for (const offset of at) {
    const wait = t0 + offset - Date.now();
    if (wait > 0) await sleep(wait);
    const resource = [...pools.keys()][Math.floor(Math.random() * pools.size)]!;
    const ids = pools.get(resource)!;
    const t = b.sandbox.control.touch({ resource, ids: [ids[Math.floor(Math.random() * ids.length)]!] });
    const key = `${t.ids[0]}@${t.updated_at[0]}`;
    // Two changes of one record in one second are one version (one run): the first counts.
    if (!madeAt.has(key)) madeAt.set(key, Date.now());
    versions.set(t.ids[0]!, [...(versions.get(t.ids[0]!) ?? []), key]);
  }
  const measured = Date.now() - t0;
  const requests = b.sandbox.requestLog.entries().length;
  // Wait for the last changes: at most one `every` and a bit.
  await sleep(minute * 1.5);
  await scheduler.stop();
  const latencies: number[] = [];
  const fired = new Set<string>();
  for (const w of await b.store.workflows.list())
    for (const run of await b.store.runs.list({ workflowId: w.id })) {
      fired.add(run.eventKey);
      const made = madeAt.get(run.eventKey);
      if (made !== undefined) latencies.push((Date.parse(run.createdAt) - made) * o.speed);
    }
  latencies.sort((x, y) => x - y);
  // A version changed again before any poll read it fires only as the later version (as two
  // changes between two polls always do): superseded, not missed.
  let superseded = 0;
  for (const keys of versions.values())
    for (const [i, k] of keys.entries()) if (!fired.has(k) && keys.slice(i + 1).some((l) => fired.has(l))) superseded++;
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  await b.close();
  return {
    changes: madeAt.size,
    detected: latencies.length,
    superseded,
    p50: q(0.5),
    p95: q(0.95),
    max: latencies.at(-1) ?? Number.NaN,
    perMinute: requests / (measured / minute),
  };
}
