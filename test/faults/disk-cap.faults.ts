/**
 * Disk fill through a webhook URL (part of `npm run test:faults`; FAULTS_QUICK=1 posts fewer), as
 * issue 23 measured it: 100 posts of 1 MiB, eight at a time, at one workflow's URL of a running
 * `serve`.
 *
 * - On the default body limit (256 KiB) every one is refused with 413 and the database does not
 *   grow.
 * - With the body limit raised past 1 MiB, the workflow's stored-bytes cap holds: the database
 *   grows by about the cap and no more, posts past it are refused with 503 and Retry-After.
 *
 * In both, a quiet workflow's webhook keeps working throughout.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { listeningUrl, spawnCli } from "../support/cli-process.ts";

const PASSWORD = "disk cap suite password";
const quick = process.env.FAULTS_QUICK === "1";
const CAP_MB = quick ? 4 : 16;
const POSTS = quick ? 30 : 100;
const MiB = 1024 * 1024;
const BODY = JSON.stringify({ blob: "z".repeat(MiB - 64) }); // a 1 MiB post, as in the issue
const IN_FLIGHT = 8;

interface Serve {
  base: string;
  cookie: string;
  dir: string;
  child: ChildProcess;
}
const started: Serve[] = [];
const stderr: string[] = [];

/** A `serve` on its own SQLite file, signed in; `env` adds to the defaults (the caps under test). */
async function serve(env: NodeJS.ProcessEnv): Promise<Serve> {
  const dir = mkdtempSync(join(tmpdir(), "cf-diskcap-"));
  const child = spawnCli(
    ["serve", "--port", "0"],
    {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
      CLINIKO_FLOW_DATA_DIR: dir,
      CLINIKO_FLOW_ADMIN_PASSWORD: PASSWORD,
      CLINIKO_FLOW_WEBHOOK_RATE: "100000",
      LOG_LEVEL: "warn",
      ...env,
    },
    stderr,
  );
  const s = { base: "", cookie: "", dir, child };
  started.push(s);
  s.base = await listeningUrl(child, 30_000);
  const login = await fetch(`${s.base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  s.cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  return s;
}

after(async () => {
  for (const s of started) {
    s.child.kill("SIGTERM");
    if (s.child.exitCode === null) await new Promise((r) => s.child.once("exit", r));
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function hook(s: Serve, name: string): Promise<string> {
  const headers = { cookie: s.cookie, "content-type": "application/json", "x-requested-with": "cliniko-flow" };
  const definition = {
    name,
    trigger: { key: "webhook" },
    steps: [{ id: "check", action: "filter", input: { condition: "{{ true }}" } }],
  };
  const created = await fetch(`${s.base}/api/workflows`, {
    method: "POST",
    headers,
    body: JSON.stringify({ definition, enabled: true }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const res = await fetch(`${s.base}/api/workflows/${id}/webhook`, { headers });
  return `${s.base}${((await res.json()) as { path: string }).path}`;
}

/** The database's files on disk (the write-ahead log included): what a flood would fill. */
const fileBytes = (s: Serve) =>
  ["flow.db", "flow.db-wal"].reduce((n, f) => {
    try {
      return n + statSync(join(s.dir, f)).size;
    } catch {
      return n;
    }
  }, 0);

/**
 * The pages the database uses (read through the write-ahead log): what it holds. The files alone
 * cannot say "nothing was stored": the log grows by every write's pages, up to about 4 MiB
 * between checkpoints, whatever those writes keep.
 */
function usedBytes(s: Serve): number {
  const db = new Database(join(s.dir, "flow.db"), { readonly: true });
  try {
    const [pages, free, size] = ["page_count", "freelist_count", "page_size"].map(
      (p) => db.pragma(p, { simple: true }) as number,
    );
    return (pages! - free!) * size!;
  } finally {
    db.close();
  }
}

interface Flood {
  statuses: Map<number, number>;
  retryAfter: string | null;
  quietAnswers: number[];
  /** Growth of the files on disk, and of the pages in use. */
  grown: number;
  used: number;
}

/** POSTS posts of 1 MiB at one workflow's URL, IN_FLIGHT at a time; every tenth, one small post at a quiet one's. */
async function flood(s: Serve): Promise<Flood> {
  const flooded = await hook(s, "Flooded form");
  const quiet = await hook(s, "Quiet form");
  const before = { files: fileBytes(s), used: usedBytes(s) };
  const out: Flood = { statuses: new Map(), retryAfter: null, quietAnswers: [], grown: 0, used: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < POSTS) {
        next++;
        const res = await fetch(flooded, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: BODY,
        });
        await res.arrayBuffer();
        out.statuses.set(res.status, (out.statuses.get(res.status) ?? 0) + 1);
        if (res.status === 503) out.retryAfter = res.headers.get("retry-after");
        if (next % 10 === 0) {
          const q = await fetch(quiet, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
          out.quietAnswers.push(q.status);
        }
      }
    }),
  );
  out.grown = fileBytes(s) - before.files;
  out.used = usedBytes(s) - before.used;
  return out;
}

const summary = (f: Flood) =>
  `${[...f.statuses].map(([status, n]) => `${n} × ${status}`).join(", ")}; database files grew ${(f.grown / MiB).toFixed(1)} MiB, pages in use ${(f.used / MiB).toFixed(1)} MiB`;

test(`${POSTS} posts of 1 MiB on the default body limit are all refused with 413, and nothing is stored`, async () => {
  const s = await serve({});
  const f = await flood(s);
  console.log(`default limit (256 KiB): ${POSTS} × 1 MiB posted: ${summary(f)}`);
  assert.deepEqual([...f.statuses], [[413, POSTS]]);
  // Ten small runs of the quiet workflow, nothing of the flood.
  assert.ok(f.used < 256 * 1024, `the database holds ${f.used} bytes more`);
  assert.ok(f.grown < 5 * MiB, `the files grew ${f.grown} bytes`);
  assert.ok(
    f.quietAnswers.every((a) => a === 202),
    `the quiet workflow's webhook kept working: ${f.quietAnswers}`,
  );
});

test(`with the body limit raised, ${POSTS} posts of 1 MiB grow the database by about the ${CAP_MB} MB cap, no more`, async () => {
  const s = await serve({
    CLINIKO_FLOW_WEBHOOK_BODY_LIMIT: String(2 * MiB),
    CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB: String(CAP_MB),
  });
  const f = await flood(s);
  const accepted = f.statuses.get(202) ?? 0;
  const refused = f.statuses.get(503) ?? 0;
  console.log(`body limit 2 MiB, cap ${CAP_MB} MB: ${POSTS} × 1 MiB posted: ${summary(f)}`);
  assert.deepEqual(
    [...f.statuses.keys()].filter((status) => status !== 202 && status !== 503),
    [],
    `only 202 or 503: ${summary(f)}`,
  );
  // The cap, plus the posts in flight that passed the check together.
  assert.ok(accepted >= CAP_MB - 1 && accepted <= CAP_MB + IN_FLIGHT, `accepted ${accepted}`);
  assert.equal(refused, POSTS - accepted, "posts past the cap are refused");
  assert.equal(f.retryAfter, "3600");
  // Near the cap: at least most of it was stored, and no more than the cap, the posts in flight
  // and SQLite's own pages, the write-ahead log among them: it keeps its largest size (about
  // 4 MiB between checkpoints) after its pages are copied into the database file. The issue
  // measured 112 MiB for 100 posts without a cap.
  assert.ok(f.grown > (CAP_MB / 2) * MiB, `grew ${f.grown} bytes`);
  assert.ok(f.used < (CAP_MB + IN_FLIGHT + 1) * MiB, `the database holds ${f.used} bytes more`);
  assert.ok(f.grown < (CAP_MB + IN_FLIGHT + 6) * MiB, `grew ${f.grown} bytes`);
  assert.ok(
    f.quietAnswers.every((a) => a === 202),
    `the quiet workflow's webhook kept working: ${f.quietAnswers}`,
  );
  assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
});
