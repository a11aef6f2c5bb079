/**
 * How `serve` gets its HTTP server: `httpExtension` is one of the engine service's extensions
 * (see engine/service.ts). It reads `port`, `host` and `demo` from the service settings, starts
 * the demo sandbox when asked, listens, and prints where to log in.
 */
import type { Service } from "../engine/service.ts";
import { createServer, webhookRateFromEnv } from "./app.ts";
import { AuthStore } from "./auth.ts";
import { DEMO_CONNECTION, demoPassword, prepareDemo, startDemoSandbox } from "./demo.ts";
import { DemoClinic } from "./demo-clinic.ts";
import { serverEngineOf } from "./engine-adapter.ts";
import type { LabelledMetric } from "./engine-port.ts";
import { trustProxyFromEnv } from "./trust-proxy.ts";
import { webhookLimitsFromEnv } from "./webhook-limits.ts";

export interface HttpSettings {
  port?: number;
  host?: string;
  demo?: boolean;
}

export interface RunningHttp {
  url: string;
  stop(): Promise<void>;
}

export async function startHttp(
  service: Pick<Service, "store" | "clients" | "queue" | "logger"> &
    Partial<Pick<Service, "pollStats" | "scheduler" | "cluster" | "health" | "afterDrain">>,
  settings: HttpSettings = {},
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<RunningHttp> {
  const { store } = service;
  const dataDir = store.database.target.dataDir;
  const auth = new AuthStore(store.database.db);
  const adminPassword = env.CLINIKO_FLOW_ADMIN_PASSWORD || undefined;
  if (adminPassword) await auth.applyEnvPassword(adminPassword);

  const sandbox = settings.demo ? await startDemoSandbox(dataDir, store) : undefined;
  if (sandbox) await prepareDemo(store, sandbox);
  const shownPassword = settings.demo && !adminPassword ? await demoPassword(auth, dataDir) : undefined;

  const app = await createServer({
    store,
    auth,
    logger: service.logger.child({ component: "http" }),
    engine: serverEngineOf({
      clients: service.clients,
      queue: service.queue,
      scheduler: service.scheduler,
      env,
      allowPrivateHttp: env.CLINIKO_FLOW_ALLOW_PRIVATE_HTTP === "1",
      stats: () => engineStats(service.pollStats, service.clients),
      ...(service.cluster
        ? {
            labelledStats: () => clusterStats(service.cluster!),
            health: async () => {
              const h = await service.health!();
              return { ok: h.redis === "ok", redis: h.redis };
            },
          }
        : {}),
    }),
    clients: service.clients,
    webhookPostsPerMinute: webhookRateFromEnv(env),
    webhookLimits: webhookLimitsFromEnv(env),
    trustProxy: trustProxyFromEnv(env.TRUST_PROXY),
    clientFor: async (name) => (await service.clients.resolve(name)).client,
    demo: sandbox ? new DemoClinic(sandbox.sandbox) : undefined,
  });
  const host = settings.host ?? env.HOST ?? "127.0.0.1";
  const listenPort = settings.port ?? 3000;
  try {
    await app.listen({ port: listenPort, host });
  } catch (err) {
    await sandbox?.stop();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(`Port ${listenPort} is already in use; pick another with --port.`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : settings.port;
  const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;

  // The demo clinic outlives the HTTP server until the runs in flight, which call it, have finished.
  let stopSandbox = sandbox?.stop;
  if (sandbox && service.afterDrain) {
    service.afterDrain(sandbox.stop);
    stopSandbox = undefined;
  }

  print(`cliniko-flow is running at ${url}`);
  if (sandbox) print(`  demo: the sandbox clinic is at ${sandbox.baseUrl} (connection "${DEMO_CONNECTION}")`);
  if (shownPassword) print(`  log in with the password: ${shownPassword}`);
  else if (adminPassword) print("  log in with the password in CLINIKO_FLOW_ADMIN_PASSWORD");
  else if (await auth.hasPassword())
    print("  log in with the admin password (change it: cliniko-flow admin set-password)");
  else print("  no admin password yet: run `cliniko-flow admin set-password` or set CLINIKO_FLOW_ADMIN_PASSWORD");

  return {
    url,
    async stop() {
      await app.close();
      await stopSandbox?.();
    },
  };
}

/** The engine's counters as /metrics names them. */
export function engineStats(
  polls: { polls: number; errors: number } | undefined,
  clients: Pick<Service["clients"], "limiterStats">,
): Record<string, number> {
  // The provider owns the limiters of every key its clients use.
  const limiters = clients.limiterStats();
  const sum = (f: (s: (typeof limiters)[number]) => number) => limiters.reduce((n, s) => n + f(s), 0);
  return {
    polls_total: polls?.polls ?? 0,
    poll_errors_total: polls?.errors ?? 0,
    cliniko_requests_total: sum((s) => s.requests),
    cliniko_rate_limited_total: sum((s) => s.rateLimited),
    cliniko_rate_limit_waits_total: sum((s) => s.waits),
  };
}

/** Distributed mode's gauges, read from Redis at scrape time: the whole cluster, not this process. */
export async function clusterStats(cluster: NonNullable<Service["cluster"]>): Promise<LabelledMetric[]> {
  const [runs, polls, keys] = await Promise.all([
    cluster.queue.depth(),
    cluster.polls.depth(),
    cluster.limiters.shared(),
  ]);
  const depth = (queue: string, counts: Record<string, number>) =>
    Object.entries(counts).map(([state, value]) => ({ labels: { queue, state }, value }));
  return [
    {
      name: "bullmq_jobs",
      type: "gauge",
      help: "BullMQ jobs cluster-wide, by queue and state.",
      samples: [...depth("runs", runs), ...depth("polls", polls)],
    },
    {
      name: "rate_limit_window_starts",
      type: "gauge",
      help: "Request starts in the current rolling window, cluster-wide, per Cliniko key (hash prefix).",
      samples: keys.map((k) => ({ labels: { key: k.key }, value: k.startsInWindow })),
    },
    {
      name: "rate_limit_429_total",
      type: "counter",
      help: "429 answers reported by any process, per Cliniko key (hash prefix).",
      samples: keys.map((k) => ({ labels: { key: k.key }, value: k.rateLimited })),
    },
  ];
}

/** The extension `serve` passes to startService: `extensions: [httpExtension]`. */
export async function httpExtension(service: Service): Promise<() => Promise<void>> {
  const s = service.settings as HttpSettings;
  const running = await startHttp(service, { port: s.port, host: s.host, demo: s.demo });
  return running.stop;
}
