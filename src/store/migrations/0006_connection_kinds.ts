import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * App connections (SMTP, Twilio, Slack, …) live beside Cliniko's: `kind` says which, `settings`
 * holds the kind's non-secret fields as JSON and `api_key_enc` the encrypted JSON of its secrets.
 */
export default function connectionKinds(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("connections")
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("cliniko"))
        .execute();
      await db.schema.alterTable("connections").addColumn("settings", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("connections").dropColumn("settings").execute();
      await db.schema.alterTable("connections").dropColumn("kind").execute();
    },
  };
}
