import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Workers take the oldest queued runs (of one workflow for `run --once`): with these indexes
 * that reads a few rows in id order instead of every queued run (a 10k-record backfill queues
 * 10k) and sorting them.
 */
export default function runsQueueOrder(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex("runs_status_id").on("runs").columns(["status", "id"]).execute();
      await db.schema
        .createIndex("runs_workflow_status_id")
        .on("runs")
        .columns(["workflow_id", "status", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("runs_workflow_status_id").ifExists().execute();
      await db.schema.dropIndex("runs_status_id").ifExists().execute();
    },
  };
}
