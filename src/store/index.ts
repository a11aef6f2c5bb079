/**
 * The store: one object with a repository per concern, on SQLite or PostgreSQL.
 * `openStore()` reads DATABASE_URL; tests pass a URL of their own.
 */
import type { Kysely } from "kysely";
import { AuditLog } from "./audit.ts";
import { ConnectionStore } from "./connections.ts";
import { DEFAULT_DATABASE_URL, type OpenDatabase, openDatabase, parseDatabaseUrl } from "./database.ts";
import { DueStore } from "./due.ts";
import { GroupCommit } from "./group-commit.ts";
import { PollingStore } from "./polling.ts";
import { RunStore } from "./runs.ts";
import type { Database } from "./schema.ts";
import { cipherFor, type KdfParams, keyedDigest, loadKeyMaterial } from "./secrets.ts";
import { SettingStore } from "./settings.ts";
import { WorkflowStore } from "./workflows.ts";

export interface Store {
  readonly database: OpenDatabase;
  readonly connections: ConnectionStore;
  readonly workflows: WorkflowStore;
  readonly polling: PollingStore;
  /** The due index and flag snapshots (time-relative and flag triggers). */
  readonly due: DueStore;
  readonly runs: RunStore;
  readonly audit: AuditLog;
  /** A keyed digest of a value kept only to be recognised again (webhook idempotency keys). */
  readonly digest: (value: string) => string;
  /** Settings templates read as `env.FLOW_…`, set in the web UI. */
  readonly settings: SettingStore;
  close(): Promise<void>;
}

export interface StoreOptions {
  url?: string;
  env?: NodeJS.ProcessEnv;
  migrate?: boolean;
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const env = options.env ?? process.env;
  const target = parseDatabaseUrl(options.url ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL, env);
  const key = loadKeyMaterial(target.dataDir, env);
  const database = await openDatabase(target, { migrate: options.migrate, context: { key } });
  const { db } = database;
  const cipher = cipherFor(key, await storedKdf(db));
  const audit = new AuditLog(db);
  return {
    database,
    audit,
    connections: new ConnectionStore(db, cipher, audit),
    workflows: new WorkflowStore(db, audit),
    polling: new PollingStore(db),
    due: new DueStore(db),
    runs: new RunStore(db, { groupCommit: new GroupCommit(db) }),
    digest: keyedDigest(key),
    settings: new SettingStore(db, cipher, audit),
    close: () => database.close(),
  };
}

/** The stored scrypt parameters; null on a database not migrated that far (then keys stay `v1:`). */
async function storedKdf(db: Kysely<Database>): Promise<KdfParams | null> {
  try {
    const row = await db.selectFrom("secret_kdf").select("params").where("id", "=", 1).executeTakeFirst();
    return row ? (JSON.parse(row.params) as KdfParams) : null;
  } catch {
    return null; // no such table yet
  }
}

export type { ConnectionConfig, ConnectionSummary } from "./connections.ts";
export { DatabaseUrlError, DEFAULT_DATABASE_URL, parseDatabaseUrl } from "./database.ts";
export { attendeeItem, type DueAttendeeRow, type DueItem, type DueRow } from "./due.ts";
export { type CursorState, type DetectedEvent, type PollCommit, type PollWindow, pollWindow } from "./polling.ts";
export type { RunRecord, RunStatus, StepRecord, StepStatus } from "./runs.ts";
export { isRunEnded, isRunFailure, RUN_STATUSES, runHealthCounts, runSummary } from "./runs.ts";
export { SETTING_NAME, SettingNameError, type SettingSummary } from "./settings.ts";
export type { StoredWorkflow } from "./workflows.ts";
