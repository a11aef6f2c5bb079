/**
 * Opens the database named by DATABASE_URL: SQLite (better-sqlite3, WAL) by default, PostgreSQL for
 * `postgres://…`. Everything above this file is dialect-agnostic.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { tightenMode } from "../private-file.ts";
import { type MigrationContext, migrateToLatest } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";

export const DEFAULT_DATABASE_URL = "sqlite:./data/cliniko-flow.db";

export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
  readonly exitCode = 2;
}

export interface DatabaseTarget {
  dialect: Dialect;
  /** SQLite: file path (or `:memory:`); PostgreSQL: the connection string. */
  location: string;
  /** Where generated files (the encryption key) live. */
  dataDir: string;
}

/** Parses DATABASE_URL; throws one clear sentence (without the password) when it is not usable. */
export function parseDatabaseUrl(
  url: string = DEFAULT_DATABASE_URL,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTarget {
  const trimmed = url.trim();
  const dataDirOverride = env.CLINIKO_FLOW_DATA_DIR;
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    try {
      const u = new URL(trimmed);
      if (!u.hostname && !u.searchParams.get("host")) throw new Error("no host");
    } catch {
      throw new DatabaseUrlError(
        "DATABASE_URL is not a valid PostgreSQL URL: expected postgres://user:password@host:5432/database.",
      );
    }
    return { dialect: "postgres", location: trimmed, dataDir: resolve(dataDirOverride ?? "./data") };
  }
  if (/^sqlite:/i.test(trimmed)) {
    let path = trimmed.replace(/^sqlite:/i, "");
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/file.db → /abs/file.db
    if (!path) throw new DatabaseUrlError("DATABASE_URL names no SQLite file: use sqlite:./data/cliniko-flow.db.");
    if (path === ":memory:")
      return { dialect: "sqlite", location: path, dataDir: resolve(dataDirOverride ?? "./data") };
    const file = resolve(path);
    return { dialect: "sqlite", location: file, dataDir: resolve(dataDirOverride ?? dirname(file)) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  throw new DatabaseUrlError(
    scheme
      ? `DATABASE_URL uses the unsupported scheme "${scheme}:": use sqlite:./path/file.db or postgres://user:password@host/database.`
      : "DATABASE_URL must start with sqlite: or postgres:// (e.g. sqlite:./data/cliniko-flow.db).",
  );
}

export interface OpenDatabase {
  db: Kysely<Database>;
  target: DatabaseTarget;
  close(): Promise<void>;
}

/** Opens (and by default migrates) the database. */
export async function openDatabase(
  target: DatabaseTarget,
  options: { migrate?: boolean; context?: MigrationContext } = {},
): Promise<OpenDatabase> {
  let db: Kysely<Database>;
  if (target.dialect === "sqlite") {
    const onDisk = target.location !== ":memory:";
    // Run records hold patient data: a new data directory and database file are the owner's only
    // (SQLite gives its -wal/-shm files the database file's mode).
    if (onDisk) mkdirSync(dirname(target.location), { recursive: true, mode: 0o700 });
    let sqlite: SqliteDatabase.Database;
    try {
      sqlite = new SqliteDatabase(target.location);
      if (onDisk) tightenMode(target.location);
    } catch (err) {
      throw new Error(`Cannot open the SQLite database at ${target.location}: ${(err as Error).message}.`);
    }
    // WAL lets the CLI read while `serve` writes; busy_timeout makes concurrent writers wait, not fail.
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 10000");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  } else {
    const pool = new pg.Pool({ connectionString: target.location, max: 10 });
    // A client losing its server must not crash the process, idle (the pool's event) or checked
    // out between two queries of a transaction (the client's own): the next query reports it.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await pool.query("select 1");
    } catch (err) {
      await db.destroy();
      const where = safeHost(target.location);
      throw new Error(`Cannot connect to PostgreSQL at ${where}: ${(err as Error).message}.`);
    }
  }
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>, target.dialect, options.context);
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }
  return { db, target, close: () => db.destroy() };
}

/**
 * Kysely prepares every query afresh; with better-sqlite3 the prepare is a good part of a short
 * query's cost (the runner issues the same few statements for every step). Statements are reused
 * by SQL text; a statement still being iterated is busy, so a fresh one is prepared instead. The
 * cache is small and simply starts over when full (`in (?, ?, …)` lists make varying texts).
 */
function cachingStatements(sqlite: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql: string) {
      const hit = cache.get(sql);
      if (hit && !hit.busy) return hit;
      const stmt = sqlite.prepare(sql);
      if (!hit) {
        if (cache.size >= 256) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

/** Host and database of a PostgreSQL URL, without credentials, for messages. */
export function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || u.searchParams.get("host") || "localhost"}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "the configured server";
  }
}
