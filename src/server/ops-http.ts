/**
 * `worker --port`: a worker's own port serves /healthz and /metrics only, for its orchestrator
 * and Prometheus. The web UI, the API, webhooks and MCP are the api role's (`serve --role api`);
 * a worker behind a load balancer must not answer them. /metrics asks for an API token, as the
 * API's /metrics does (it names workflows' queues and Cliniko key prefixes).
 */
import { readFileSync } from "node:fs";
import Fastify from "fastify";
import type { Service } from "../engine/service.ts";
import { AuthStore } from "./auth.ts";
import { clusterStats, engineStats, type HttpSettings } from "./http.ts";
import { HttpMetrics } from "./metrics.ts";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The paths a worker's port answers; anything else is 404. */
export const OPS_PATHS = ["/healthz", "/metrics"] as const;

export async function startOpsHttp(
  service: Service,
  settings: HttpSettings = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; stop(): Promise<void> }> {
  const auth = new AuthStore(service.store.database.db);
  const metrics = new HttpMetrics();
  const app = Fastify({ logger: false });
  app.addHook("onResponse", async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get("/healthz", async (_req, reply) => {
    const h = await service.health();
    if (h.ok) return { ok: true, version, ...(h.redis ? { redis: h.redis } : {}) };
    const down = h.database !== "ok" ? `The database is ${h.database}.` : `Redis is ${h.redis}.`;
    return reply.code(503).send({ ok: false, message: down });
  });
  app.get("/metrics", async (req, reply) => {
    const header = req.headers.authorization;
    if (!header?.startsWith("Bearer ") || !(await auth.checkToken(header.slice(7).trim())))
      return reply
        .code(401)
        .send({ statusCode: 401, error: "unauthorized", message: "Send an API token (Authorization: Bearer …)." });
    const labelled = service.cluster ? await clusterStats(service.cluster) : [];
    reply.type("text/plain; version=0.0.4; charset=utf-8");
    return metrics.render(await service.store.runs.counts(), engineStats(service.pollStats, service.clients), labelled);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: "not_found",
      message: `A worker's port serves ${OPS_PATHS.join(" and ")} only; ${req.method} ${req.url.split("?")[0]} is the api's (serve --role api).`,
    }),
  );
  const host = settings.host ?? env.HOST ?? "127.0.0.1";
  try {
    await app.listen({ port: settings.port ?? 0, host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(`Port ${settings.port} is already in use; pick another with --port.`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : settings.port;
  return { url: `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`, stop: () => app.close() };
}

/** The extension `worker --port` passes to startService. */
export async function opsHttpExtension(service: Service): Promise<() => Promise<void>> {
  const s = service.settings as HttpSettings;
  const running = await startOpsHttp(service, { port: s.port, host: s.host });
  process.stdout.write(`cliniko-flow worker health and metrics at ${running.url} (${OPS_PATHS.join(", ")})\n`);
  return running.stop;
}
