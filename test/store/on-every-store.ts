/**
 * The same store tests on SQLite and on PostgreSQL (skipped loudly without it): one store per
 * describe, in a temp dir, opened before its tests and closed after. `define` registers the tests
 * and reads the store (and the env it was opened with) from `ctx` once they run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { openStore, type Store } from "../../src/store/index.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";

export interface StoreContext {
  dialect: "sqlite" | "postgres";
  store: Store;
  env: NodeJS.ProcessEnv;
  /** The temp dir holding the SQLite file (`db/`) and the data dir (`data/`). */
  dir: string;
}

export function onEveryStore(title: string, define: (ctx: StoreContext) => void): void {
  for (const dialect of ["sqlite", "postgres"] as const) {
    describe(`${title} on ${dialect}`, { skip: dialect === "postgres" ? postgresSkip() : false }, () => {
      const ctx = { dialect } as StoreContext;
      let pg: PostgresServer | undefined;
      before(async () => {
        ctx.dir = mkdtempSync(join(tmpdir(), "cf-store-"));
        if (dialect === "postgres") pg = await startPostgres();
        ctx.env = {
          DATABASE_URL: pg ? pg.url : `sqlite:${join(ctx.dir, "db", "flow.db")}`,
          CLINIKO_FLOW_DATA_DIR: join(ctx.dir, "data"),
        };
        ctx.store = await openStore({ env: ctx.env });
      });
      after(async () => {
        await ctx.store?.close();
        await pg?.stop();
        rmSync(ctx.dir, { recursive: true, force: true });
      });
      define(ctx);
    });
  }
}
