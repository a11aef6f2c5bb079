/**
 * SIGTERM always ends the process: a `worker` whose Redis and PostgreSQL are gone stops within
 * the drain deadline (CLINIKO_FLOW_DRAIN_TIMEOUT_S), exits non-zero and names what it was still
 * waiting for, instead of running on; a healthy `serve` still stops cleanly, exit 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { postgresSkip, startPostgres } from "../support/postgres.ts";
import { redisSkip, startRedis } from "../support/redis.ts";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

function launch(args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env } });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start: ${out}`)), 60_000);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
  });
  return { child, started, output: () => out };
}

function exitOf(child: ChildProcess, withinMs: number): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: null, ms: Date.now() - t0 });
    }, withinMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - t0 });
    });
  });
}

test("a worker whose Redis and PostgreSQL are gone exits on SIGTERM at the drain deadline, naming what it waited for", {
  skip: postgresSkip() || redisSkip(),
  timeout: 120_000,
}, async () => {
  const pg = await startPostgres();
  const redis = await startRedis();
  let stopped = false;
  try {
    const w = launch(
      ["worker"],
      {
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
        CLINIKO_FLOW_SECRET: "drain-test-secret-value",
        CLINIKO_FLOW_DRAIN_TIMEOUT_S: "3",
        LOG_LEVEL: "warn",
      },
      /worker running/,
    );
    await w.started;
    await redis.stop();
    await pg.stop();
    stopped = true;
    w.child.kill("SIGTERM");
    const { code, ms } = await exitOf(w.child, 30_000);
    assert.notEqual(code, null, `still running 30 s after SIGTERM:\n${w.output()}`);
    assert.equal(code, 1, w.output());
    assert.ok(ms < 15_000, `exited after ${ms} ms`);
    assert.match(w.output(), /did not stop within 3 s \(CLINIKO_FLOW_DRAIN_TIMEOUT_S\).*still waiting for \w/);
  } finally {
    if (!stopped) {
      await redis.stop().catch(() => {});
      await pg.stop().catch(() => {});
    }
  }
});

test("a healthy serve stops on SIGTERM well within the deadline, exit 0", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "cf-drain-"));
  try {
    const s = launch(
      ["serve", "--port", "0"],
      { DATABASE_URL: `sqlite:${join(dir, "flow.db")}`, CLINIKO_FLOW_DATA_DIR: dir, LOG_LEVEL: "warn" },
      /http:\/\/127\.0\.0\.1:\d+/,
    );
    await s.started;
    s.child.kill("SIGTERM");
    const { code } = await exitOf(s.child, 30_000);
    assert.equal(code, 0, s.output());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
