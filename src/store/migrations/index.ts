/**
 * Schema migrations as code (Kysely's Migrator), applied in name order: one file per migration in
 * this folder, listed below. Add a file and a line; never edit a migration that has shipped.
 */
import type { Kysely } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import type { Dialect } from "../database.ts";
import initial from "./0001_initial.ts";
import runsQueueOrder from "./0002_runs_queue_order.ts";
import serverAuthAndWebhooks from "./0003_server_auth_and_webhooks.ts";
import secretKdf from "./0004_secret_kdf.ts";
import runLeaseFencing from "./0005_run_lease_fencing.ts";
import connectionKinds from "./0006_connection_kinds.ts";
import triggerCursorSettled from "./0007_trigger_cursor_settled.ts";
import dueIndex from "./0008_due_index.ts";
import workflowSettings from "./0009_workflow_settings.ts";
import privacyAndLimits from "./0010_privacy_and_limits.ts";
import runsFairClaims from "./0011_runs_fair_claims.ts";
import pollReaders from "./0012_poll_readers.ts";
import dueAttendees from "./0013_due_attendees.ts";
import runFilteredAndDetails from "./0014_run_filtered_and_details.ts";
import workflowDrafts from "./0015_workflow_drafts.ts";
import type { MigrationContext, MigrationEnv } from "./env.ts";

export type { MigrationContext } from "./env.ts";

const MIGRATIONS: Record<string, (env: MigrationEnv) => Migration> = {
  "0001_initial": initial,
  "0002_runs_queue_order": runsQueueOrder,
  "0003_server_auth_and_webhooks": serverAuthAndWebhooks,
  "0004_secret_kdf": secretKdf,
  "0005_run_lease_fencing": runLeaseFencing,
  "0006_connection_kinds": connectionKinds,
  "0007_trigger_cursor_settled": triggerCursorSettled,
  "0008_due_index": dueIndex,
  "0009_workflow_settings": workflowSettings,
  "0010_privacy_and_limits": privacyAndLimits,
  "0011_runs_fair_claims": runsFairClaims,
  "0012_poll_readers": pollReaders,
  "0013_due_attendees": dueAttendees,
  "0014_run_filtered_and_details": runFilteredAndDetails,
  "0015_workflow_drafts": workflowDrafts,
};

function migrations(dialect: Dialect, context: MigrationContext): Record<string, Migration> {
  const env: MigrationEnv = { dialect, idColumn: dialect === "postgres" ? "serial" : "integer", context };
  return Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(env)]));
}

export function migrator(db: Kysely<unknown>, dialect: Dialect, context: MigrationContext = {}): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect, context) };
  // Work on several branches lands migrations out of number order (0012 before 0008 once): a
  // database that already has a later one still takes an earlier one it lacks. Each migration
  // touches its own tables and columns, so their order between branches does not matter.
  return new Migrator({ db, provider, allowUnorderedMigrations: true });
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
