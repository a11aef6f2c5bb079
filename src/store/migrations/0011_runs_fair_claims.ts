import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Workers take runs round-robin across workflows: they first list the workflows that have queued
 * runs. With this index that list is one index probe per workflow (a skip scan), however many runs
 * a flooding workflow has queued.
 */
export default function runsFairClaims(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex("runs_status_workflow_id")
        .on("runs")
        .columns(["status", "workflow_id", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("runs_status_workflow_id").ifExists().execute();
    },
  };
}
