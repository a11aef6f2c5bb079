/**
 * Inbound webhooks: the URL a workflow with the webhook trigger is started by (shown to the
 * signed-in user, rotated to revoke it) and `POST /hooks/<token>` itself, which needs no login
 * and takes posts from any site: the unguessable token is the credential.
 */
import { randomUUID } from "node:crypto";
import { HttpError, notFound } from "../errors.ts";
import { HookAccepted, HookParams, IdParams, WebhookPath } from "../schemas.ts";
import { WEBHOOK_PREFIX, type WebhookEvent } from "../webhooks.ts";
import type { RoutePlugin } from "./context.ts";
import { findWorkflow, outlineOf } from "./workflows.ts";

const triggerKeyOf = (definition: unknown) => outlineOf(definition).trigger;

export const hookRoutes: RoutePlugin = async (app, ctx) => {
  for (const verb of ["get", "rotate"] as const) {
    app.route({
      method: verb === "get" ? "GET" : "POST",
      url: verb === "get" ? "/api/workflows/:id/webhook" : "/api/workflows/:id/webhook/rotate",
      schema: {
        summary:
          verb === "get"
            ? "The path other apps POST to (webhook trigger only); created on first request."
            : "Replace the webhook's token: the old URL stops working.",
        tags: ["workflows"],
        params: IdParams,
        response: { 200: WebhookPath },
      },
      handler: async (req) => {
        const w = await findWorkflow(ctx, req.params.id);
        if (triggerKeyOf(w.definition) !== "webhook")
          throw new HttpError(409, "not_webhook", `Workflow "${w.name}" is not started by a webhook trigger.`);
        const token = verb === "get" ? await ctx.webhooks.tokenFor(w.id) : await ctx.webhooks.rotate(w.id);
        if (verb === "rotate") await ctx.store.audit.record(ctx.actor(req), "workflow.webhook_rotated", w.name, null);
        return { path: `${WEBHOOK_PREFIX}${token}` };
      },
    });
  }

  app.post(
    `${WEBHOOK_PREFIX}:token`,
    {
      config: { public: true, crossSite: true, rateLimit: { max: 120, timeWindow: "1 minute" } },
      schema: {
        summary:
          "Inbound webhook: queues a run of the workflow; its trigger is { body, query, receivedAt }. Send JSON or nothing.",
        tags: ["webhooks"],
        security: [],
        params: HookParams,
        response: { 202: HookAccepted },
      },
    },
    async (req, reply) => {
      const id = await ctx.webhooks.workflowOf(req.params.token);
      const w = id === undefined ? undefined : await ctx.store.workflows.find(id);
      // One answer for "no such token" and "workflow gone": the URL tells a stranger nothing.
      if (!w || triggerKeyOf(w.definition) !== "webhook") throw notFound("This webhook");
      if (!w.enabled || w.pausedReason)
        throw new HttpError(
          409,
          "workflow_inactive",
          `The workflow behind this webhook is ${w.pausedReason ? "paused" : "not active"}; activate it first.`,
        );
      const receivedAt = new Date().toISOString();
      const event: WebhookEvent = {
        body: req.body ?? null,
        query: (req.query ?? {}) as Record<string, unknown>,
        receivedAt,
      };
      const runId = await ctx.store.runs.enqueue({
        workflowId: w.id,
        workflowVersion: w.version,
        triggerKey: "webhook",
        eventKey: `webhook@${receivedAt}#${randomUUID()}`,
        payload: event,
      });
      ctx.engine?.notify?.("run-queued");
      return reply.code(202).send({ runId: String(runId) });
    },
  );
};
