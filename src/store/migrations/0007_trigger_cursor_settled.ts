import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * The poller re-reads the overlap window once, when it can no longer change, instead of on every
 * poll: `settled` is where its next read starts, `seen_floor` the oldest event stamp it still
 * detects. Null in both means cursor minus the overlap, what earlier versions used for both.
 */
export default function triggerCursorSettled(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("trigger_cursors").addColumn("settled", "text").execute();
      await db.schema.alterTable("trigger_cursors").addColumn("seen_floor", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("trigger_cursors").dropColumn("seen_floor").execute();
      await db.schema.alterTable("trigger_cursors").dropColumn("settled").execute();
    },
  };
}
