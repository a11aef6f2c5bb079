import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { keyedDigest } from "../secrets.ts";
import type { MigrationEnv } from "./env.ts";

/** The prefix of a webhook run's event key when the sender gave an idempotency key. */
const WEBHOOK_KEYED = "webhook#";

/**
 * Patient data kept only as promised, and limits on what one workflow may store:
 * - `runs.data_removed`: why a finished run's payloads are gone (`metadata-only`, `purged`), so
 *   the run view can say so; `runs.payload_bytes`: the trigger payload's size, summed per
 *   workflow for the webhook storage cap and `/metrics` (the index keeps that sum off the payloads);
 * - `api_tokens.expires_at` and `scope` (`read`, `write`, `mcp-read`; existing tokens keep `write`);
 * - webhook idempotency keys, in `seen_events` and in the runs' event keys, become keyed digests
 *   of the value instead of the value (often an email address).
 */
export default function privacyAndLimits(env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").addColumn("data_removed", "varchar(20)").execute();
      await db.schema
        .alterTable("runs")
        .addColumn("payload_bytes", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      const bytes =
        env.dialect === "postgres" ? sql`octet_length(trigger_payload)` : sql`length(CAST(trigger_payload AS BLOB))`;
      await sql`UPDATE runs SET payload_bytes = COALESCE(${bytes}, 0)`.execute(db);
      await db.schema.createIndex("runs_workflow_bytes").on("runs").columns(["workflow_id", "payload_bytes"]).execute();
      await db.schema.alterTable("api_tokens").addColumn("expires_at", "varchar(40)").execute();
      await db.schema
        .alterTable("api_tokens")
        .addColumn("scope", "varchar(20)", (c) => c.notNull().defaultTo("write"))
        .execute();
      const key = env.context.key;
      if (!key) return; // only a bare test database migrates without the key, and it has no webhook runs
      const digest = keyedDigest(key);
      const hashed = (eventKey: string) => `${WEBHOOK_KEYED}${digest(eventKey.slice(WEBHOOK_KEYED.length))}`;
      const anyDb = db as Kysely<Record<string, Record<string, unknown>>>;
      const seen = await anyDb
        .selectFrom("seen_events")
        .select(["workflow_id", "event_key"])
        .where("connection_key", "=", "webhook")
        .execute();
      for (const r of seen)
        await anyDb
          .updateTable("seen_events")
          .set({ event_key: hashed(String(r.event_key)) })
          .where("workflow_id", "=", r.workflow_id)
          .where("event_key", "=", r.event_key)
          .execute();
      const runs = await anyDb
        .selectFrom("runs")
        .select(["id", "event_key"])
        .where("trigger_key", "=", "webhook")
        .where("event_key", "like", `${WEBHOOK_KEYED}%`)
        .execute();
      for (const r of runs)
        await anyDb
          .updateTable("runs")
          .set({ event_key: hashed(String(r.event_key)) })
          .where("id", "=", r.id)
          .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("runs_workflow_bytes").execute();
      for (const [table, column] of [
        ["runs", "data_removed"],
        ["runs", "payload_bytes"],
        ["api_tokens", "expires_at"],
        ["api_tokens", "scope"],
      ] as const)
        await db.schema.alterTable(table).dropColumn(column).execute();
    },
  };
}
