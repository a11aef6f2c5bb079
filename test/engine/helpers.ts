/** A sandbox, a fresh store (SQLite, or a given database) and the environment that points the engine at both. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe } from "node:test";
import pg from "pg";
import { ClientProvider } from "../../src/engine/clients.ts";
import { Runner, type RunnerOptions } from "../../src/engine/runner.ts";
import { validateWorkflow, type WorkflowDefinition } from "../../src/engine/workflow.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";

export interface Harness {
  sandbox: Sandbox;
  store: Store;
  dir: string;
  env: NodeJS.ProcessEnv;
  clients: ClientProvider;
  close(): Promise<void>;
}

export async function harness(
  options: { seed?: "demo" | "empty"; clinikoTimeoutMs?: number; databaseUrl?: string } = {},
): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0, seed: options.seed ?? "empty", rateLimit: 0 });
  const dir = mkdtempSync(join(tmpdir(), "cf-engine-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: options.databaseUrl ?? `sqlite:${join(dir, "flow.db")}`,
    CLINIKO_API_KEY: sandbox.apiKey,
    CLINIKO_EMAIL: "ops@clinic.test",
    CLINIKO_BASE_URL: sandbox.baseUrl,
    CLINIKO_FLOW_RATE_LIMIT: "0",
    CLINIKO_FLOW_SECRET: "test-secret-of-sufficient-length",
    // The fake vendors, SMTP server and webhook receivers listen on loopback: the operator's exception.
    CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
    ...(options.clinikoTimeoutMs ? { CLINIKO_FLOW_CLINIKO_TIMEOUT_MS: String(options.clinikoTimeoutMs) } : {}),
  };
  const store = await openStore({ env });
  const clients = new ClientProvider(store, { env });
  return {
    sandbox,
    store,
    dir,
    env,
    clients,
    async close() {
      await store.close();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function workflow(
  partial: Partial<WorkflowDefinition> & Pick<WorkflowDefinition, "trigger">,
): WorkflowDefinition {
  return validateWorkflow({
    name: partial.name ?? `wf-${Math.random().toString(36).slice(2, 8)}`,
    steps: partial.steps ?? [{ id: "noop", action: "filter", input: { condition: true } }],
    ...partial,
  });
}

export function runner(h: Harness, options: Partial<RunnerOptions> = {}): Runner {
  return new Runner({
    store: h.store,
    clients: h.clients,
    env: h.env,
    allowPrivateHttp: true,
    retry: { attempts: 2, backoffMs: 20 },
    ...options,
  });
}

/** Stores the workflow and queues one run of it on `payload` (as its trigger would); its id. */
export async function queueRun(h: Harness, def: WorkflowDefinition, payload: unknown): Promise<number> {
  const w = await h.store.workflows.save(def.name, def);
  return h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: def.trigger.key,
    eventKey: `e${Math.random()}`,
    payload,
  });
}

/** Claims the queued run `id` and executes it to the end here; the run and its step rows. */
export async function executeRun(h: Harness, id: number, r: Runner = runner(h)) {
  const run = (await h.store.runs.find(id))!;
  if (!(await h.store.runs.claim(run, "test:1:x", 60_000))) throw new Error(`run ${id} could not be claimed`);
  await r.execute((await h.store.runs.find(id))!, "test:1:x");
  return { run: (await h.store.runs.find(id))!, steps: await h.store.runs.steps(id) };
}

/** A local HTTP receiver for http.request steps; `handler` may answer differently per call. */
export async function receiver(
  handler: (
    req: IncomingMessage,
    body: string,
    n: number,
  ) => { status?: number; body?: unknown; delayMs?: number } = () => ({}),
): Promise<{ url: string; calls: { method: string; path: string; body: unknown }[]; close(): Promise<void> }> {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      calls.push({ method: req.method ?? "", path: req.url ?? "", body });
      const answer = handler(req, text, calls.length);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer.body ?? { ok: true }));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits into the next wall-clock second. Cliniko stamps changes to the second and a workflow
 * switched on fires for changes in its activation's own second (so none after it is missed); a
 * test that switches a workflow on right after another test created a record must start a new
 * second first, or that record counts as new for it.
 */
export const nextSecond = () => sleep(1005 - (Date.now() % 1000));

let databases = 0;

/** A new, empty database on the PostgreSQL server at `serverUrl` (one per test: no state leaks). */
export async function freshPostgresDatabase(serverUrl: string): Promise<string> {
  const name = `flow_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The same tests on SQLite and on PostgreSQL (skipped loudly without it): `define` registers them;
 * each gets a fresh harness, handed to `use` before it runs.
 */
export function onEveryDatabase(title: string, use: (h: Harness) => void, define: () => void): void {
  let current: Harness | undefined;
  const fresh = (open: () => Promise<Harness>) => {
    beforeEach(async () => {
      current = await open();
      use(current);
    });
    afterEach(async () => {
      await current?.close();
    });
  };
  describe(`${title} (SQLite)`, () => {
    fresh(() => harness());
    define();
  });
  describe(`${title} (PostgreSQL)`, { skip: postgresSkip() }, () => {
    let server: PostgresServer | undefined;
    before(async () => {
      server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
    });
    fresh(async () => harness({ databaseUrl: await freshPostgresDatabase(server!.url) }));
    define();
  });
}
