/**
 * Group commit: writes that arrive while a commit is under way (or in the same turn of the event
 * loop) are committed together, in one transaction, instead of one commit each. A commit is most
 * of a short write's cost (SQLite appends and indexes the WAL, PostgreSQL flushes it), and a busy
 * engine has many small writes in flight at once: webhook posts queueing runs, workers claiming
 * them, runs recording their steps.
 *
 * Nothing about durability changes: each caller's promise settles only after the transaction
 * holding its writes has committed, so a caller that waits for its write before acting (a
 * write-once step's row before its request is sent) still acts only on a durable record. Each
 * write runs inside its own savepoint, so one that fails (a lost lease, a constraint) is rolled
 * back alone and rejects alone; the others commit.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";
import { Statement } from "./statements.ts";

const SAVEPOINT = new Statement("savepoint group_write");
const RELEASE = new Statement("release savepoint group_write");
const ROLLBACK = new Statement("rollback to savepoint group_write");

interface Job {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Most writes one transaction takes (a bound on how long it holds SQLite's write lock). */
const MAX_BATCH = 64;

export class GroupCommit {
  readonly #db: Kysely<Database>;
  #waiting: Job[] = [];
  #busy = false;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Runs `fn`'s writes in a transaction shared with other waiting writes; settles once committed. */
  run<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#busy) {
        this.#busy = true;
        // The rest of this turn's writes (other requests parsed in the same tick) join this commit.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const jobs = this.#waiting.splice(0, MAX_BATCH);
      await this.#commit(jobs);
    }
    this.#busy = false;
  }

  async #commit(jobs: Job[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (jobs.length === 1) {
          // Alone: the transaction itself is the savepoint (its failure rolls everything back).
          outcomes.push({ ok: true, value: await jobs[0]!.fn(trx) });
          return;
        }
        for (const job of jobs) {
          await SAVEPOINT.run(trx);
          try {
            outcomes.push({ ok: true, value: await job.fn(trx) });
            await RELEASE.run(trx);
          } catch (err) {
            await ROLLBACK.run(trx);
            await RELEASE.run(trx);
            outcomes.push({ ok: false, value: err });
          }
        }
      });
    } catch (err) {
      // Nothing of this batch is durable. A lone write's error is its own; a shared commit that
      // failed (PostgreSQL ended it as a deadlock victim, the connection broke) must not fail
      // writes that would have committed on their own, so each is tried again alone.
      if (jobs.length === 1) jobs[0]!.reject(err);
      else for (const job of jobs) await this.#commit([job]);
      return;
    }
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.value);
    });
  }
}
