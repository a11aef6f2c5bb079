import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * How far each workflow has been shown its pair's listing. Polls of one (connection, resource)
 * serve different sets of workflows (`run FILE --once` serves only its file's workflow), so the
 * pair's cursor says what some poll read, not what each workflow saw: a poll reads on-time changes
 * down to the oldest read-through mark among the workflows it serves.
 */
export default function pollReaders(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("poll_readers")
        .addColumn("connection_key", "text", (c) => c.notNull())
        .addColumn("poll_key", "text", (c) => c.notNull())
        .addColumn("workflow_id", "integer", (c) => c.notNull().references("workflows.id").onDelete("cascade"))
        .addColumn("cursor", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("poll_readers_pk", ["connection_key", "poll_key", "workflow_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("poll_readers").ifExists().execute();
    },
  };
}
