/**
 * A real stack for API tests: a SQLite file in a temp dir, the sandbox Cliniko over HTTP, and the
 * HTTP server on a free port — optionally with the engine's scheduler and workers running, and
 * with `demo` as `serve --demo` (its own sandbox clinic in the data dir, beside `sandbox`).
 * `call` records every response body so tests can assert that no secret ever left the server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientProvider } from "../../src/engine/clients.ts";
import { type Service, startService } from "../../src/engine/service.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { createServer } from "../../src/server/app.ts";
import { serverEngineOf } from "../../src/server/engine-adapter.ts";
import { startHttp } from "../../src/server/http.ts";
import type { TrustProxy } from "../../src/server/trust-proxy.ts";
import type { WebhookLimits } from "../../src/server/webhook-limits.ts";
import { openStore, type Store } from "../../src/store/index.ts";

export const PASSWORD = "correct horse battery staple";

export interface Stack {
  url: string;
  store: Store;
  sandbox: Sandbox;
  service?: Service;
  env: NodeJS.ProcessEnv;
  /** Every response body seen so far (for "the key never appears" checks). */
  bodies: string[];
  call(
    method: string,
    path: string,
    options?: { body?: unknown; cookie?: string; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; text: string; json: unknown }>;
  login(password?: string): Promise<string>;
  /** Adds the stack's sandbox clinic as a Cliniko connection through the API (asserts it was created). */
  connectSandbox(cookie: string, name?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  options: {
    engine?: boolean;
    loginAttemptsPerMinute?: number;
    webhookPostsPerMinute?: number;
    webhookLimits?: Partial<WebhookLimits>;
    trustProxy?: TrustProxy;
    /** Collects the server's log lines (at info) instead of silencing them. */
    logLines?: string[];
    demo?: boolean;
  } = {},
): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "cf-server-"));
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
    CLINIKO_FLOW_DATA_DIR: dir,
    CLINIKO_FLOW_RATE_LIMIT: "0",
    CLINIKO_FLOW_ADMIN_PASSWORD: PASSWORD,
    CLINIKO_FLOW_TEST_POLL_INTERVAL_MS: "300",
    LOG_LEVEL: "silent",
    CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
  };
  const sandbox = await startSandbox({ port: 0, seed: "demo", rateLimit: 0 });
  const store = await openStore({ env });
  let url: string;
  let stopHttp: () => Promise<void>;
  let service: Service | undefined;
  if (options.engine) {
    let started: { url: string; stop(): Promise<void> } | undefined;
    const { createLogger } = await import("../../src/log.ts");
    service = await startService({
      env,
      store,
      logger: createLogger({ level: "silent" }),
      pollIntervalMs: 300,
      allowPrivateHttp: true,
      extensions: [
        async (svc) => {
          started = await startHttp(svc, { port: 0, demo: options.demo }, env, () => {});
          return started.stop;
        },
      ],
    });
    url = started!.url;
    stopHttp = async () => {};
  } else {
    const app = await createServer({
      store,
      engine: serverEngineOf({ clients: new ClientProvider(store, { env }), env, allowPrivateHttp: true }),
      adminPassword: PASSWORD,
      webRoot: false,
      loginAttemptsPerMinute: options.loginAttemptsPerMinute,
      webhookPostsPerMinute: options.webhookPostsPerMinute,
      webhookLimits: options.webhookLimits,
      trustProxy: options.trustProxy,
      logger: (await import("../../src/log.ts")).createLogger(
        options.logLines
          ? { level: "info", destination: { write: (line: string) => options.logLines!.push(line) } }
          : { level: "silent" },
      ),
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
    stopHttp = () => app.close();
  }
  const bodies: string[] = [];
  const stack: Stack = {
    url,
    store,
    sandbox,
    service,
    env,
    bodies,
    async connectSandbox(cookie, name = "clinic") {
      const add = await stack.call("POST", "/api/connections", {
        cookie,
        headers: { "x-cliniko-flow": "1" },
        body: { name, apiKey: sandbox.apiKey, email: "ops@clinic.test", baseUrl: sandbox.baseUrl },
      });
      assert.equal(add.status, 201, add.text);
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.body !== undefined) headers["content-type"] ??= "application/json";
      if (o.cookie) headers.cookie = o.cookie;
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body),
      });
      const text = await res.text();
      bodies.push(`${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}`);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async login(password = PASSWORD) {
      const res = await stack.call("POST", "/api/login", { body: { password } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      const cookie = res.headers.get("set-cookie") ?? "";
      return cookie.split(";")[0]!;
    },
    async stop() {
      await stopHttp();
      if (service) await service.stop();
      await store.close();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
