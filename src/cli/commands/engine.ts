/**
 * The engine's verbs: `migrate`, `connections`, `workflows`, `run <file> --once`, `runs`,
 * `schema`. Thin: parse flags, call the store/engine, print.
 */
import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { Command } from "commander";
import { stringify as toYaml } from "yaml";
import { appConnectionKind, appConnectionKinds, testAppConnection } from "../../apps/connections.ts";
import { appConnectionConfig } from "../../apps/save.ts";
import { createClient } from "../../cliniko/client.ts";
import { testClinikoConnection } from "../../cliniko/connection-test.ts";
import { checkBaseUrlToSave } from "../../cliniko/network.ts";
import { assertActivatable } from "../../engine/activation.ts";
import { ClientProvider } from "../../engine/clients.ts";
import { runOnce } from "../../engine/once.ts";
import { exportPatient, purgePatient } from "../../engine/patient-data.ts";
import { loadWorkflowFile, validateWorkflow, workflowJsonSchema } from "../../engine/workflow.ts";
import { allowListFromEnv } from "../../net/address-policy.ts";
import { isRunFailure, openStore, RUN_STATUSES, type RunRecord, runSummary, type Store } from "../../store/index.ts";
import { toIso } from "../../store/time.ts";
import { UsageError } from "../errors.ts";
import { appFieldFlags, appSettingsFromFlags } from "./app-connections.ts";

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

const actor = () => `cli:${safeUser()}`;
function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function since(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return toIso(value);
  } catch {
    throw new UsageError(`--since must be a date-time such as 2024-05-01T00:00:00Z, not "${value}".`);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

interface ImportOptions {
  disabled?: boolean;
  since?: string;
  template?: string;
  connection?: string;
  enable?: boolean;
}

/** `--patient`: a Cliniko patient id, digits only (a usage error otherwise). */
function patientArg(text: string): string {
  const id = text.trim();
  if (!/^\d+$/.test(id)) throw new UsageError("--patient must be a Cliniko patient id (digits).");
  return id;
}

/**
 * The Cliniko connection a template uses when none is named: the only stored one (said aloud), or
 * the environment's CLINIKO_API_KEY when none is stored; several is a usage error naming them.
 */
async function onlyClinikoConnection(store: Store): Promise<string | undefined> {
  const names = (await store.connections.list()).filter((c) => c.kind === "cliniko").map((c) => c.name);
  if (names.length === 1) {
    out(`Using the Cliniko connection "${names[0]}" (the only one).`);
    return names[0];
  }
  if (names.length === 0) {
    if (process.env.CLINIKO_API_KEY) return undefined; // the environment's key is the default connection
    throw new UsageError("There is no Cliniko connection yet: add one with `connections add`, then import again.");
  }
  throw new UsageError(
    `There are ${names.length} Cliniko connections (${names.join(", ")}): name one with --connection.`,
  );
}

function runId(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`"${text}" is not a run id.`);
  return n;
}

export function register(program: Command): string[] {
  program
    .command("migrate")
    .description("apply database migrations (DATABASE_URL; default sqlite:./data/cliniko-flow.db)")
    .action(async () => {
      await withStore(async (store) => {
        const t = store.database.target;
        out(`Database is up to date (${t.dialect === "sqlite" ? t.location : "PostgreSQL"}).`);
      });
    });

  const connections = program
    .command("connections")
    .description("manage Cliniko and app connections (add|list|test|remove)");
  const add = connections
    .command("add <name>")
    .description("store a connection (its key, password or token is encrypted at rest)")
    .option("--kind <kind>", `cliniko, ${appConnectionKinds.map((k) => k.kind).join(", ")}`, "cliniko")
    .option(
      "--api-key <key>",
      "Cliniko (or Mailchimp) API key, or - to read it from standard input (keeps it out of ps)",
    )
    .option("--email <email>", "cliniko: contact email sent in the User-Agent")
    .option("--region <region>", "cliniko: AU1–AU5, CA1, UK1–UK3, EU1 (must match the key)")
    .option("--base-url <url>", "full API base URL (sandbox, tests)");
  for (const f of appFieldFlags(["apiKey"])) add.option(f.flag, f.description);
  add.action(async (name: string, o: Record<string, string | undefined>) => {
    const kind = o.kind ?? "cliniko";
    if (kind !== "cliniko") {
      const values = await appSettingsFromFlags(kind, o, firstLineOfStdin);
      const config = appConnectionConfig(name, kind, values, o.baseUrl);
      await withStore(async (store) => {
        const outcome = await store.connections.saveApp(config, actor());
        out(`Connection "${name}" (${kind}) ${outcome}. Test it with: cliniko-flow connections test ${name}`);
      });
      return;
    }
    if (!o.apiKey || !o.email) throw new UsageError("A Cliniko connection needs --api-key and --email.");
    if (o.apiKey === "-") o.apiKey = await firstLineOfStdin();
    if (!o.apiKey) throw new UsageError("No API key was given on standard input.");
    // Validates key, email, region and URL the same way a request would, before storing; the URL
    // also against the address policy, as its name resolves now.
    createClient({ apiKey: o.apiKey, email: o.email, region: o.region, baseUrl: o.baseUrl, rateLimit: false });
    await checkBaseUrlToSave(o.baseUrl, allowListFromEnv());
    await withStore(async (store) => {
      const outcome = await store.connections.save(
        { name, apiKey: o.apiKey!, email: o.email!, region: o.region, baseUrl: o.baseUrl },
        actor(),
      );
      out(`Connection "${name}" ${outcome}. Test it with: cliniko-flow connections test ${name}`);
    });
  });
  connections
    .command("list")
    .description("list connections (never the keys)")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      await withStore(async (store) => {
        const list = await store.connections.list();
        if (o.json) return out(JSON.stringify(list, null, 2));
        if (list.length === 0)
          return out("No connections. Add one with: cliniko-flow connections add <name> --api-key K --email E");
        out(
          table([
            ["NAME", "KIND", "EMAIL / SETTINGS", "REGION/BASE URL", "KEY"],
            ...list.map((c) =>
              c.kind === "cliniko"
                ? [c.name, c.kind, c.email, c.baseUrl ?? c.region ?? "(from key)", c.keyHint]
                : [c.name, c.kind, appConnectionKind(c.kind).summary(c.settings ?? {}), c.baseUrl ?? "", c.keyHint],
            ),
          ]),
        );
      });
    });
  connections
    .command("test <name>")
    .description("check a connection (Cliniko: GET /user; an app: its test call)")
    .action(async (name: string) => {
      await withStore(async (store) => {
        const kind = await store.connections.kindOf(name);
        if (kind && kind !== "cliniko") {
          const connection = await new ClientProvider(store).app(name, [kind]);
          out(`Connection "${name}" works: ${await testAppConnection(connection)}`);
          return;
        }
        const c = await store.connections.get(name);
        const client = () => createClient({ ...c, rateLimit: false });
        const result = await testClinikoConnection(client);
        if (!result.ok) throw new Error(`Connection "${name}" does not work: ${result.message}`);
        const { user } = result;
        out(`Connection "${name}" works: ${user.name}${user.email ? ` <${user.email}>` : ""} at ${client().baseUrl}.`);
      });
    });
  connections
    .command("remove <name>")
    .description("delete a connection")
    .action(async (name: string) => {
      await withStore(async (store) => {
        if (!(await store.connections.remove(name, actor()))) throw new Error(`No connection named "${name}".`);
        out(`Connection "${name}" removed.`);
      });
    });

  const workflows = program.command("workflows").description("manage workflows (import|export|list|enable|disable)");
  workflows
    .command("import [files...]")
    .description("validate and store workflow files (a changed file becomes a new version), or a template")
    .option("--disabled", "store switched off (the default for a new workflow; switches off one that was on)")
    .option("--since <iso>", "backfill: treat changes since then as new on activation")
    .option("--template <name>", "import a ready workflow from the gallery (`workflows templates`), switched off")
    .option("--connection <name>", "with --template: the Cliniko connection it uses (default: the only one there is)")
    .option(
      "--enable",
      "switch it on at once (after the activation check; refused, nothing is imported); without it a new workflow stays off",
    )
    .action(async (args: string[], o: ImportOptions) => {
      const from = since(o.since);
      if (o.template && args.length > 0) throw new UsageError("Give either workflow files or --template, not both.");
      if (!o.template && args.length === 0)
        throw new UsageError("Give one or more workflow files, or --template NAME.");
      if (o.enable && o.disabled) throw new UsageError("Give --enable or --disabled, not both.");
      // All files valid before anything is stored.
      const fromFiles = o.template ? [] : args.map((f) => loadWorkflowFile(f));
      await withStore(async (store) => {
        let files = args;
        let defs = fromFiles;
        if (o.template) {
          const { loadTemplate, UnknownTemplateError } = await import("../../engine/templates.ts");
          const connection = o.connection ?? (await onlyClinikoConnection(store));
          try {
            const t = loadTemplate(o.template, { connection });
            defs = [t.definition];
            files = [`template ${o.template}`];
            if (t.info.settings.length > 0)
              out(`Template ${o.template} reads ${t.info.settings.join(", ")}: set them before it runs.`);
          } catch (err) {
            if (err instanceof UnknownTemplateError) throw new UsageError(err.message);
            throw err;
          }
        }
        // An imported file is off unless --enable (an exported copy must not become a second live
        // workflow); a new version of a stored workflow keeps its switch as it is.
        const existing = await Promise.all(defs.map((d) => store.workflows.find(d.name)));
        const enabled = defs.map((_, i) => (o.enable ? true : o.disabled ? false : (existing[i]?.enabled ?? false)));
        // Those to be switched on must pass the activation check, all before any is stored. A
        // refusal stores nothing, not even a draft: the file on disk already keeps what was typed.
        const clients = new ClientProvider(store);
        const nothing = "nothing was imported; the stored workflows are as they were";
        for (const [i, def] of defs.entries())
          if (enabled[i]) await assertActivatable(files[i]!, def, clients.activationContext(), nothing);
        for (const [i, def] of defs.entries()) {
          const before = existing[i];
          const w = await store.workflows.save(def.name, def, {
            enabled: enabled[i]!,
            since: from,
            actor: actor(),
          });
          const change = !before ? "imported" : before.version === w.version ? "unchanged" : "updated";
          out(
            `${w.name}: ${change} (version ${w.version}, ${w.enabled ? "enabled" : "disabled"})${
              !w.enabled && !before ? "; switch it on with `workflows enable`" : ""
            }`,
          );
        }
      });
    });
  workflows
    .command("templates")
    .description("list the ready workflows `workflows import --template NAME` takes")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { listTemplates } = await import("../../engine/templates.ts");
      const list = listTemplates();
      if (o.json) return out(JSON.stringify(list, null, 2));
      for (const t of list) out(`${t.name.padEnd(36)} ${t.title}: ${t.description}`);
    });
  workflows
    .command("export <name>")
    .description("print a workflow's definition")
    .option("--format <format>", "yaml or json", "yaml")
    .option("-o, --output <file>", "write to a file")
    .option("--version <n>", "an earlier version")
    .action(async (name: string, o: { format: string; output?: string; version?: string }) => {
      if (!["yaml", "json"].includes(o.format)) throw new UsageError("--format must be yaml or json.");
      await withStore(async (store) => {
        const w = await store.workflows.get(name);
        const def = o.version ? await store.workflows.definitionAt(w.id, Number(o.version)) : w.definition;
        const text = o.format === "json" ? `${JSON.stringify(def, null, 2)}\n` : toYaml(def);
        if (o.output) writeFileSync(o.output, text);
        else out(text);
      });
    });
  workflows
    .command("list")
    .description("list workflows with their state and run counts")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      await withStore(async (store) => {
        const list = await store.workflows.list();
        const rows = [];
        for (const w of list) {
          const def = w.definition as { trigger?: { key?: string } };
          rows.push({
            name: w.name,
            version: w.version,
            enabled: w.enabled,
            paused: w.pausedReason,
            trigger: def.trigger?.key ?? "",
            metadataOnly: w.metadataOnly,
            runs: await store.runs.counts(w.id),
          });
        }
        if (o.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out("No workflows. Import one with: cliniko-flow workflows import <file>");
        out(
          table([
            ["NAME", "VER", "STATE", "TRIGGER", "RUNS"],
            ...rows.map((r) => [
              r.name,
              String(r.version),
              r.paused ? "paused" : r.enabled ? "enabled" : "disabled",
              r.trigger,
              Object.entries(r.runs)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ") || "-",
            ]),
          ]),
        );
        for (const r of rows) if (r.paused) out(`\n${r.name}: ${r.paused}`);
      });
    });
  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    const cmd = workflows
      .command(`${verb} <name>`)
      .description(enabled ? "switch a workflow on (from now, or --since)" : "switch a workflow off");
    if (enabled) cmd.option("--since <iso>", "backfill: treat changes since then as new");
    cmd.action(async (name: string, o: { since?: string }) => {
      const from = since(o.since);
      await withStore(async (store) => {
        if (enabled) {
          const stored = await store.workflows.get(name);
          const clients = new ClientProvider(store);
          await assertActivatable(name, validateWorkflow(stored.definition, name), clients.activationContext());
        }
        const w = await store.workflows.setEnabled(name, enabled, { since: from, actor: actor() });
        out(`${w.name} ${enabled ? "enabled" : "disabled"}.`);
      });
    });
  }

  program
    .command("run <file>")
    .description("run a workflow file (--once: poll once, run what it found, print a summary)")
    .option("--once", "poll once and exit (the only mode; use `serve` to keep running)")
    .option("--since <iso>", "backfill: treat changes since then as new")
    .option("--json", "print the summary as JSON")
    .action(async (file: string, o: { once?: boolean; since?: string; json?: boolean }) => {
      if (!o.once) throw new UsageError("run needs --once (to keep workflows running, import them and use `serve`).");
      const from = since(o.since);
      const definition = loadWorkflowFile(file);
      await withStore(async (store) => {
        const clients = new ClientProvider(store);
        await assertActivatable(file, definition, clients.activationContext());
        const tty = process.stderr.isTTY;
        const summary = await runOnce({
          store,
          definition,
          since: from,
          onPage: tty
            ? (pages, records) => process.stderr.write(`\rpolling: ${pages} page(s), ${records} record(s)…`)
            : undefined,
        });
        if (tty) process.stderr.write("\r\x1b[K");
        if (o.json) return out(JSON.stringify(summary, null, 2));
        const counts: Record<string, number> = {};
        for (const r of summary.runs) counts[r.status] = (counts[r.status] ?? 0) + 1;
        out(
          `${summary.workflow} (version ${summary.version}, ${summary.trigger}): ${summary.records} record(s) read, ${summary.queued} run(s) queued; ` +
            (Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ") || "nothing to run") +
            ".",
        );
        for (const r of summary.runs) if (isRunFailure(r.status)) out(`  run ${r.id} ${r.status}: ${r.error ?? ""}`);
        if (summary.runs.some((r) => isRunFailure(r.status))) process.exitCode = 1;
      });
    });

  const runs = program
    .command("runs")
    .description("inspect runs (list|show|replay), export or erase a patient's (export|purge)");
  runs
    .command("list")
    .description("list runs, newest first")
    .option("--json", "print a JSON array")
    .option("--workflow <name>", "only this workflow's runs")
    .option("--status <status>", RUN_STATUSES.join(", "))
    .option("--limit <n>", "at most n runs", "100")
    .action(async (o: { json?: boolean; workflow?: string; status?: string; limit: string }) => {
      const statuses: readonly string[] = RUN_STATUSES;
      if (o.status && !statuses.includes(o.status))
        throw new UsageError(`--status must be one of ${statuses.join(", ")}.`);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new UsageError("--limit must be a positive whole number.");
      await withStore(async (store) => {
        const workflowId = o.workflow ? (await store.workflows.get(o.workflow)).id : undefined;
        const list = await store.runs.list({ workflowId, status: o.status as RunRecord["status"], limit });
        if (o.json) return out(JSON.stringify(list.map(runSummary), null, 2));
        if (list.length === 0) return out("No runs.");
        out(
          table([
            ["ID", "WORKFLOW", "STATUS", "EVENT", "STARTED"],
            ...list.map((r) => [String(r.id), r.workflow, r.status, r.eventKey, r.startedAt ?? "-"]),
          ]),
        );
      });
    });
  runs
    .command("show <id>")
    .description("a run with its steps (input, output, error, timing)")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => {
      await withStore(async (store) => {
        const run = await store.runs.find(runId(id));
        if (!run) throw new Error(`No run ${id}.`);
        const steps = await store.runs.steps(run.id);
        if (o.json)
          return out(
            JSON.stringify(
              { ...runSummary(run), details: run.details, triggerPayload: run.triggerPayload, steps },
              null,
              2,
            ),
          );
        out(`Run ${run.id} of ${run.workflow} (version ${run.workflowVersion}): ${run.status}`);
        out(`  trigger ${run.trigger}, event ${run.eventKey}`);
        out(`  created ${run.createdAt}, started ${run.startedAt ?? "-"}, finished ${run.finishedAt ?? "-"}`);
        if (run.error) out(`  error: ${run.error}`);
        if (run.details !== null) out(`  details: ${JSON.stringify(run.details)}`);
        for (const s of steps) {
          const ms = s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : undefined;
          out(
            `  - ${s.stepId}: ${s.status}${ms !== undefined ? ` (${ms} ms)` : ""}${s.attempts > 1 ? `, ${s.attempts} attempts` : ""}`,
          );
          if (s.error) out(`      error: ${s.error}`);
          if (s.details !== null) out(`      details: ${JSON.stringify(s.details)}`);
          if (s.output !== null) out(`      output: ${JSON.stringify(s.output).slice(0, 300)}`);
        }
      });
    });
  runs
    .command("export")
    .description("print one patient's run history as JSON: every run whose data refers to the Cliniko patient")
    .requiredOption("--patient <id>", "the Cliniko patient id")
    .action(async (o: { patient: string }) => {
      const patient = patientArg(o.patient);
      await withStore(async (store) => {
        const found = await exportPatient(store, patient, actor());
        const runs = found.map(({ run, steps }) => ({
          ...runSummary(run),
          details: run.details,
          triggerPayload: run.triggerPayload,
          steps,
        }));
        out(JSON.stringify({ patientId: patient, runs }, null, 2));
      });
    });
  runs
    .command("purge")
    .description("erase one patient's run history: the runs whose data refers to the Cliniko patient, with their steps")
    .requiredOption("--patient <id>", "the Cliniko patient id")
    .action(async (o: { patient: string }) => {
      const patient = patientArg(o.patient);
      await withStore(async (store) => {
        const { erased, inProgress } = await purgePatient(store, patient, actor());
        out(`Erased ${erased} run${erased === 1 ? "" : "s"} of patient ${patient}.`);
        if (inProgress > 0)
          out(
            `${inProgress} run${inProgress === 1 ? " is" : "s are"} still queued or running: purge again once they end.`,
          );
      });
    });
  runs
    .command("replay <id>")
    .description("re-run with the stored trigger payload, from the failed step (or --from-start)")
    .option("--from-start", "run every step again")
    .option("--current", "use the workflow as it is now (default when the failed step has been changed since)")
    .option("--ran", "use the version the run used (default otherwise)")
    .option("--no-wait", "only queue the replay (a running `serve` executes it)")
    .action(async (id: string, o: { fromStart?: boolean; current?: boolean; ran?: boolean; wait: boolean }) => {
      if (o.current && o.ran) throw new UsageError("Use either --current or --ran, not both.");
      await withStore(async (store) => {
        const run = await store.runs.find(runId(id));
        if (!run) throw new Error(`No run ${id}.`);
        const { replayRun } = await import("../../engine/replay-plan.ts");
        const version = o.current ? "current" : o.ran ? "ran" : undefined;
        const replayed = await replayRun(store, run, { fromStart: Boolean(o.fromStart), version });
        const newId = replayed.runId;
        out(
          `Replaying on version ${replayed.workflowVersion} (${replayed.version === "current" ? "the current version" : "the version it ran"}): ${replayed.reason}`,
        );
        if (!o.wait) return out(`Run ${newId} queued (replay of ${id}).`);
        const { executeQueuedRun } = await import("../../engine/replay.ts");
        const done = await executeQueuedRun(store, new ClientProvider(store), newId);
        out(`Run ${newId} (replay of ${id}): ${done.status}${done.error ? ` — ${done.error}` : ""}`);
        if (isRunFailure(done.status)) process.exitCode = 1;
      });
    });

  program
    .command("schema")
    .description("print the workflow JSON Schema")
    .option("--validate <file>", "validate a workflow file instead")
    .action(async (o: { validate?: string }) => {
      if (o.validate) {
        const def = loadWorkflowFile(o.validate);
        validateWorkflow(def);
        return out(`${o.validate} is a valid workflow.`);
      }
      out(JSON.stringify(workflowJsonSchema(), null, 2));
    });

  return ["migrate", "connections", "workflows", "run", "runs", "schema"];
}

/** The first line of standard input, trimmed (for secrets that should not sit in argv). */
async function firstLineOfStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return (text.split("\n")[0] ?? "").trim();
}
