/**
 * Statements of the hot path (a webhook run: queued, claimed, its steps and its end recorded),
 * written once as SQL text for the process instead of built by Kysely's query builder on every
 * call: building, freezing and compiling the query tree cost about as much CPU as SQLite took to
 * execute these short statements. They still run through Kysely's executor (its connection, its
 * transactions, the driver's cache of prepared statements, keyed by this same text).
 *
 * The text uses `?` placeholders; PostgreSQL's `$1, $2, …` are derived from it once.
 */
import { CompiledQuery, type Kysely, PostgresAdapter, type QueryExecutor, type QueryResult } from "kysely";

export class Statement<R = unknown> {
  readonly #sqlite: string;
  readonly #postgres: string;
  constructor(text: string) {
    this.#sqlite = text.replace(/\s+/g, " ").trim();
    let n = 0;
    this.#postgres = this.#sqlite.replace(/\?/g, () => `$${++n}`);
  }

  run<DB>(db: Kysely<DB>, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const text = isPostgres(db.getExecutor()) ? this.#postgres : this.#sqlite;
    return db.executeQuery<R>(CompiledQuery.raw(text, params as unknown[]) as CompiledQuery<R>);
  }
}

const dialects = new WeakMap<object, boolean>();

/** Whether a database's (or a transaction's) executor talks to PostgreSQL; remembered per executor. */
function isPostgres(executor: QueryExecutor): boolean {
  let pg = dialects.get(executor);
  if (pg === undefined) {
    pg = executor.adapter instanceof PostgresAdapter;
    dialects.set(executor, pg);
  }
  return pg;
}

/** Rows a write changed, on either dialect. */
export const changed = (r: QueryResult<unknown>): number => Number(r.numAffectedRows ?? 0n);
