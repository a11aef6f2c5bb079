/**
 * Schema migrations as code (Kysely's Migrator), applied in name order. Append new migrations;
 * never edit one that has shipped.
 */
import type { Kysely } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import type { Dialect } from "./database.ts";
import type { Database } from "./schema.ts";
import { type KeyMaterial, legacyReencryptor, newKdf } from "./secrets.ts";

/** What migrations may need beyond the database: the key material, to re-encrypt stored keys. */
export interface MigrationContext {
  key?: KeyMaterial;
}

function migrations(dialect: Dialect, context: MigrationContext): Record<string, Migration> {
  // Auto-increment ids differ by dialect; `serial` keeps them plain numbers on PostgreSQL.
  const idColumn = dialect === "postgres" ? "serial" : "integer";
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("connections")
          .addColumn("id", idColumn, (c) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn("name", "text", (c) => c.notNull().unique())
          .addColumn("email", "text", (c) => c.notNull())
          .addColumn("region", "text")
          .addColumn("base_url", "text")
          .addColumn("api_key_enc", "text", (c) => c.notNull())
          .addColumn("key_hint", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("workflows")
          .addColumn("id", idColumn, (c) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn("name", "text", (c) => c.notNull().unique())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("definition", "text", (c) => c.notNull())
          .addColumn("enabled", "integer", (c) => c.notNull())
          .addColumn("metadata_only", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("activated_at", "text")
          .addColumn("backfill_from", "text")
          .addColumn("paused_reason", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("workflow_versions")
          .addColumn("workflow_id", "integer", (c) => c.notNull().references("workflows.id").onDelete("cascade"))
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("definition", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("workflow_versions_pk", ["workflow_id", "version"])
          .execute();
        await db.schema
          .createTable("trigger_cursors")
          .addColumn("connection_key", "text", (c) => c.notNull())
          .addColumn("poll_key", "text", (c) => c.notNull())
          .addColumn("cursor", "text", (c) => c.notNull())
          .addColumn("last_poll_at", "text")
          .addColumn("last_error", "text")
          .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("trigger_cursors_pk", ["connection_key", "poll_key"])
          .execute();
        await db.schema
          .createTable("seen_events")
          .addColumn("workflow_id", "integer", (c) => c.notNull().references("workflows.id").onDelete("cascade"))
          .addColumn("event_key", "text", (c) => c.notNull())
          .addColumn("event_time", "text", (c) => c.notNull())
          .addColumn("connection_key", "text", (c) => c.notNull())
          .addColumn("poll_key", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("seen_events_pk", ["workflow_id", "event_key"])
          .execute();
        await db.schema
          .createIndex("seen_events_prune")
          .on("seen_events")
          .columns(["connection_key", "poll_key", "event_time"])
          .execute();
        await db.schema
          .createTable("runs")
          .addColumn("id", idColumn, (c) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn("workflow_id", "integer", (c) => c.notNull().references("workflows.id").onDelete("cascade"))
          .addColumn("workflow_version", "integer", (c) => c.notNull())
          .addColumn("trigger_key", "text", (c) => c.notNull())
          .addColumn("event_key", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("trigger_payload", "text")
          .addColumn("error", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("started_at", "text")
          .addColumn("finished_at", "text")
          .addColumn("not_before", "text")
          .addColumn("lease_owner", "text")
          .addColumn("lease_until", "text")
          .addColumn("replay_of", "integer")
          .execute();
        await db.schema.createIndex("runs_status").on("runs").columns(["status", "not_before"]).execute();
        await db.schema.createIndex("runs_workflow").on("runs").columns(["workflow_id", "id"]).execute();
        await db.schema.createIndex("runs_finished").on("runs").columns(["finished_at"]).execute();
        await db.schema
          .createTable("step_results")
          .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
          .addColumn("step_id", "text", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("input", "text")
          .addColumn("output", "text")
          .addColumn("error", "text")
          .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("finished_at", "text")
          .addPrimaryKeyConstraint("step_results_pk", ["run_id", "step_id"])
          .execute();
        await db.schema
          .createTable("audit_log")
          .addColumn("id", idColumn, (c) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn("at", "text", (c) => c.notNull())
          .addColumn("actor", "text", (c) => c.notNull())
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("subject", "text", (c) => c.notNull())
          .addColumn("detail", "text")
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of [
          "audit_log",
          "step_results",
          "runs",
          "seen_events",
          "trigger_cursors",
          "workflow_versions",
          "workflows",
          "connections",
        ])
          await db.schema.dropTable(t).ifExists().execute();
      },
    },
    // Workers take the oldest queued runs (of one workflow for `run --once`): with these indexes
    // that reads a few rows in id order instead of every queued run (a 10k-record backfill queues
    // 10k) and sorting them.
    "0002_runs_queue_order": {
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
    },
    // The server's login, API tokens and webhook URLs. IF NOT EXISTS: before this migration the
    // server created these tables itself, so installs from then already have them.
    "0003_server_auth_and_webhooks": {
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
    },
    "0004_secret_kdf": {
      // CLINIKO_FLOW_SECRET was turned into the key by one SHA-256; now scrypt, with a random salt
      // and its cost stored here. Existing `v1:` envelopes are re-encrypted as `v2:` in the same
      // transaction; one stored under another secret stays `v1:` (it could not be read before either).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("secret_kdf")
          .addColumn("id", "integer", (c) => c.primaryKey())
          .addColumn("params", "text", (c) => c.notNull())
          .addColumn("created_at", "varchar(40)", (c) => c.notNull())
          .execute();
        const kdf = newKdf();
        const d = db as Kysely<Database>;
        await d
          .insertInto("secret_kdf")
          .values({ id: 1, params: JSON.stringify(kdf), created_at: new Date().toISOString() })
          .execute();
        if (!context.key) return;
        const reencrypt = legacyReencryptor(context.key, kdf);
        for (const row of await d.selectFrom("connections").select(["id", "api_key_enc"]).execute()) {
          const v2 = reencrypt(row.api_key_enc);
          if (v2) await d.updateTable("connections").set({ api_key_enc: v2 }).where("id", "=", row.id).execute();
        }
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("secret_kdf").execute();
      },
    },
    // Fencing and crash-loop guard for runs: every claim takes a new `lease_token` that each
    // durable write of the run must still match; `interruptions` counts claims that took a run
    // over from a worker that stopped (or lost its lease) while the run was in flight.
    "0005_run_lease_fencing": {
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
    },
    // App connections (SMTP, Twilio, Slack, …) live beside Cliniko's: `kind` says which, `settings`
    // holds the kind's non-secret fields as JSON and `api_key_enc` the encrypted JSON of its secrets.
    "0006_connection_kinds": {
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
    },
    // The poller re-reads the overlap window once, when it can no longer change, instead of on every
    // poll: `settled` is where its next read starts, `seen_floor` the oldest event stamp it still
    // detects. Null in both means cursor minus the overlap, what earlier versions used for both.
    "0007_trigger_cursor_settled": {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("trigger_cursors").addColumn("settled", "text").execute();
        await db.schema.alterTable("trigger_cursors").addColumn("seen_floor", "text").execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable("trigger_cursors").dropColumn("seen_floor").execute();
        await db.schema.alterTable("trigger_cursors").dropColumn("settled").execute();
      },
    },
  };
}

export function migrator(db: Kysely<unknown>, dialect: Dialect, context: MigrationContext = {}): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect, context) };
  return new Migrator({ db, provider });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: Dialect,
  context: MigrationContext = {},
): Promise<string[]> {
  const { error, results } = await migrator(db, dialect, context).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`Database migration ${failed ?? ""} failed: ${(error as Error).message ?? error}`);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
