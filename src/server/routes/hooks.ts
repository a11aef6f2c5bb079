/**
 * Inbound webhooks: the URL a workflow with the webhook trigger is started by (shown to the
 * signed-in user, rotated to revoke it) and `POST /hooks/<token>` itself, which needs no login
 * and takes posts from any site: the unguessable token is the credential.
 */
import { randomUUID } from "node:crypto";
import type { FastifyReply } from "fastify";
import { hasControlCharacter } from "../../engine/names.ts";
import { WEBHOOK_SEEN } from "../../store/runs.ts";
import { HttpError, notFound } from "../errors.ts";
import { HookAccepted, HookParams, IdParams, WebhookPath } from "../schemas.ts";
import { RETRY_AFTER_QUEUE_FULL_S, RETRY_AFTER_STORAGE_FULL_S } from "../webhook-limits.ts";
import { type HookTarget, WEBHOOK_PREFIX, type WebhookEvent } from "../webhooks.ts";
import type { RoutePlugin } from "./context.ts";
import { findWorkflow, outlineOf } from "./workflows.ts";

const triggerKeyOf = (definition: unknown) => outlineOf(definition).trigger;

/** Posts per minute per sender address to tokens that do not exist. */
const UNKNOWN_TOKEN_POSTS_PER_MINUTE = 30;
const MAX_KEY_LENGTH = 200;

/**
 * The post's idempotency key: the `Idempotency-Key` header, else the value at the workflow's
 * `trigger.options.idempotencyKey` path (e.g. `body.submission_id`) — a plain property path read
 * from the data, never evaluated. Undefined when neither gives a value.
 */
function idempotencyKey(
  header: string | string[] | undefined,
  event: WebhookEvent,
  options: Record<string, unknown> | undefined,
): string | undefined {
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader?.trim()) return clip(fromHeader.trim());
  const path = options?.idempotencyKey;
  if (typeof path !== "string" || !path) return undefined;
  let value: unknown = event;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === "string" || typeof value === "number" ? clip(String(value)) : undefined;
}

function clip(key: string): string {
  if (key.length > MAX_KEY_LENGTH || hasControlCharacter(key))
    throw new HttpError(
      400,
      "bad_idempotency_key",
      `The idempotency key must be at most ${MAX_KEY_LENGTH} printable characters.`,
    );
  return key;
}

export const hookRoutes: RoutePlugin = async (app, ctx) => {
  /**
   * Refuses a post while its workflow is at a cap (queued runs, stored bytes), before anything is
   * stored. Concurrent posts may each pass the check, so a cap can be passed by at most the posts
   * in flight at that moment: it bounds the disk, it is not an exact count.
   */
  async function withinCaps(workflowId: number, reply: FastifyReply): Promise<void> {
    const { maxQueuedRuns, maxStoredBytes } = ctx.webhookLimits;
    const usage = await ctx.store.runs.usage(workflowId);
    if (usage.queued >= maxQueuedRuns) {
      reply.header("retry-after", String(RETRY_AFTER_QUEUE_FULL_S));
      throw new HttpError(
        429,
        "queue_full",
        `This workflow already has ${usage.queued} runs waiting (the limit is ${maxQueuedRuns}); send again later.`,
      );
    }
    if (usage.storedBytes >= maxStoredBytes) {
      reply.header("retry-after", String(RETRY_AFTER_STORAGE_FULL_S));
      throw new HttpError(
        503,
        "storage_full",
        `This workflow's run history holds its limit of ${Math.round(maxStoredBytes / 1048576)} MB of webhook data; older runs must be pruned (RUN_RETENTION_DAYS) or erased first.`,
      );
    }
  }

  // A post's token is looked up once: the rate limit's key and the handler share the answer.
  const targets = new WeakMap<object, Promise<HookTarget | undefined>>();
  const targetOf = (req: object, token: string) => {
    let t = targets.get(req);
    if (!t) {
      t = ctx.webhooks.target(token);
      targets.set(req, t);
    }
    return t;
  };

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
      bodyLimit: ctx.webhookLimits.bodyBytes,
      config: {
        public: true,
        crossSite: true,
        // A known URL is limited per token (a busy form may post every sign-up from one address);
        // posts to unknown tokens are limited per address, so guessing cannot block a real sender.
        rateLimit: {
          timeWindow: "1 minute",
          keyGenerator: async (req) => {
            const { token } = req.params as { token?: string };
            return token && (await targetOf(req, token)) !== undefined ? `token:${token}` : `addr:${req.ip}`;
          },
          max: (_req, key) => (key.startsWith("token:") ? ctx.webhookPostsPerMinute : UNKNOWN_TOKEN_POSTS_PER_MINUTE),
        },
      },
      schema: {
        summary:
          "Inbound webhook: queues a run of the workflow; its trigger is { body, query, receivedAt }. Send JSON or nothing.",
        tags: ["webhooks"],
        security: [],
        params: HookParams,
        response: { 200: HookAccepted, 202: HookAccepted },
      },
    },
    async (req, reply) => {
      const w = await targetOf(req, req.params.token);
      // One answer for "no such token" and "workflow gone": the URL tells a stranger nothing.
      if (w?.trigger.key !== "webhook") throw notFound("This webhook");
      if (!w.enabled || w.pausedReason)
        throw new HttpError(
          409,
          "workflow_inactive",
          `The workflow behind this webhook is ${w.pausedReason ? "paused" : "not active"}; activate it first.`,
        );
      await withinCaps(w.workflowId, reply);
      const receivedAt = new Date().toISOString();
      const event: WebhookEvent = {
        body: req.body ?? null,
        query: (req.query ?? {}) as Record<string, unknown>,
        receivedAt,
      };
      const key = idempotencyKey(req.headers["idempotency-key"], event, w.trigger.options);
      const run = {
        workflowId: w.workflowId,
        workflowVersion: w.version,
        triggerKey: "webhook",
        eventTime: receivedAt,
        payload: event,
      };
      if (key === undefined) {
        const fresh = { ...run, eventKey: `webhook@${receivedAt}#${randomUUID()}` };
        // Started at once by a free worker of this process when nothing else waits; else queued.
        const started = await ctx.engine?.submitRun?.({ ...fresh, workflow: w.name, metadataOnly: w.metadataOnly });
        if (started !== undefined) return reply.code(202).send({ runId: String(started) });
        const runId = await ctx.store.runs.enqueue(fresh);
        ctx.engine?.notify?.("run-queued");
        return reply.code(202).send({ runId: String(runId) });
      }
      // A sender's retry carries the same key: the first post's run answers it, nothing is queued.
      // The key is often personal (an email address): only its keyed digest is stored.
      const once = await ctx.store.polling.enqueueOnce({
        ...run,
        eventKey: `webhook#${ctx.store.digest(key)}`,
        connectionKey: WEBHOOK_SEEN,
        pollKey: `workflow:${w.workflowId}`,
      });
      if (once.duplicate) return reply.code(200).send({ runId: String(once.runId), duplicate: true });
      ctx.engine?.notify?.("run-queued");
      return reply.code(202).send({ runId: String(once.runId) });
    },
  );
};
