/**
 * The catalogue verbs: `actions`, `triggers` (listings), `action run` and `trigger poll` (one
 * action or one poll against a Cliniko account: the environment's, or a stored connection).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type ActionDef,
  action,
  actionSummary,
  actions,
  byGroup,
  detect,
  fetchChanges,
  type TriggerDef,
  trigger,
  triggerSummary,
  triggers,
  UnknownCatalogKeyError,
  validateActionInput,
} from "../../catalog/index.ts";
import { createClient } from "../../cliniko/client.ts";
import { connectionFromEnv } from "../../cliniko/regions.ts";
import type { ClinikoClient } from "../../cliniko/types.ts";
import { UsageError } from "../errors.ts";

/** Default look-back of `trigger poll` without --since: long enough to see a test change, short enough to be cheap. */
const DEFAULT_POLL_WINDOW_MS = 60 * 60 * 1000;

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`).join("\n");
}

function printActions(list: readonly ActionDef[]): void {
  const parts: string[] = [];
  for (const [group, items] of byGroup(list)) {
    const rows = items.map((a) => [
      a.key,
      a.kind,
      `${a.method} ${a.path}${a.documented ? "" : " (undocumented)"}`,
      a.title,
    ]);
    parts.push(`${group}\n${table(rows)}`);
  }
  out(`${parts.join("\n\n")}\n\n${list.length} actions. \`cliniko-flow actions --json\` shows input schemas.`);
}

function printTriggers(list: readonly TriggerDef[]): void {
  const parts: string[] = [];
  for (const [group, items] of byGroup(list)) {
    const rows = items.map((t) => [t.key, t.event, t.paths.join(" + "), t.title]);
    parts.push(`${group}\n${table(rows)}`);
  }
  out(`${parts.join("\n\n")}\n\n${list.length} triggers (polled; Cliniko has no webhooks).`);
}

function lookup<T>(find: (key: string) => T, key: string): T {
  try {
    return find(key);
  } catch (err) {
    if (err instanceof UnknownCatalogKeyError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--input '<json>'` or `--input @file.json` (absent: `{}`). */
function readInput(raw: string | undefined): unknown {
  if (raw === undefined) return {};
  let text = raw;
  if (raw.startsWith("@")) {
    try {
      text = readFileSync(raw.slice(1), "utf8");
    } catch (err) {
      throw new UsageError(`Cannot read the input file ${raw.slice(1)}: ${(err as NodeJS.ErrnoException).code}.`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--input is not valid JSON (${(err as Error).message}).`);
  }
}

/** The client of `--connection NAME` (the store), or of the CLINIKO_* environment. */
async function clientFor(connection: string | undefined): Promise<ClinikoClient> {
  if (!connection) return createClient(connectionFromEnv());
  const [{ openStore }, { ConnectionNotFoundError }] = await Promise.all([
    import("../../store/index.ts"),
    import("../../store/connections.ts"),
  ]);
  const store = await openStore();
  try {
    return createClient(await store.connections.get(connection));
  } catch (err) {
    // A name that is not stored is a mistake in the command line (exit 2), like an unknown key.
    if (err instanceof ConnectionNotFoundError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

export function register(program: Command): string[] {
  program
    .command("actions")
    .description("list the Cliniko actions (--json: with input schemas)")
    .option("--json", "print a JSON array")
    .action((opts: { json?: boolean }) => {
      if (opts.json) out(JSON.stringify(actions.map(actionSummary), null, 2));
      else printActions(actions);
    });

  program
    .command("triggers")
    .description("list the polling triggers (--json: as JSON)")
    .option("--json", "print a JSON array")
    .action((opts: { json?: boolean }) => {
      if (opts.json) out(JSON.stringify(triggers.map(triggerSummary), null, 2));
      else printTriggers(triggers);
    });

  program
    .command("action")
    .description("run one action: action run <key> --input '<json>' | @file.json")
    .command("run <key>")
    .description("run one Cliniko action and print its result as JSON")
    .option("--input <json>", "the action's input as JSON, or @file.json")
    .option("--connection <name>", "a stored connection (default: CLINIKO_API_KEY, CLINIKO_EMAIL, ...)")
    .action(async (key: string, opts: { input?: string; connection?: string }) => {
      const def = lookup(action, key);
      const input = readInput(opts.input);
      // Invalid input is reported (exit 2) before any connection is opened or request sent.
      validateActionInput(def, input);
      const client = await clientFor(opts.connection);
      const result = await def.run(client, input);
      out(JSON.stringify(result, null, 2));
    });

  program
    .command("trigger")
    .description("poll one trigger: trigger poll <key> [--since ISO]")
    .command("poll <key>")
    .description("fetch every change since --since (default: one hour ago) and print the events as JSON lines")
    .option("--since <iso>", "start of the window, ISO 8601 (default: now minus one hour)")
    .option("--connection <name>", "a stored connection (default: CLINIKO_API_KEY, CLINIKO_EMAIL, ...)")
    .action(async (key: string, opts: { since?: string; connection?: string }) => {
      const def = lookup(trigger, key);
      if (def.due)
        throw new UsageError(
          `${def.key} fires at a time relative to each appointment, not from changes, so it cannot be polled; switch on a workflow with it (docs/triggers.md, Time-relative triggers).`,
        );
      const since = opts.since ?? new Date(Date.now() - DEFAULT_POLL_WINDOW_MS).toISOString();
      if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(Date.parse(since))) {
        throw new UsageError(`--since must be an ISO 8601 date-time such as 2025-03-01T09:00:00Z, not "${since}".`);
      }
      const client = await clientFor(opts.connection);
      const records = [];
      for await (const r of fetchChanges(client, def.resource, since)) records.push(r);
      const events = detect(def, records, { activatedAt: since, seen: () => false });
      for (const e of events) out(JSON.stringify(e));
    });

  return ["actions", "triggers", "action", "trigger"];
}
