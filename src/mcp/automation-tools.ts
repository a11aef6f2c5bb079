/**
 * Tools that operate the automation itself, named `flow_…` so they never meet an action key:
 * the same store and engine calls as the CLI's `workflows`, `runs` and `trigger poll` verbs.
 */
import { z } from "zod";
import { detect, fetchChanges, trigger } from "../catalog/index.ts";
import { activationIssues } from "../engine/activation.ts";
import { issueLine } from "../engine/issue-place.ts";
import { REPLAY_VERSIONS, replayRun } from "../engine/replay-plan.ts";
import { validateWorkflow, type WorkflowIssue, WorkflowValidationError } from "../engine/workflow.ts";
import { isRunEnded, RUN_STATUSES, type RunRecord, runSummary } from "../store/index.ts";
import { defineTool, objectOut, type ToolSpec } from "./define.ts";
import { ToolRefusal } from "./refusal.ts";
import { capArray, cursorInput, decodeCursor, fieldsInput, shapeRecord } from "./shape.ts";
import type { McpTool, ToolContext } from "./tool.ts";

/** Without `since`, a poll looks back one hour: enough to see a change just made, cheap to fetch. */
const DEFAULT_POLL_WINDOW_MS = 60 * 60 * 1000;

const isoDateTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: "must be an ISO 8601 date-time such as 2025-03-01T09:00:00Z",
});
const runId = z.number().int().positive().describe("The run's id (from flow_list_runs).");

async function findRun(ctx: ToolContext, id: number): Promise<RunRecord> {
  const run = await ctx.store.runs.find(id);
  if (!run) throw new ToolRefusal(`There is no run ${id} (flow_list_runs lists them).`);
  return run;
}

const issuesText = (issues: readonly WorkflowIssue[]) => issues.map(issueLine).join("; ");

/** A definition's problems: invalid (it cannot be saved), or not ready to be switched on. */
async function checkDefinition(ctx: ToolContext, definition: unknown) {
  try {
    const def = validateWorkflow(definition, "The definition");
    const problems = await activationIssues(def, ctx.clients.activationContext());
    return { valid: true, name: def.name, problems };
  } catch (err) {
    if (err instanceof WorkflowValidationError) return { valid: false, problems: err.issues };
    throw err;
  }
}

/** The automation's tools are all in the `automation` toolset. */
const tool = <S extends z.ZodType>(spec: Omit<ToolSpec<S>, "toolset">) =>
  defineTool({ ...spec, toolset: "automation" });

export function automationTools(): McpTool[] {
  return [
    tool({
      name: "flow_list_workflows",
      title: "List workflows",
      description: "Lists the stored workflows with their trigger, state (enabled, disabled, paused) and run counts.",
      input: z.strictObject({}),
      output: objectOut({ workflows: { type: "array" } }),
      effect: "read",
      idempotent: true,
      async call(ctx) {
        const workflows = [];
        for (const w of await ctx.store.workflows.list()) {
          const def = w.definition as { trigger?: { key?: string } };
          workflows.push({
            name: w.name,
            version: w.version,
            enabled: w.enabled,
            paused: w.pausedReason,
            trigger: def.trigger?.key ?? "",
            metadataOnly: w.metadataOnly,
            runs: await ctx.store.runs.counts(w.id),
          });
        }
        return { workflows };
      },
    }),
    ...([true, false] as const).map((enabled) =>
      tool({
        name: enabled ? "flow_enable_workflow" : "flow_disable_workflow",
        title: enabled ? "Enable a workflow" : "Disable a workflow",
        description: enabled
          ? "Switches a workflow on: changes from now (or from `since`, a backfill) start runs. Clears a pause."
          : "Switches a workflow off: its trigger stops polling and no new runs start.",
        input: enabled
          ? z.strictObject({
              name: z.string().min(1).describe("The workflow's name."),
              since: isoDateTime.optional().describe("Backfill: treat changes since then as new."),
            })
          : z.strictObject({ name: z.string().min(1).describe("The workflow's name.") }),
        output: objectOut({ name: { type: "string" }, version: { type: "integer" }, enabled: { type: "boolean" } }),
        effect: "write",
        idempotent: true,
        async call(ctx, args: { name: string; since?: string }) {
          if (!(await ctx.store.workflows.find(args.name)))
            throw new ToolRefusal(`There is no workflow named "${args.name}" (flow_list_workflows lists them).`);
          if (enabled) {
            const stored = await ctx.store.workflows.get(args.name);
            const issues = await activationIssues(
              validateWorkflow(stored.definition, args.name),
              ctx.clients.activationContext(),
            );
            if (issues.length > 0)
              throw new ToolRefusal(`"${args.name}" cannot be switched on yet: ${issues.map(issueLine).join("; ")}.`);
          }
          const w = await ctx.store.workflows.setEnabled(args.name, enabled, { since: args.since, actor: ctx.actor });
          ctx.workflowsChanged();
          return { name: w.name, version: w.version, enabled: w.enabled };
        },
      }),
    ),
    tool({
      name: "flow_check_workflow",
      title: "Check a workflow",
      description:
        "Checks a workflow definition (JSON, as `workflows import` reads) without saving it: what is invalid, and what would keep it from being switched on. Show the definition to the person before saving it.",
      input: z.strictObject({ definition: z.record(z.string(), z.unknown()).describe("The workflow definition.") }),
      output: objectOut({ valid: { type: "boolean" }, problems: { type: "array" } }),
      effect: "read",
      idempotent: true,
      async call(ctx, args) {
        return { ...(await checkDefinition(ctx, args.definition)) };
      },
    }),
    tool({
      name: "flow_save_workflow",
      title: "Save a workflow",
      description:
        "Saves a checked workflow definition, switched off (flow_enable_workflow switches it on). Refuses a name that exists unless replace is true. A change to a switched-on workflow that could not run is refused and kept as its draft (no new version). Save only what the person has seen and agreed to.",
      input: z.strictObject({
        definition: z.record(z.string(), z.unknown()).describe("The workflow definition."),
        replace: z.boolean().optional().describe("Replace the stored workflow of the same name (a new version)."),
      }),
      output: objectOut({ name: { type: "string" }, version: { type: "integer" }, enabled: { type: "boolean" } }),
      effect: "write",
      idempotent: true,
      async call(ctx, args) {
        let def: ReturnType<typeof validateWorkflow>;
        try {
          def = validateWorkflow(args.definition, "The definition");
        } catch (err) {
          throw new ToolRefusal(
            err instanceof WorkflowValidationError ? issuesText(err.issues) : (err as Error).message,
          );
        }
        const existing = await ctx.store.workflows.find(def.name);
        if (existing && !args.replace)
          throw new ToolRefusal(
            `A workflow named "${def.name}" exists already: pass replace: true to save a new version of it.`,
          );
        // A live workflow stays able to run, as over the API: a change it could not run is kept as
        // its draft (shown in the web editor), no version is made, and the live version runs on.
        if (existing?.enabled) {
          const issues = await activationIssues(def, ctx.clients.activationContext());
          if (issues.length > 0) {
            await ctx.store.workflows.keepDraft(existing.id, def, ctx.actor);
            throw new ToolRefusal(
              `"${def.name}" is switched on and this change could not run: ${issues.map(issueLine).join("; ")}. It is kept as the workflow's draft; version ${existing.version} still runs.`,
            );
          }
        }
        const w = await ctx.store.workflows.save(def.name, def, {
          enabled: existing?.enabled ?? false,
          actor: ctx.actor,
        });
        ctx.workflowsChanged();
        return { name: w.name, version: w.version, enabled: w.enabled };
      },
    }),
    tool({
      name: "flow_list_runs",
      title: "List runs",
      description: "Lists runs, newest first, without their payloads (flow_show_run shows one in full).",
      input: z.strictObject({
        workflow: z.string().min(1).optional().describe("Only this workflow's runs."),
        status: z.enum(RUN_STATUSES).optional(),
        limit: z.number().int().min(1).max(500).optional().describe("At most this many (default 20)."),
      }),
      output: objectOut({ runs: { type: "array" } }),
      effect: "read",
      idempotent: true,
      async call(ctx, args) {
        let workflowId: number | undefined;
        if (args.workflow) {
          const w = await ctx.store.workflows.find(args.workflow);
          if (!w) throw new ToolRefusal(`There is no workflow named "${args.workflow}".`);
          workflowId = w.id;
        }
        const runs = await ctx.store.runs.list({ workflowId, status: args.status, limit: args.limit ?? 20 });
        return { runs: runs.map(runSummary) };
      },
    }),
    tool({
      name: "flow_show_run",
      title: "Show a run",
      description: "One run with its trigger payload and every step's input, output, error and timing.",
      input: z.strictObject({ id: runId }),
      output: objectOut({ run: { type: "object" } }),
      effect: "read",
      idempotent: true,
      async call(ctx, args) {
        const run = await findRun(ctx, args.id);
        return {
          run: {
            ...runSummary(run),
            details: run.details,
            triggerPayload: run.triggerPayload,
            steps: await ctx.store.runs.steps(run.id),
          },
        };
      },
    }),
    tool({
      name: "flow_replay_run",
      title: "Replay a run",
      description:
        "Runs a finished run's workflow again on the same trigger event: from the step that failed (default) or from the start, on the workflow version the run used or the current one (default: current when the step it failed on has been changed since). Steps that write to Cliniko write again.",
      input: z.strictObject({
        id: runId,
        from: z.enum(["failed", "start"]).optional().describe("Where to start (default: the failed step)."),
        version: z
          .enum(REPLAY_VERSIONS)
          .optional()
          .describe("ran: the version the run used; current: the workflow as it is now (default: see description)."),
      }),
      output: objectOut({ run: { type: "object" }, replayedOn: { type: "object" } }),
      effect: "write",
      idempotent: false,
      cliniko: true,
      async call(ctx, args) {
        const run = await findRun(ctx, args.id);
        if (!isRunEnded(run.status))
          throw new ToolRefusal(`Run ${run.id} is still ${run.status}; replay it once it has finished.`);
        let result: Awaited<ReturnType<typeof replayRun>>;
        try {
          result = await replayRun(ctx.store, run, { fromStart: args.from === "start", version: args.version });
        } catch (err) {
          throw new ToolRefusal((err as Error).message);
        }
        await ctx.afterReplay(result.runId);
        const { version, workflowVersion, reason } = result;
        return {
          run: runSummary((await ctx.store.runs.find(result.runId))!),
          replayedOn: { version, workflowVersion, reason },
        };
      },
    }),
    tool({
      name: "flow_poll_trigger",
      title: "Poll a trigger",
      description:
        "Fetches what changed in Cliniko since `since` (default: one hour ago) and returns the events the trigger would fire, without starting runs or moving any workflow's cursor.",
      input: z
        .strictObject({
          trigger: z
            .string()
            .min(1)
            .optional()
            .describe("A trigger key, e.g. new_patient (the catalogue resource lists them)."),
          since: isoDateTime.optional().describe("Start of the window, ISO 8601."),
          fields: fieldsInput,
          cursor: cursorInput,
        })
        .refine((v) => v.trigger !== undefined || v.cursor !== undefined, {
          message: "give trigger (or an earlier answer's cursor)",
        }),
      output: objectOut({ events: { type: "array" }, next_cursor: { type: ["string", "null"] } }),
      effect: "read",
      idempotent: true,
      cliniko: true,
      async call(ctx, args) {
        // A cursor holds the first call's trigger and window, with `since` fixed: the same events, in order.
        const state = args.cursor
          ? decodeCursor(args.cursor)
          : {
              args: {
                trigger: args.trigger,
                since: args.since ?? new Date(Date.now() - DEFAULT_POLL_WINDOW_MS).toISOString(),
                fields: args.fields,
              },
              skip: 0,
            };
        let def: ReturnType<typeof trigger>;
        try {
          def = trigger(String(state.args.trigger));
        } catch (err) {
          throw new ToolRefusal((err as Error).message);
        }
        const since = String(state.args.since);
        const { client } = await ctx.clients.resolve(ctx.connection);
        const records = [];
        for await (const r of fetchChanges(client, def.resource, since)) records.push(r);
        const events = detect(def, records, { activatedAt: since, seen: () => false });
        const fields = state.args.fields as string[] | undefined;
        const capped = capArray(
          events.map((e) => ({ ...e, record: shapeRecord(e.record, fields) })),
          state,
          ["*"],
        );
        return { events: capped.records, total_events: events.length, next_cursor: capped.next_cursor };
      },
    }),
  ];
}
