/** Share of the rate limit a long backfill uses, and its 429 count, with time compressed. */
import { LocalLimiters } from "../src/cliniko/rate-limit.ts";
import { ClientProvider } from "../src/engine/clients.ts";
import { runOnce } from "../src/engine/once.ts";
import { setup, wf } from "./support.ts";

export async function backfill() {
  const count = process.env.BENCH_QUICK ? 2000 : 10_000;
  // Cliniko allows 200 requests per rolling 60 s. At that pace a 10k-record backfill with one
  // request per record takes 50 minutes, so the benchmark compresses time: the sandbox and our
  // client's limiter both use the same shorter window (BENCH_WINDOW_MS, default 2 s). The share
  // of the limit and the 429 count are what a real minute-long window would show.
  const limit = 200;
  const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 2000);
  // Our limiter keeps a margin over the server's window (2 % as shipped); BENCH_MARGIN_PCT overrides it.
  const marginMs = Math.ceil((windowMs * Number(process.env.BENCH_MARGIN_PCT ?? 2)) / 100);
  const clientWindowMs = windowMs + marginMs;
  console.log(
    `\n3. Backfill of ${count} records, one Cliniko request per record, under ${limit} requests per ${windowMs / 1000} s` +
      ` (Cliniko: ${limit} per 60 s; time compressed ${(60_000 / windowMs).toFixed(0)}×)`,
  );
  if (clientWindowMs !== windowMs) console.log(`   (our limiter's window: ${clientWindowMs / 1000} s)`);
  const b = await setup({ rateLimit: limit, rateLimitWindowMs: windowMs });
  // The provider's limiters, with the compressed window; every client on the key shares this one.
  // Its counts are the figures: requests sent and 429 answers (the sandbox's log keeps only 10k).
  const limiters = new LocalLimiters({ limit, windowMs, marginMs });
  const limiter = limiters.forKey(b.sandbox.apiKey);
  const old = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  for (let i = 0; i < count; i++)
    b.sandbox.control.create("patients", { first_name: `B${i}`, last_name: "Fill", created_at: old, updated_at: old });
  b.sandbox.requestLog.clear();
  const def = wf("backfill", { key: "new_patient" }, [
    { id: "check", action: "find_patient", input: { id: "{{ trigger.id }}" } },
  ]);
  const tty = process.stdout.isTTY;
  const t0 = Date.now();
  const progress = setInterval(() => {
    const n = limiter.stats().requests;
    if (tty) process.stdout.write(`\r   ${n} requests, ${((Date.now() - t0) / 1000).toFixed(0)} s…`);
  }, 500);
  const summary = await runOnce({
    store: b.store,
    definition: def,
    env: b.env,
    clients: new ClientProvider(b.store, { env: b.env, limiters }),
    since: new Date(Date.now() - 2 * 86_400_000).toISOString(),
  });
  clearInterval(progress);
  const elapsed = Date.now() - t0;
  const { requests, rateLimited: limited } = limiter.stats();
  const failed = summary.runs.filter((r) => r.status !== "succeeded").length;
  const perWindow = requests / (elapsed / windowMs);
  if (tty) process.stdout.write("\r");
  console.log(
    `   ${summary.records} records, ${summary.queued} runs (${failed} not succeeded), ${requests} requests in ${(elapsed / 1000).toFixed(1)} s`,
  );
  console.log(
    `   ${perWindow.toFixed(1)} requests per ${windowMs / 1000} s window vs limit ${limit}: ${((perWindow / limit) * 100).toFixed(1)} % of the limit used, ${limited} × 429 (targets ≥ 95 %, 0)`,
  );
  await b.close();
}
