/**
 * The HTTP server: the REST API's route plugins (routes/), authentication, /healthz, /metrics, the
 * OpenAPI document and the built web UI. Request validation, response shaping and the document
 * all come from the routes' zod schemas (schemas.ts). `createServer` builds it (tests call
 * `listen` on port 0); `startHttp` in http.ts is what `serve` calls.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyRequest,
  type FastifySchemaValidationError,
  LogController,
} from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { ActionInputError, UnknownCatalogKeyError } from "../catalog/index.ts";
import { createClient } from "../cliniko/client.ts";
import { ClinikoError } from "../cliniko/errors.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import { ClientProvider } from "../engine/clients.ts";
import { log as defaultLog } from "../log.ts";
import type { Store } from "../store/index.ts";
import { AuthStore, SESSION_COOKIE, SESSION_TTL_MS } from "./auth.ts";
import type { DemoClinic } from "./demo-clinic.ts";
import type { LabelledMetric, ServerEngine } from "./engine-port.ts";
import { HttpError } from "./errors.ts";
import { installJsonParser } from "./json-body.ts";
import { mcpRoute } from "./mcp-route.ts";
import { HttpMetrics } from "./metrics.ts";
import { registerOpenApi } from "./openapi.ts";
import { noRoute } from "./routes/context.ts";
import { type RouteContext, routePlugins } from "./routes/index.ts";
import { Health } from "./schemas.ts";
import { apiRefusal } from "./token-scopes.ts";
import { fastifyTrustProxy, type TrustProxy, trustProxyFromEnv } from "./trust-proxy.ts";
import { DEFAULT_WEBHOOK_LIMITS, type WebhookLimits } from "./webhook-limits.ts";
import { WebhookTokens } from "./webhooks.ts";
import type { ApiErrorBody } from "./wire.ts";

export interface ServerOptions {
  store: Store;
  /** The running engine; without it, validation/test routes answer 503. */
  engine?: ServerEngine;
  auth?: AuthStore;
  /** The engine's client provider (MCP tool calls share its rate limiters). */
  clients?: ClientProvider;
  /** Client for a stored connection; default: a new client from the stored key. */
  clientFor?: (connection: string) => Promise<ClinikoClient>;
  /** Directory of the built UI (web/dist); false to serve the API only. */
  webRoot?: string | false;
  /** Sets the admin password when given (CLINIKO_FLOW_ADMIN_PASSWORD). */
  adminPassword?: string;
  /** Login attempts allowed per client address per minute (default 10). */
  loginAttemptsPerMinute?: number;
  /**
   * Posts per minute one webhook URL accepts (default CLINIKO_FLOW_WEBHOOK_RATE, else 600). Posts
   * to unknown tokens are limited per sender address instead, so guessing cannot crowd out a
   * form system that posts every sign-up from one address.
   */
  webhookPostsPerMinute?: number;
  /** Body size and per-workflow storage caps of webhook posts (default: webhookLimitsFromEnv). */
  webhookLimits?: Partial<WebhookLimits>;
  logger?: Logger;
  /** `serve --demo`: the sandbox clinic the Demo clinic routes change (they exist only then). */
  demo?: DemoClinic;
  /**
   * Behind a TLS-terminating proxy: which X-Forwarded-* to believe (cookies get Secure, the limits
   * count by the real client): a hop count or the proxies' addresses (default: TRUST_PROXY; off).
   */
  trustProxy?: TrustProxy;
}

/** Header the web client sends on every write; a cross-site form or image cannot add it. */
export const CSRF_HEADER = "x-cliniko-flow";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
  description: string;
};

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../web/dist", import.meta.url));

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Cookie-authenticated writes must come from our own page: either the custom header, or an
 * Origin equal to the server's host. Browsers always send Origin (or Sec-Fetch-Site) on
 * cross-site writes, so a request with neither is a script, which no browser can be tricked into.
 */
function sameOriginWrite(req: FastifyRequest): boolean {
  if (req.headers[CSRF_HEADER]) return true;
  const origin = req.headers.origin;
  if (origin) {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  const site = req.headers["sec-fetch-site"];
  return site === undefined || site === "same-origin" || site === "none";
}

/** "body/apiKey is required": where, then what is wrong, for the first few problems. */
function describeValidation(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const phrase = (e: FastifySchemaValidationError) => {
    const where = `${dataVar}${e.instancePath ?? ""}`.replace(/\/$/, "");
    return /received undefined$/.test(e.message ?? "")
      ? `${where} is required`
      : `${where}: ${e.message ?? "is invalid"}`;
  };
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return new Error(`${phrase(errors[0]!)}${more}`);
}

function errorBody(statusCode: number, error: string, message: string, details?: ApiErrorBody["details"]) {
  return { statusCode, error, message, ...(details && details.length > 0 ? { details } : {}) };
}

const DEFAULT_WEBHOOK_RATE = 600;

/** CLINIKO_FLOW_WEBHOOK_RATE: posts per minute per webhook URL (a whole number ≥ 1; default 600). */
export function webhookRateFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CLINIKO_FLOW_WEBHOOK_RATE?.trim();
  if (!raw) return DEFAULT_WEBHOOK_RATE;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(`CLINIKO_FLOW_WEBHOOK_RATE must be a whole number of posts per minute (at least 1), not "${raw}".`);
  return Number(raw);
}

export async function createServer(options: ServerOptions) {
  const { store, engine } = options;
  const logger = options.logger ?? defaultLog.child({ component: "http" });
  const auth = options.auth ?? new AuthStore(store.database.db);
  if (options.adminPassword) await auth.applyEnvPassword(options.adminPassword);
  const webhooks = new WebhookTokens(store.database.db);
  const metrics = new HttpMetrics();
  const actors = new WeakMap<FastifyRequest, string>();

  const app = Fastify({
    // Fastify's logger interface, which pino's logger implements (so the app's type is the default one).
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? trustProxyFromEnv(process.env.TRUST_PROXY)),
    schemaErrorFormatter: describeValidation,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a cross-site form can post text/plain or form data, never application/json.
  app.removeContentTypeParser("text/plain");
  installJsonParser(app);

  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: "rate_limited",
      message: `Too many attempts; try again in ${Math.ceil(ctx.ttl / 1000)} seconds.`,
    }),
  });
  await registerOpenApi(app, { version: pkg.version, description: pkg.description });

  app.addHook("onRequest", async (req) => {
    (req as FastifyRequest & { startedAt?: bigint }).startedAt = process.hrtime.bigint();
  });
  app.addHook("onResponse", async (req, reply) => {
    const started = (req as FastifyRequest & { startedAt?: bigint }).startedAt ?? process.hrtime.bigint();
    const route = req.routeOptions.url ?? (req.url.startsWith("/api") ? "unmatched" : "static");
    metrics.observe(req.method, route, reply.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
  });
  app.addHook("onSend", async (req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "same-origin");
    reply.header("x-frame-options", "DENY");
    if (req.url.startsWith("/api")) reply.header("cache-control", "no-store");
    else
      reply.header(
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
    return payload;
  });

  /** Session cookie or bearer token; CSRF check for cookie-authenticated writes. */
  async function authenticate(req: FastifyRequest): Promise<void> {
    const header = req.headers.authorization;
    if (header?.startsWith("Bearer ")) {
      const grant = await auth.checkToken(header.slice(7).trim());
      if (grant) {
        const refused = apiRefusal(grant.scope, req.method);
        if (refused) throw new HttpError(403, "token_scope", refused);
        actors.set(req, "token");
        return;
      }
      throw new HttpError(
        401,
        "unauthorized",
        "The API token is not valid (it may have been revoked or have expired).",
      );
    }
    if (await auth.checkSession(req.cookies[SESSION_COOKIE])) {
      if (UNSAFE.has(req.method) && !sameOriginWrite(req))
        throw new HttpError(403, "csrf", "Cross-site request refused: send the X-Cliniko-Flow header.");
      actors.set(req, "admin");
      return;
    }
    throw new HttpError(401, "unauthorized", "Log in first (POST /api/login) or send an API token.");
  }

  const clients = options.clients ?? new ClientProvider(store);
  const ctx: RouteContext = {
    store,
    auth,
    webhooks,
    engine,
    demo: options.demo,
    loginAttemptsPerMinute: options.loginAttemptsPerMinute ?? 10,
    webhookPostsPerMinute: options.webhookPostsPerMinute ?? DEFAULT_WEBHOOK_RATE,
    webhookLimits: { ...DEFAULT_WEBHOOK_LIMITS, ...options.webhookLimits },
    clients,
    clientFor:
      options.clientFor ??
      (async (name) => {
        const c = await store.connections.find(name);
        if (!c) throw new HttpError(404, "not_found", `No connection named "${name}".`);
        return createClient({ ...c, network: clients.clinikoNetwork() });
      }),
    async startSession(reply) {
      const session = await auth.createSession();
      reply.setCookie(SESSION_COOKIE, session.id, {
        path: "/",
        httpOnly: true,
        sameSite: "strict",
        secure: reply.request.protocol === "https",
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
    },
    async endSession(req, reply) {
      await auth.endSession(req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
    },
    actor: (req) => actors.get(req) ?? "anonymous",
  };

  app.setErrorHandler((err, req, reply) => {
    const e = err as Error & {
      statusCode?: number;
      code?: string;
      validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
      validationContext?: string;
    };
    if (e instanceof HttpError)
      return reply.code(e.statusCode).send({
        ...errorBody(e.statusCode, e.code, e.message, e.details),
        ...(e.draftKept === undefined ? {} : { draftKept: e.draftKept }),
      });
    if (e.validation) {
      const details = e.validation.map((v) => ({
        path: `${e.validationContext ?? "body"}${v.instancePath ?? ""}`.replace(/\/$/, ""),
        message: v.message ?? "is invalid",
      }));
      return reply.code(400).send(errorBody(400, "validation_failed", `Invalid request: ${e.message}.`, details));
    }
    if (e instanceof ActionInputError)
      return reply.code(400).send(errorBody(400, "invalid_input", e.message, e.issues));
    if (e instanceof UnknownCatalogKeyError) return reply.code(400).send(errorBody(400, "unknown_key", e.message));
    if (e instanceof ClinikoError) {
      req.log.warn({ code: e.code }, "cliniko request failed");
      return reply.code(502).send(errorBody(502, "cliniko_error", e.message));
    }
    if (e.name === "ConnectionNotFoundError" || e.name === "WorkflowNotFoundError")
      return reply.code(404).send(errorBody(404, "not_found", e.message));
    const status = e.statusCode ?? 500;
    if (status === 429) return reply.code(429).send(errorBody(429, "rate_limited", e.message));
    if (status >= 400 && status < 500) {
      const code = e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "unsupported_media_type" : "bad_request";
      const message =
        code === "unsupported_media_type"
          ? "Send the request body as JSON (Content-Type: application/json)."
          : e.message;
      return reply.code(status).send(errorBody(status, code, message));
    }
    req.log.error({ err: e }, "request failed");
    return reply
      .code(500)
      .send(errorBody(500, "internal_error", "Something went wrong on the server; its log has the details."));
  });

  // The API: every route needs a session or a token unless it says `public`; demo-only routes
  // answer 404 outside `serve --demo`. Authentication runs before the body is parsed or
  // validated: strangers learn nothing.
  await app.register(async (api) => {
    api.addHook("onRequest", async (req) => {
      const config = req.routeOptions.config;
      if (config.demoOnly && !ctx.demo) throw noRoute(req.method, req.url);
      if (config.public) {
        if (!config.crossSite && UNSAFE.has(req.method) && req.headers.origin && !sameOriginWrite(req))
          throw new HttpError(403, "csrf", "Cross-site request refused.");
        return;
      }
      await authenticate(req);
    });
    for (const plugin of routePlugins) await api.register(plugin, ctx);
  });

  await app.register(mcpRoute, { store, auth, engine, clients: options.clients });

  app.get("/api/openapi.json", { onRequest: authenticate, schema: { hide: true } }, async () => app.swagger());

  app.get(
    "/healthz",
    {
      schema: {
        summary: "Liveness and database check (no authentication).",
        tags: ["operations"],
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_req, reply) => {
      try {
        await store.database.db.selectFrom("workflows").select("id").limit(1).execute();
      } catch {
        return reply.code(503).send({ ok: false, message: "The database is not reachable." });
      }
      const deps = await engine?.health?.();
      if (deps && !deps.ok) return reply.code(503).send({ ok: false, message: `Redis is ${deps.redis}.` });
      return { ok: true, version: pkg.version, ...(deps?.redis ? { redis: deps.redis } : {}) };
    },
  );

  app.get(
    "/metrics",
    {
      onRequest: authenticate,
      schema: {
        summary: "Prometheus metrics: requests, polls, 429s, runs by status, queue depth.",
        tags: ["operations"],
      },
    },
    async (_req, reply) => {
      const counts = await store.runs.counts();
      const storage = await store.runs.storageByWorkflow();
      const stored: LabelledMetric = {
        name: "workflow_stored_bytes",
        type: "gauge",
        help: "Bytes of trigger payloads kept in run history, per workflow (webhook posts are capped by CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB).",
        samples: storage.map((s) => ({ labels: { workflow: s.workflow }, value: s.bytes })),
      };
      reply.type("text/plain; version=0.0.4; charset=utf-8");
      return metrics.render(counts, engine?.stats?.() ?? {}, [stored, ...((await engine?.labelledStats?.()) ?? [])]);
    },
  );

  const webRoot = options.webRoot === undefined ? DEFAULT_WEB_ROOT : options.webRoot;
  const hasUi = webRoot !== false && existsSync(`${webRoot}/index.html`);
  if (hasUi) await app.register(fastifyStatic, { root: webRoot, prefix: "/", index: "index.html", wildcard: true });
  else
    app.get("/", { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .send(
          "<!doctype html><title>cliniko-flow</title><p>The web UI is not built. Run <code>npm run build</code>, then reload. The API is at <code>/api</code>.</p>",
        ),
    );

  app.setNotFoundHandler((req, reply) => {
    if (!req.url.startsWith("/api") && req.method === "GET" && hasUi) return reply.sendFile("index.html");
    const e = noRoute(req.method, req.url);
    return reply.code(404).send(errorBody(404, e.code, e.message));
  });

  return app;
}
