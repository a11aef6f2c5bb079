import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Fencing and crash-loop guard for runs: every claim takes a new `lease_token` that each
 * durable write of the run must still match; `interruptions` counts claims that took a run
 * over from a worker that stopped (or lost its lease) while the run was in flight.
 */
export default function runLeaseFencing(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("runs")
        .addColumn("lease_token", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("runs")
        .addColumn("interruptions", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").dropColumn("interruptions").execute();
      await db.schema.alterTable("runs").dropColumn("lease_token").execute();
    },
  };
}
