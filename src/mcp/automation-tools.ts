/**
 * Tools that operate the automation itself, named `flow_…` so they never meet an action key:
 * the same store and engine calls as the CLI's `workflows`, `runs` and `trigger poll` verbs.
 */
import { z } from "zod";
import { detect, fetchChanges, trigger } from "../catalog/index.ts";
import { parseInput } from "../catalog/inputs.ts";
import { jsonSchemaOf } from "../cliniko/zod-schema.ts";
import { activationIssues } from "../engine/activation.ts";
import { REPLAY_VERSIONS, replayRun } from "../engine/replay-plan.ts";
import { validateWorkflow } from "../engine/workflow.ts";
import { type RunRecord, runSummary } from "../store/index.ts";
import type { McpTool, ToolContext, ToolEffect } from "./tool.ts";

/** Without `since`, a poll looks back one hour: enough to see a change just made, cheap to fetch. */
const DEFAULT_POLL_WINDOW_MS = 60 * 60 * 1000;
const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "unknown"] as const;

/** A tool error that is the caller's to fix (a run that is still running, an unknown name). */
export class ToolRefusal extends Error {
  override name = "ToolRefusal";
}

const isoDateTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: "must be an ISO 8601 date-time such as 2025-03-01T09:00:00Z",
});
const runId = z.number().int().positive().describe("The run's id (from flow_list_runs).");

async function findRun(ctx: ToolContext, id: number): Promise<RunRecord> {
  const run = await ctx.store.runs.find(id);
  if (!run) throw new ToolRefusal(`There is no run ${id} (flow_list_runs lists them).`);
  return run;
}

interface Spec<S extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  output: Record<string, unknown>;
  effect: ToolEffect;
  idempotent: boolean;
  cliniko?: boolean;
  call(ctx: ToolContext, args: z.output<S>): Promise<Record<string, unknown>>;
}

function tool<S extends z.ZodType>(spec: Spec<S>): McpTool {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: jsonSchemaOf(spec.input),
    outputSchema: spec.output,
    effect: spec.effect,
    idempotent: spec.idempotent,
    cliniko: spec.cliniko ?? false,
    validate: (args) => parseInput(spec.name, spec.input, args),
    call: (ctx, args) => spec.call(ctx, args as z.output<S>),
  };
}

const objectOut = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
});

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
            const issues = await activationIssues(validateWorkflow(stored.definition, args.name), {
              connectionExists: (n, k) => ctx.clients.exists(n, k),
            });
            if (issues.length > 0)
              throw new ToolRefusal(
                `"${args.name}" cannot be switched on yet: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}.`,
              );
          }
          const w = await ctx.store.workflows.setEnabled(args.name, enabled, { since: args.since, actor: ctx.actor });
          ctx.workflowsChanged();
          return { name: w.name, version: w.version, enabled: w.enabled };
        },
      }),
    ),
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
          run: { ...runSummary(run), triggerPayload: run.triggerPayload, steps: await ctx.store.runs.steps(run.id) },
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
        if (run.status === "queued" || run.status === "running")
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
      input: z.strictObject({
        trigger: z.string().min(1).describe("A trigger key, e.g. new_patient (the catalogue resource lists them)."),
        since: isoDateTime.optional().describe("Start of the window, ISO 8601."),
      }),
      output: objectOut({ events: { type: "array" } }),
      effect: "read",
      idempotent: true,
      cliniko: true,
      async call(ctx, args) {
        let def: ReturnType<typeof trigger>;
        try {
          def = trigger(args.trigger);
        } catch (err) {
          throw new ToolRefusal((err as Error).message);
        }
        const since = args.since ?? new Date(Date.now() - DEFAULT_POLL_WINDOW_MS).toISOString();
        const { client } = await ctx.clients.resolve(ctx.connection);
        const records = [];
        for await (const r of fetchChanges(client, def.resource, since)) records.push(r);
        return { events: detect(def, records, { activatedAt: since, seen: () => false }) };
      },
    }),
  ];
}
