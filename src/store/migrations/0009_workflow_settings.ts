import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Settings a practice manager sets in the web UI (`FLOW_FRONT_DESK_WEBHOOK_URL`), read by
 * templates as `env.FLOW_…`. `value` is the text, or the encrypted envelope when `secret` is 1.
 */
export default function workflowSettings(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("workflow_settings")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("secret", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("workflow_settings").execute();
    },
  };
}
