/**
 * The product as deployed, for the multi-process suites (fault, cluster) and the cluster
 * benchmark: the CLI (bin/cliniko-flow.js) started as child processes with the environment of
 * docs/deploy.md, pointed at a sandbox, with what they print kept for failure messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Sandbox } from "../../src/sandbox/index.ts";

export const BIN = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

export interface ProcessEnvOptions {
  databaseUrl: string;
  sandbox: Pick<Sandbox, "apiKey" | "baseUrl">;
  /** Distributed mode (workers and `serve --role api`); single-process without it. */
  redisUrl?: string;
  /** CLINIKO_FLOW_TEST_POLL_INTERVAL_MS (default 200). */
  pollIntervalMs?: number;
  leaseMs?: number;
  /** CLINIKO_FLOW_RATE_LIMIT (default 0: pacing off). */
  rateLimit?: number;
  /** CLINIKO_FLOW_TEST_RATE_LIMIT_WINDOW_MS: the limiter's window, shortened with the sandbox's. */
  rateLimitWindowMs?: number;
  /** CLINIKO_FLOW_TEST_RATE_LIMIT_MARGIN_MS: the limiter's margin over that window. */
  rateLimitMarginMs?: number;
  extra?: NodeJS.ProcessEnv;
}

/** The settings every process of one installation shares (docs/deploy.md), on test timings. */
export function processEnv(o: ProcessEnvOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: o.databaseUrl,
    CLINIKO_API_KEY: o.sandbox.apiKey,
    CLINIKO_EMAIL: "ops@clinic.test",
    CLINIKO_BASE_URL: o.sandbox.baseUrl,
    CLINIKO_FLOW_RATE_LIMIT: String(o.rateLimit ?? 0),
    CLINIKO_FLOW_SECRET: "multi-process-suite-secret-of-sufficient-length",
    CLINIKO_FLOW_TEST_POLL_INTERVAL_MS: String(o.pollIntervalMs ?? 200),
    CLINIKO_FLOW_CLINIKO_TIMEOUT_MS: "10000",
    // The sandbox listens on this machine in the test's process, not the product's: the
    // operator's exception lets the product's processes reach it (docs/security.md).
    CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
    LOG_LEVEL: "error",
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    ...(o.leaseMs ? { CLINIKO_FLOW_LEASE_MS: String(o.leaseMs) } : {}),
    ...(o.rateLimitWindowMs ? { CLINIKO_FLOW_TEST_RATE_LIMIT_WINDOW_MS: String(o.rateLimitWindowMs) } : {}),
    ...(o.rateLimitMarginMs ? { CLINIKO_FLOW_TEST_RATE_LIMIT_MARGIN_MS: String(o.rateLimitMarginMs) } : {}),
    ...o.extra,
  };
}

/** One CLI process, e.g. `["worker", "--concurrency", "4"]`; its stderr goes to `stderr` (capped). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, stderr: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.resume();
  child.stderr!.on("data", (d) => {
    if (stderr.join("").length < 20_000) stderr.push(String(d));
  });
  return child;
}

/** `serve`'s URL, from the line it prints once it listens. */
export function listeningUrl(child: ChildProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "running at" line in ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before listening: ${out}`));
    });
  });
}

/** A process's CPU time so far (user + system, ms), from /proc (Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime), in clock ticks of 10 ms on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A process's resident memory (MB), from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Processes started together (one installation's api and workers), stopped together. */
export class ProcessGroup {
  readonly stderr: string[] = [];
  readonly procs: ChildProcess[] = [];
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  start(args: string[]): ChildProcess {
    const child = spawnCli(args, this.#env, this.stderr);
    this.procs.push(child);
    return child;
  }

  /** `n` workers (`worker --concurrency 4`, as docs/deploy.md runs them). */
  workers(n: number, concurrency = 4): ChildProcess[] {
    return Array.from({ length: n }, () => this.start(["worker", "--concurrency", String(concurrency)]));
  }

  /** Stops every process still running with `signal` and waits until each has exited. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await Promise.all(
      this.procs.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill(signal);
        await exited;
      }),
    );
  }
}

/** Resolves once `ok()` holds; throws naming `what` (and the processes' stderr) after `timeoutMs`. */
export async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number, stderr: string[] = []) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}; stderr: ${stderr.join("").slice(0, 1500)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
