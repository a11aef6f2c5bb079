/** What every benchmark starts from: a sandbox clinic, a SQLite store and the client provider. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientProvider } from "../src/engine/clients.ts";
import { validateWorkflow } from "../src/engine/workflow.ts";
import { startSandbox } from "../src/sandbox/index.ts";
import { openStore } from "../src/store/index.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const email = "bench@clinic.test";

export async function setup(options: { rateLimit: number; rateLimitWindowMs?: number; apiKeys?: string[] }) {
  const sandbox = await startSandbox({
    port: 0,
    seed: "empty",
    rateLimit: options.rateLimit,
    rateLimitWindowMs: options.rateLimitWindowMs,
    apiKeys: options.apiKeys,
  });
  const dir = mkdtempSync(join(tmpdir(), "cf-bench-"));
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
    CLINIKO_API_KEY: sandbox.apiKey,
    CLINIKO_EMAIL: email,
    CLINIKO_BASE_URL: sandbox.baseUrl,
    CLINIKO_FLOW_SECRET: "bench-secret-bench-secret",
    CLINIKO_FLOW_RATE_LIMIT: options.rateLimit === 0 ? "0" : "200",
  };
  const store = await openStore({ env });
  return {
    sandbox,
    store,
    env,
    clients: new ClientProvider(store, { env }),
    async close() {
      await store.close();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const wf = (name: string, trigger: Record<string, unknown>, steps?: unknown[]) =>
  validateWorkflow({ name, trigger, steps: steps ?? [{ id: "pass", action: "filter", input: { condition: true } }] });
