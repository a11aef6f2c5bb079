import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * The server's login, API tokens and webhook URLs. IF NOT EXISTS: before this migration the
 * server created these tables itself, so installs from then already have them.
 */
export default function serverAuthAndWebhooks(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("auth_settings")
        .ifNotExists()
        .addColumn("key", "varchar(100)", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("updated_at", "varchar(40)", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("auth_sessions")
        .ifNotExists()
        .addColumn("id_hash", "varchar(64)", (c) => c.primaryKey())
        .addColumn("created_at", "varchar(40)", (c) => c.notNull())
        .addColumn("expires_at", "varchar(40)", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("api_tokens")
        .ifNotExists()
        .addColumn("id", "varchar(40)", (c) => c.primaryKey())
        .addColumn("name", "varchar(200)", (c) => c.notNull())
        .addColumn("token_hash", "varchar(64)", (c) => c.notNull().unique())
        .addColumn("created_at", "varchar(40)", (c) => c.notNull())
        .addColumn("last_used_at", "varchar(40)")
        .execute();
      await db.schema
        .createTable("webhook_tokens")
        .ifNotExists()
        .addColumn("workflow_id", "integer", (c) => c.primaryKey())
        .addColumn("token", "varchar(64)", (c) => c.notNull().unique())
        .addColumn("created_at", "varchar(40)", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ["webhook_tokens", "api_tokens", "auth_sessions", "auth_settings"])
        await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
