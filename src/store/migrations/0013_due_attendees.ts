import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Group classes in the time-relative triggers: `due_attendees` keeps, per connection, each class
 * attendee's patient, state and class (its booking). The class's times, practitioner, type and
 * business stay on the class's own row in `due_index` (resource group_appointments), so a class
 * that moves is one row to change, and an attendee polled before its class waits for it.
 */
export default function dueAttendees(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("due_attendees")
        .addColumn("connection_key", "text", (c) => c.notNull())
        .addColumn("record_id", "text", (c) => c.notNull())
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("patient_id", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("booked_at", "text", (c) => c.notNull())
        .addColumn("record_updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("due_attendees_pk", ["connection_key", "record_id"])
        .execute();
      await db.schema
        .createIndex("due_attendees_group")
        .on("due_attendees")
        .columns(["connection_key", "group_id"])
        .execute();
      await db.schema
        .createIndex("due_attendees_patient")
        .on("due_attendees")
        .columns(["connection_key", "patient_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("due_attendees").ifExists().execute();
    },
  };
}
