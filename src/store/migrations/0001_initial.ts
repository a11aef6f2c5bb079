import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

export default function initial({ dialect, idColumn }: MigrationEnv): Migration {
  return {
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
  };
}
