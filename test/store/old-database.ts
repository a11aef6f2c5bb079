/**
 * A database as an earlier version left it, for migration tests: opened without migrating,
 * migrated up to `upTo` only, and holding one live webhook workflow (version 1) to hang old rows on.
 */
import assert from "node:assert/strict";
import { openDatabase, parseDatabaseUrl } from "../../src/store/database.ts";
import { migrator } from "../../src/store/migrations/index.ts";

export async function oldDatabase(
  env: { DATABASE_URL: string; CLINIKO_FLOW_SECRET: string },
  dialect: "sqlite" | "postgres",
  upTo: string,
  workflowName: string,
) {
  const old = await openDatabase(parseDatabaseUrl(env.DATABASE_URL, env), { migrate: false });
  assert.equal((await migrator(old.db as never, dialect).migrateTo(upTo)).error, undefined);
  const now = new Date().toISOString();
  const workflow = await old.db
    .insertInto("workflows")
    .values({
      name: workflowName,
      version: 1,
      definition: JSON.stringify({ name: workflowName, trigger: { key: "webhook" }, steps: [] }),
      enabled: 1,
      metadata_only: 0,
      activated_at: now,
      backfill_from: null,
      paused_reason: null,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { old, now, workflowId: workflow.id };
}
