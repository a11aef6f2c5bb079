/**
 * Disk fill through a webhook URL (part of `npm run test:faults`; FAULTS_QUICK=1 posts fewer):
 * a running `serve` gets a flood of the largest bodies its limit accepts, eight at a time, at one
 * workflow's URL. The database may grow by about that workflow's storage cap and no more, posts
 * past it are refused with 503 and Retry-After (over-size bodies with 413), and a quiet workflow's
 * webhook keeps working throughout.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { listeningUrl, spawnCli } from "../support/cli-process.ts";

const PASSWORD = "disk cap suite password";
const quick = process.env.FAULTS_QUICK === "1";
const CAP_MB = quick ? 4 : 16;
const POSTS = quick ? 40 : 160;
const BODY_LIMIT = 256 * 1024;
const MiB = 1024 * 1024;

let dir: string;
let child: ChildProcess;
let base: string;
let cookie: string;
const stderr: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cf-diskcap-"));
  child = spawnCli(
    ["serve", "--port", "0"],
    {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
      CLINIKO_FLOW_DATA_DIR: dir,
      CLINIKO_FLOW_ADMIN_PASSWORD: PASSWORD,
      CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB: String(CAP_MB),
      CLINIKO_FLOW_WEBHOOK_RATE: "100000",
      LOG_LEVEL: "warn",
    },
    stderr,
  );
  base = await listeningUrl(child, 30_000);
  const login = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
});

after(async () => {
  child?.kill("SIGTERM");
  await new Promise((r) => child?.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
});

async function hook(name: string): Promise<string> {
  const headers = { cookie, "content-type": "application/json", "x-requested-with": "cliniko-flow" };
  const definition = {
    name,
    trigger: { key: "webhook" },
    steps: [{ id: "check", action: "filter", input: { condition: "{{ true }}" } }],
  };
  const created = await fetch(`${base}/api/workflows`, {
    method: "POST",
    headers,
    body: JSON.stringify({ definition, enabled: true }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const res = await fetch(`${base}/api/workflows/${id}/webhook`, { headers });
  return `${base}${((await res.json()) as { path: string }).path}`;
}

const dbBytes = () =>
  ["flow.db", "flow.db-wal"].reduce((n, f) => {
    try {
      return n + statSync(join(dir, f)).size;
    } catch {
      return n;
    }
  }, 0);

test(`a flood of ${POSTS} maximum-size posts grows the database by about the ${CAP_MB} MB cap, no more`, async () => {
  const flooded = await hook("Flooded form");
  const quiet = await hook("Quiet form");
  const before = dbBytes();
  const body = JSON.stringify({ blob: "z".repeat(BODY_LIMIT - 64) });
  const statuses = new Map<number, number>();
  let retryAfter: string | null = null;
  const quietAnswers: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < POSTS) {
        next++;
        const res = await fetch(flooded, { method: "POST", headers: { "content-type": "application/json" }, body });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 503) retryAfter = res.headers.get("retry-after");
        if (next % 10 === 0) {
          const q = await fetch(quiet, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
          quietAnswers.push(q.status);
        }
      }
    }),
  );
  const over = await fetch(flooded, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ blob: "z".repeat(BODY_LIMIT + 1) }),
  });
  assert.equal(over.status, 413, "a body past the limit");
  const grown = dbBytes() - before;
  const accepted = statuses.get(202) ?? 0;
  console.log(
    `posted ${POSTS} × ${BODY_LIMIT / 1024} KiB: ${accepted} accepted, ${statuses.get(503) ?? 0} refused (503); database grew ${(grown / MiB).toFixed(1)} MiB (cap ${CAP_MB} MB)`,
  );
  assert.ok(accepted > 0 && accepted * BODY_LIMIT < (CAP_MB + 3) * MiB, `accepted ${accepted}`);
  assert.ok((statuses.get(503) ?? 0) > 0, "posts past the cap are refused");
  assert.equal(retryAfter, "3600");
  assert.deepEqual(
    [...statuses.keys()].filter((s) => s !== 202 && s !== 503),
    [],
    `only 202 or 503: ${[...statuses]}`,
  );
  // The cap plus the in-flight posts that passed the check together, plus SQLite's own pages.
  assert.ok(grown < 2 * CAP_MB * MiB + 8 * MiB, `grew ${grown} bytes`);
  assert.ok(
    quietAnswers.every((s) => s === 202),
    `the quiet workflow's webhook kept working: ${quietAnswers}`,
  );
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
});
