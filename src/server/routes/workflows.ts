/**
 * Workflows by id (or name): create, read, replace (a new version when it changed), delete,
 * enable/disable, versions, the draft a refused change keeps, validation without saving, and test
 * runs of a whole workflow or one step that store nothing. Definitions are the engine's workflow model (`WorkflowSchema`).
 */

import { onConnection } from "../../catalog/samples.ts";
import { WorkflowSchema } from "../../engine/workflow.ts";
import { runHealthCounts } from "../../store/runs.ts";
import type { StoredWorkflow } from "../../store/workflows.ts";
import { conflict, HttpError, notFound } from "../errors.ts";
import {
  EnableBody,
  IdParams,
  NoContent,
  StepTestBody,
  StepTestResult,
  ValidationResult,
  WorkflowCreateBody,
  WorkflowSummary,
  WorkflowTestBody,
  WorkflowTestResult,
  WorkflowUpdateBody,
  WorkflowValidateBody,
  WorkflowVersionView,
  WorkflowView,
} from "../schemas.ts";
import type { WorkflowSummary as Summary, WorkflowView as View, WorkflowDefinition } from "../wire.ts";
import { catalogTriggers, liveSample, triggerTitles } from "./catalogue.ts";
import { missingEngine, type RouteContext, type RoutePlugin } from "./context.ts";

/** A stored definition as the model reads it (every stored one passed validation when saved). */
export const definitionOf = (w: StoredWorkflow): WorkflowDefinition => WorkflowSchema.parse(w.definition);

/**
 * The trigger key and step count of a stored definition, read without parsing all of it: the list
 * and the webhook routes need only these, so one odd stored row cannot break them.
 */
export function outlineOf(definition: unknown): { trigger: string; steps: number } {
  const d = (definition ?? {}) as { trigger?: { key?: unknown }; steps?: unknown };
  return {
    trigger: typeof d.trigger?.key === "string" ? d.trigger.key : "",
    steps: Array.isArray(d.steps) ? d.steps.length : 0,
  };
}

function summaryOf(w: StoredWorkflow, title: (triggerKey: string) => string): Summary {
  const outline = outlineOf(w.definition);
  return {
    id: String(w.id),
    name: w.name,
    enabled: w.enabled,
    version: w.version,
    ...outline,
    triggerTitle: title(outline.trigger),
    updatedAt: w.updatedAt,
    pausedReason: w.pausedReason,
    hasDraft: w.draft !== null,
  };
}

/** The draft as the API shows it; one that no longer reads as a workflow is left out, not an error. */
function draftOf(w: StoredWorkflow): View["draft"] {
  const parsed = w.draft && WorkflowSchema.safeParse(w.draft.definition);
  return w.draft && parsed?.success ? { definition: parsed.data, savedAt: w.draft.savedAt } : null;
}

export const viewOf = (w: StoredWorkflow, title: (triggerKey: string) => string): View => ({
  ...summaryOf(w, title),
  definition: definitionOf(w),
  draft: draftOf(w),
});

export async function findWorkflow(ctx: RouteContext, id: string): Promise<StoredWorkflow> {
  const w = await ctx.store.workflows.find(/^\d+$/.test(id) ? Number(id) : id);
  if (!w) throw notFound(`Workflow "${id}"`);
  return w;
}

/** The engine's checks beyond the schema: known keys, unique ids, expressions that parse. */
function validated(ctx: RouteContext, definition: WorkflowDefinition): WorkflowDefinition {
  if (!ctx.engine) return definition;
  const result = ctx.engine.validate(definition);
  if (!result.ok)
    throw new HttpError(422, "invalid_workflow", "The workflow is not valid: fix the fields listed.", result.errors);
  return result.definition;
}

/** Refuses to switch on (or keep on) a workflow that could not run: the static activation check. */
async function activatable(ctx: RouteContext, definition: WorkflowDefinition): Promise<void> {
  const issues = (await ctx.engine?.activationIssues?.(definition)) ?? [];
  if (issues.length > 0)
    throw new HttpError(
      422,
      "not_activatable",
      "The workflow cannot be switched on yet: fix the fields listed (it can still be saved switched off).",
      issues,
    );
}

/**
 * Runs `check` on a change to `existing`; when it refuses (invalid, or it cannot be switched on),
 * keeps the submitted definition as the workflow's draft and says so in the refusal: no version is
 * made, and the current one goes on running (or staying off) as it was.
 */
async function keptIfRefused(
  ctx: RouteContext,
  existing: StoredWorkflow,
  submitted: WorkflowDefinition,
  actor: string,
  check: () => Promise<WorkflowDefinition>,
): Promise<WorkflowDefinition> {
  try {
    return await check();
  } catch (e) {
    if (!(e instanceof HttpError) || e.statusCode !== 422) throw e;
    await ctx.store.workflows.keepDraft(existing.id, submitted, actor);
    const state = existing.enabled ? `version ${existing.version} still runs` : "it stays off";
    const kept = new HttpError(
      422,
      e.code,
      `${e.message.replace(/ \(.*\)\.$|\.$/, "")} (the changes are kept as a draft; ${state}).`,
      e.details,
    );
    kept.draftKept = true;
    throw kept;
  }
}

export const workflowRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["workflows"];
  const changed = () => ctx.engine?.notify?.("workflows-changed");

  app.get(
    "/api/workflows",
    { schema: { summary: "List workflows.", tags, response: { 200: WorkflowSummary.array() } } },
    async () => {
      const title = triggerTitles(ctx.engine);
      return Promise.all(
        (await ctx.store.workflows.list()).map(async (w) => {
          const [counts, [last]] = await Promise.all([
            ctx.store.runs.counts(w.id),
            ctx.store.runs.list({ workflowId: w.id, limit: 1 }),
          ]);
          const health = {
            lastRun: last ? { id: String(last.id), status: last.status, at: last.finishedAt ?? last.createdAt } : null,
            ...runHealthCounts(counts),
          };
          return { ...summaryOf(w, title), health };
        }),
      );
    },
  );

  app.post(
    "/api/workflows",
    {
      schema: {
        summary: "Create a workflow (inactive unless enabled is true).",
        tags,
        body: WorkflowCreateBody,
        response: { 201: WorkflowView },
      },
    },
    async (req, reply) => {
      const definition = validated(ctx, req.body.definition);
      if (await ctx.store.workflows.find(definition.name))
        throw conflict(`A workflow named "${definition.name}" already exists.`);
      if (req.body.enabled)
        await activatable(ctx, definition).catch((e: unknown) => {
          // Nothing is created: a workflow never saved has no version to protect, and an API caller
          // who sees a 422 expects nothing stored. The editor saves a new workflow off first.
          if (e instanceof HttpError) e.draftKept = false;
          throw e;
        });
      const saved = await ctx.store.workflows.save(definition.name, definition, {
        enabled: req.body.enabled ?? false,
        actor: ctx.actor(req),
      });
      changed();
      return reply.code(201).send(viewOf(saved, triggerTitles(ctx.engine)));
    },
  );

  app.post(
    "/api/workflows/validate",
    {
      schema: {
        summary: "Validate a definition without saving it; problems lists what keeps it from being switched on.",
        tags,
        body: WorkflowValidateBody,
        response: { 200: ValidationResult },
      },
    },
    async (req) => {
      if (!ctx.engine) throw missingEngine();
      const result = ctx.engine.validate(req.body.definition);
      if (!result.ok) return { valid: false, errors: result.errors, problems: [] };
      return { valid: true, errors: [], problems: (await ctx.engine.activationIssues?.(result.definition)) ?? [] };
    },
  );

  app.post(
    "/api/workflows/test",
    {
      schema: {
        summary: "Run a whole workflow once on a sample (or given) trigger event, without storing a run.",
        tags,
        body: WorkflowTestBody,
        response: { 200: WorkflowTestResult },
      },
    },
    async (req) => {
      if (!ctx.engine?.testWorkflow) throw missingEngine();
      const definition = validated(ctx, req.body.definition);
      let trigger = req.body.trigger;
      const builtin = () => catalogTriggers(ctx.engine).find((t) => t.key === definition.trigger.key)?.sample ?? {};
      if (trigger === undefined && req.body.live) {
        const client = await ctx.clientFor(definition.trigger.connection ?? "default");
        trigger = (await liveSample(client, definition.trigger.key)) ?? onConnection(builtin(), client.baseUrl);
      }
      trigger ??= builtin();
      return ctx.engine.testWorkflow({ definition, trigger });
    },
  );

  app.get(
    "/api/workflows/:id",
    {
      schema: {
        summary: "One workflow with its current definition.",
        tags,
        params: IdParams,
        response: { 200: WorkflowView },
      },
    },
    async (req) => viewOf(await findWorkflow(ctx, req.params.id), triggerTitles(ctx.engine)),
  );

  app.put(
    "/api/workflows/:id",
    {
      schema: {
        summary:
          "Replace a workflow's definition (a new version when it changed); refused, the definition is kept as its draft.",
        tags,
        params: IdParams,
        body: WorkflowUpdateBody,
        response: { 200: WorkflowView },
      },
    },
    async (req) => {
      const existing = await findWorkflow(ctx, req.params.id);
      const enabled = req.body.enabled ?? existing.enabled;
      const definition = await keptIfRefused(ctx, existing, req.body.definition, ctx.actor(req), async () => {
        const checked = validated(ctx, req.body.definition);
        // A live workflow stays able to run: a change that breaks it is refused, and kept as a draft.
        if (enabled) await activatable(ctx, checked);
        return checked;
      });
      if (definition.name !== existing.name) {
        if (await ctx.store.workflows.find(definition.name))
          throw conflict(`A workflow named "${definition.name}" already exists.`);
        await ctx.store.workflows.rename(existing.id, definition.name, ctx.actor(req));
      }
      const saved = await ctx.store.workflows.save(definition.name, definition, { enabled, actor: ctx.actor(req) });
      changed();
      return viewOf(saved, triggerTitles(ctx.engine));
    },
  );

  app.delete(
    "/api/workflows/:id/draft",
    {
      schema: {
        summary: "Discard a workflow's draft (its versions stay as they are).",
        tags,
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const w = await findWorkflow(ctx, req.params.id);
      await ctx.store.workflows.discardDraft(w.id, ctx.actor(req));
      return reply.code(204).send();
    },
  );

  app.delete(
    "/api/workflows/:id",
    { schema: { summary: "Delete a workflow.", tags, params: IdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      const w = await findWorkflow(ctx, req.params.id);
      await ctx.store.workflows.remove(w.name, ctx.actor(req));
      await ctx.webhooks.remove(w.id);
      changed();
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/workflows/:id/enable",
    {
      schema: {
        summary: "Activate: the trigger fires for changes from now on (since: backfill from an ISO time).",
        tags,
        params: IdParams,
        body: EnableBody,
        response: { 200: WorkflowView },
      },
    },
    async (req) => {
      const w = await findWorkflow(ctx, req.params.id);
      await activatable(ctx, validated(ctx, definitionOf(w)));
      const saved = await ctx.store.workflows.setEnabled(w.name, true, {
        since: req.body?.since,
        actor: ctx.actor(req),
      });
      changed();
      return viewOf(saved, triggerTitles(ctx.engine));
    },
  );

  app.post(
    "/api/workflows/:id/disable",
    { schema: { summary: "Deactivate.", tags, params: IdParams, response: { 200: WorkflowView } } },
    async (req) => {
      const w = await findWorkflow(ctx, req.params.id);
      const saved = await ctx.store.workflows.setEnabled(w.name, false, { actor: ctx.actor(req) });
      changed();
      return viewOf(saved, triggerTitles(ctx.engine));
    },
  );

  app.get(
    "/api/workflows/:id/versions",
    {
      schema: {
        summary: "Every stored version of a workflow, newest first.",
        tags,
        params: IdParams,
        response: { 200: WorkflowVersionView.array() },
      },
    },
    async (req) => {
      const w = await findWorkflow(ctx, req.params.id);
      return (await ctx.store.workflows.versions(w.id)).map((v) => ({
        ...v,
        definition: WorkflowSchema.parse(v.definition),
      }));
    },
  );

  app.post(
    "/api/steps/test",
    {
      schema: {
        summary: "Run one step for real (against its connection) with earlier outputs as {{ }} context.",
        tags,
        body: StepTestBody,
        response: { 200: StepTestResult },
      },
    },
    async (req) => {
      if (!ctx.engine) throw missingEngine();
      const { step, connection, context } = req.body;
      return ctx.engine.testStep({
        step,
        connection: connection ?? step.connection,
        context: { trigger: context?.trigger ?? {}, steps: context?.steps ?? {} },
      });
    },
  );
};
