import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Time-relative triggers and flag snapshots:
 * - `due_index`: per connection, the appointments (and class attendees) the due triggers are computed
 *   from, kept by the shared poll of the resource in the same transaction as its cursor;
 * - `due_fills`: which (connection, resource) index was filled by its one-off read, and from when;
 * - `trigger_snapshots`: the records already flagged when a flag trigger was switched on have been
 *   recorded as seen for that activation (so editing an old no-show does not fire).
 */
export default function dueIndex(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("due_index")
        .addColumn("connection_key", "text", (c) => c.notNull())
        .addColumn("resource", "text", (c) => c.notNull())
        .addColumn("record_id", "text", (c) => c.notNull())
        .addColumn("patient_id", "text")
        .addColumn("practitioner_id", "text")
        .addColumn("appointment_type_id", "text")
        .addColumn("business_id", "text")
        .addColumn("starts_at", "text", (c) => c.notNull())
        .addColumn("ends_at", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("timed_at", "text", (c) => c.notNull())
        .addColumn("record_updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("due_index_pk", ["connection_key", "resource", "record_id"])
        .execute();
      await db.schema
        .createIndex("due_index_starts")
        .on("due_index")
        .columns(["connection_key", "starts_at"])
        .execute();
      await db.schema.createIndex("due_index_ends").on("due_index").columns(["connection_key", "ends_at"]).execute();
      await db.schema
        .createIndex("due_index_patient")
        .on("due_index")
        .columns(["connection_key", "patient_id"])
        .execute();
      await db.schema
        .createTable("due_fills")
        .addColumn("connection_key", "text", (c) => c.notNull())
        .addColumn("resource", "text", (c) => c.notNull())
        .addColumn("filled_from", "text", (c) => c.notNull())
        .addColumn("filled_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("due_fills_pk", ["connection_key", "resource"])
        .execute();
      await db.schema
        .createTable("trigger_snapshots")
        .addColumn("workflow_id", "integer", (c) => c.primaryKey())
        .addColumn("activated_at", "text", (c) => c.notNull())
        .addColumn("records", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("trigger_snapshots").execute();
      await db.schema.dropTable("due_fills").execute();
      await db.schema.dropTable("due_index").execute();
    },
  };
}
