import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * A workflow's draft: the definition as last typed when switching it on was refused, and when it
 * was kept. One per workflow, so two columns beside the current version rather than a table; it
 * is never run, never a version, and goes with its workflow when that is deleted.
 */
export default function workflowDrafts(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("workflows").addColumn("draft_definition", "text").execute();
      await db.schema.alterTable("workflows").addColumn("draft_saved_at", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("workflows").dropColumn("draft_saved_at").execute();
      await db.schema.alterTable("workflows").dropColumn("draft_definition").execute();
    },
  };
}
