import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Workers take runs round-robin across workflows: they first list the workflows that have queued
 * runs. With this index that list is one index probe per workflow (a skip scan), however many runs
 * a flooding workflow has queued. The same index serves what `runs_status` (status, not_before)
 * served (the sweep's and the parked runs' reads), so that one is dropped: every change of a run's
 * status updated both, and each index a status change touches is another page in each commit.
 */
export default function runsFairClaims(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex("runs_status_workflow_id")
        .on("runs")
        .columns(["status", "workflow_id", "id"])
        .execute();
      await db.schema.dropIndex("runs_status").ifExists().execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.createIndex("runs_status").on("runs").columns(["status", "not_before"]).execute();
      await db.schema.dropIndex("runs_status_workflow_id").ifExists().execute();
    },
  };
}
