/**
 * `startSandbox`: a fake Cliniko over real HTTP. Every `/v1` request goes through the same
 * pipeline as on Cliniko's side — injected faults, Basic auth with a known key, a required
 * User-Agent, the per-key rolling rate limit — then to a handler generated from the catalogue
 * (api.ts). The control API lives under `/__sandbox` (control.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { serveOwnOrigin } from "../net/own-origins.ts";
import { tightenMode, writePrivateFile } from "../private-file.ts";
import { type ApiRequest, buildRoutes, NotFoundError, type RouteDef } from "./api.ts";
import { SandboxClock } from "./clock.ts";
import { ControlError, RequestLog, registerControlRoutes, SandboxControl } from "./control.ts";
import { FaultInjector } from "./faults.ts";
import { QueryError } from "./query.ts";
import { RollingRateLimiter } from "./rate-limit.ts";
import type { SeedName } from "./seed.ts";
import { SandboxStore, type StoreSnapshot } from "./store.ts";
import { ValidationError } from "./validate.ts";

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: SeedName;
  seedNumber?: number;
  /** Requests per key per rolling minute; 0 turns the limit off. Default 200, as Cliniko. */
  rateLimit?: number;
  /** The limit's rolling window in ms (default 60 000; benchmarks shorten it to compress time). */
  rateLimitWindowMs?: number;
  /** Keys the sandbox accepts; one is generated when none is given. */
  apiKeys?: string[];
  /** JSON file to load state from (when it exists) and to save it to after writes and on stop. */
  dataFile?: string;
  /** Start the clock at this moment, and/or frozen. */
  clock?: { now?: string | Date; frozen?: boolean };
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  /** `http://127.0.0.1:PORT` (the control API is `${origin}/__sandbox`). */
  origin: string;
  port: number;
  /** The first accepted key. */
  apiKey: string;
  apiKeys: string[];
  store: SandboxStore;
  clock: SandboxClock;
  faults: FaultInjector;
  rateLimiter: RollingRateLimiter;
  requestLog: RequestLog;
  control: SandboxControl;
  routes: RouteDef[];
  stop(): Promise<void>;
}

/** A key in Cliniko's shape: opaque text, then `-<shard>`. */
export function generateApiKey(shard = "au1"): string {
  return `MS0${randomBytes(24).toString("base64url")}-${shard}`;
}

/** The part of a key after its last `-` (the shard); what the request log keeps. */
export function keySuffix(key: string): string {
  const i = key.lastIndexOf("-");
  return i >= 0 ? key.slice(i + 1) : "au1";
}

function basicAuthKey(header: string | undefined): string | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 ? decoded.slice(0, colon) : decoded;
}

interface PersistedState extends StoreSnapshot {
  ownerUserId: string;
  /** Generated keys are kept so a restarted sandbox (and the curl line it printed) keeps working. */
  apiKeys?: string[];
  seed: { name: SeedName; seedNumber: number };
}

function loadState(file: string): PersistedState {
  let state: PersistedState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as PersistedState;
  } catch (err) {
    throw new Error(`Cannot read the sandbox data file ${file}: ${(err as Error).message}`);
  }
  if (!state || typeof state !== "object" || !state.tables || !state.nextId)
    throw new Error(`Sandbox data file ${file} is not a sandbox snapshot (delete it or pick another --data file)`);
  return state;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = new SandboxClock(options.clock);
  const store = new SandboxStore(clock);
  const faults = new FaultInjector();
  const rateLimiter = new RollingRateLimiter(options.rateLimit ?? 200, options.rateLimitWindowMs);
  const requestLog = new RequestLog();
  const control = new SandboxControl({ store, clock, faults, limiter: rateLimiter, requestLog });
  const { dataFile } = options;
  if (dataFile && existsSync(dataFile)) tightenMode(dataFile);
  const saved = dataFile && existsSync(dataFile) ? loadState(dataFile) : undefined;
  const apiKeys = options.apiKeys?.length
    ? [...options.apiKeys]
    : saved?.apiKeys?.length
      ? saved.apiKeys
      : [generateApiKey()];
  const known = new Set(apiKeys);

  if (saved) {
    try {
      store.restore(saved);
    } catch (err) {
      throw new Error(`Sandbox data file ${dataFile} cannot be used: ${(err as Error).message}`);
    }
    control.ownerUserId = saved.ownerUserId;
    control.seed = saved.seed;
  } else {
    control.reset(options.seed ?? "demo", options.seedNumber ?? 1);
  }

  let saveTimer: NodeJS.Timeout | undefined;
  const save = () => {
    if (!dataFile) return;
    clearTimeout(saveTimer);
    saveTimer = undefined;
    const state: PersistedState = {
      ...store.snapshot(),
      ownerUserId: control.ownerUserId,
      seed: control.seed,
      apiKeys,
    };
    const tmp = `${dataFile}.tmp`;
    try {
      // The snapshot holds the API keys and every record: owner-only, like the product's database.
      writePrivateFile(tmp, JSON.stringify(state));
      renameSync(tmp, dataFile);
    } catch (err) {
      throw new Error(
        `Cannot write the sandbox data file ${dataFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  if (dataFile) {
    control.persist = save;
    // Saved shortly after a burst of writes, not on each one.
    store.onChange = () => {
      // A failed background save is reported, not thrown into the event loop (it would end the process).
      saveTimer ??= setTimeout(() => {
        try {
          save();
        } catch (err) {
          process.stderr.write(`${(err as Error).message}\n`);
        }
      }, 250);
    };
    save();
  }

  const app = Fastify({ logger: false, forceCloseConnections: true, return503OnClosing: false });
  // Archive/cancel calls often send an empty body with a JSON content type: treat it as none.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, text, done) => {
    const s = String(text);
    if (s.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(s));
    } catch {
      done(Object.assign(new QueryError("The request body is not valid JSON"), { statusCode: 400 }), undefined);
    }
  });

  const isControl = (url: string) =>
    url === "/__sandbox" || url.startsWith("/__sandbox/") || url.startsWith("/__sandbox?");
  const base = (host: string | undefined) => `http://${host ?? `127.0.0.1:${port}`}/v1`;
  const send = (reply: FastifyReply, status: number, body?: unknown) =>
    body === undefined
      ? reply.code(status).send()
      : reply.code(status).type("application/json; charset=utf-8").send(body);

  const started = new WeakMap<FastifyRequest, number>();
  app.addHook("onRequest", async (req, reply) => {
    if (isControl(req.url)) return;
    started.set(req, performance.now());
    const path = req.url.split("?")[0]!.replace(/^\/v1/, "");
    const outcome = faults.decide(req.method, path);
    if (outcome.delayMs > 0) await new Promise((r) => setTimeout(r, outcome.delayMs));
    const fault = outcome.fire;
    if (fault?.kind === "drop") {
      logRequest(req, 0);
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }
    if (fault?.kind === "error")
      return send(reply, fault.status ?? 500, { message: "Injected server error (sandbox fault)" });
    if (fault?.kind === "rate-limit") {
      reply.header("X-RateLimit-Reset", String(Math.ceil(Date.now() / 1000) + (fault.resetInSeconds ?? 1)));
      return send(reply, 429, { message: "Too many requests (sandbox fault)" });
    }
    const key = basicAuthKey(req.headers.authorization);
    if (key === undefined || !known.has(key)) {
      reply.header("WWW-Authenticate", 'Basic realm="Cliniko API"');
      return send(reply, 401, { message: "Unauthorized: send a valid API key as the Basic auth username" });
    }
    if (!String(req.headers["user-agent"] ?? "").trim()) {
      return send(reply, 400, {
        message:
          "A User-Agent header naming your application and a contact email is required, e.g. 'MyApp (me@example.com)'",
      });
    }
    const verdict = rateLimiter.take(key);
    if (!verdict.ok) {
      reply.header("X-RateLimit-Reset", String(verdict.resetAt));
      return send(reply, 429, {
        message: `Too many requests: the limit is ${rateLimiter.limit} per ${rateLimiter.windowMs === 60_000 ? "minute" : `${rateLimiter.windowMs / 1000} s`} per API key`,
      });
    }
  });

  const logRequest = (req: FastifyRequest, status: number) => {
    const [path, query = ""] = req.url.split(/\?(.*)/s) as [string, string?];
    const key = basicAuthKey(req.headers.authorization);
    requestLog.add({
      time: new Date().toISOString(),
      method: req.method,
      path,
      query,
      status,
      keySuffix: key && known.has(key) ? keySuffix(key) : null,
      durationMs: Math.round(performance.now() - (started.get(req) ?? performance.now())),
    });
  };
  app.addHook("onResponse", async (req, reply) => {
    if (!isControl(req.url)) logRequest(req, reply.statusCode);
  });
  // Cliniko's Date header and its timestamps come from one clock; so do the sandbox's.
  app.addHook("onSend", async (_req, reply) => {
    reply.header("date", clock.now().toUTCString());
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ValidationError) return send(reply, 422, { message: err.message, errors: err.errors });
    if (err instanceof NotFoundError) return send(reply, 404, { message: err.message });
    if (err instanceof QueryError || err instanceof ControlError)
      return send(reply, err.status, { message: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return send(reply, status, { message: (err as Error).message });
    return send(reply, 500, { message: `Sandbox error: ${(err as Error).message}` });
  });
  app.setNotFoundHandler((_req, reply) => send(reply, 404, { message: "Not found" }));

  const routes = buildRoutes({ store, userIdForKey: () => control.ownerUserId });
  for (const route of routes) {
    app.route({
      method: route.op.method,
      url: `/v1${route.op.path.replace(/\{(\w+)\}/g, ":$1")}`,
      handler: async (req, reply) => {
        const url = new URL(req.url, "http://sandbox");
        const apiRequest: ApiRequest = {
          params: req.params as Record<string, string>,
          search: url.searchParams,
          body: req.body,
          base: base(req.headers.host),
          path: url.pathname.replace(/^\/v1/, ""),
          apiKey: basicAuthKey(req.headers.authorization) ?? "",
        };
        const result = route.handle(apiRequest);
        return send(reply, result.status, result.body);
      },
    });
  }

  let port = 0;
  const info = () => ({
    baseUrl: base(undefined),
    keySuffixes: apiKeys.map(keySuffix),
    seed: control.seed,
    rateLimit: rateLimiter.limit,
    clock: clock.state(),
    faults: faults.list(),
    counts: store.counts(),
    routes: routes.length,
  });
  registerControlRoutes(app, control, info, base);

  await app.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" });
  const address = app.server.address();
  port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  const origin = `http://127.0.0.1:${port}`;
  // This process's Cliniko clients may reach exactly this origin while it listens (the demo
  // clinic, the tests), as they may no other loopback port (src/net/own-origins.ts).
  const withdraw = serveOwnOrigin(origin);

  return {
    baseUrl: `${origin}/v1`,
    origin,
    port,
    apiKey: apiKeys[0]!,
    apiKeys,
    store,
    clock,
    faults,
    rateLimiter,
    requestLog,
    control,
    routes,
    async stop() {
      withdraw();
      await app.close();
      if (dataFile) save();
    },
  };
}
