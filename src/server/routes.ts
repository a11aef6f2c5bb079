/**
 * The REST API as one table: method, URL, schemas (validation, response shaping, OpenAPI) and a
 * handler each. Connections are addressed by name, workflows by id (or name), runs by id.
 */
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { actionSummary, actions, triggerSummary, triggers } from "../catalog/index.ts";
import { createClient } from "../cliniko/client.ts";
import { ClinikoError } from "../cliniko/errors.ts";
import type { ClinikoClient, ClinikoRecord } from "../cliniko/types.ts";
import type { Store } from "../store/index.ts";
import type { RunRecord, StepRecord } from "../store/runs.ts";
import type { StoredWorkflow } from "../store/workflows.ts";
import type { AuthStore } from "./auth.ts";
import { DEMO_ACTIONS, type DemoClinic } from "./demo-clinic.ts";
import type { ServerEngine } from "./engine-port.ts";
import { badRequest, conflict, HttpError, notFound } from "./errors.ts";
import {
  any,
  arr,
  bool,
  connectionView,
  idParams,
  int,
  obj,
  okBody,
  runSummary,
  runView,
  type Schema,
  stepTestResult,
  str,
  tokenView,
  workflowDefinition,
  workflowSummary,
  workflowView,
} from "./schemas.ts";
import { WEBHOOK_PREFIX, type WebhookEvent, type WebhookTokens } from "./webhooks.ts";
import type {
  CatalogAction,
  CatalogTrigger,
  ConnectionView,
  RunSummary,
  RunView,
  WorkflowDefinition,
  WorkflowSummary,
  WorkflowView,
} from "./wire.ts";

export interface RouteContext {
  store: Store;
  auth: AuthStore;
  webhooks: WebhookTokens;
  engine?: ServerEngine;
  /** The sandbox clinic's changes, under `serve --demo` only. */
  demo?: DemoClinic;
  /** A Cliniko client for a stored connection (the engine's, so pacing is shared). */
  clientFor(connection: string): Promise<ClinikoClient>;
  /** Marks the session cookie; the app owns cookie options. */
  startSession(reply: FastifyReply): Promise<void>;
  endSession(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  actor(req: FastifyRequest): string;
}

export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  summary: string;
  tag: string;
  /** False for the login route (and /healthz, declared in app.ts). */
  auth?: boolean;
  /** Login attempts and inbound webhooks are rate limited (per client address). */
  rateLimit?: { max: number; timeWindow: string };
  /** Other sites may call it (inbound webhooks: the token in the URL is the credential). */
  crossSite?: boolean;
  /** Registered only under `serve --demo`; otherwise the path answers 404 like any unknown route. */
  demoOnly?: boolean;
  schema: { body?: Schema; querystring?: Schema; params?: Schema; response?: Record<number, Schema> };
  handler(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

type Req<T = Record<string, never>> = FastifyRequest & {
  body: T extends { body?: infer B } ? B : never;
  params: T extends { params?: infer P } ? P : never;
  query: T extends { query?: infer Q } ? Q : never;
};
const as = <T>(req: FastifyRequest) => req as Req<T>;

const NAME = "^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$";

// ── mapping store records to the wire ────────────────────────────────────────────────────────────

function connectionOf(c: {
  name: string;
  email: string;
  region: string | null;
  baseUrl: string | null;
  createdAt: string;
}): ConnectionView {
  return { id: c.name, name: c.name, email: c.email, region: c.region, baseUrl: c.baseUrl, createdAt: c.createdAt };
}

function definitionOf(w: StoredWorkflow): WorkflowDefinition {
  return w.definition as WorkflowDefinition;
}

function workflowSummaryOf(w: StoredWorkflow): WorkflowSummary {
  const d = definitionOf(w);
  return {
    id: String(w.id),
    name: w.name,
    enabled: w.enabled,
    version: w.version,
    trigger: d?.trigger?.key ?? "",
    steps: Array.isArray(d?.steps) ? d.steps.length : 0,
    updatedAt: w.updatedAt,
    pausedReason: w.pausedReason,
  };
}

const workflowViewOf = (w: StoredWorkflow): WorkflowView => ({ ...workflowSummaryOf(w), definition: definitionOf(w) });

const duration = (from: string | null, to: string | null) =>
  from && to ? Math.max(0, new Date(to).getTime() - new Date(from).getTime()) : null;

function runSummaryOf(r: RunRecord): RunSummary {
  return {
    id: String(r.id),
    workflow: r.workflow,
    workflowId: String(r.workflowId),
    trigger: r.trigger,
    eventKey: r.eventKey,
    status: r.status,
    startedAt: r.startedAt ?? r.createdAt,
    finishedAt: r.finishedAt,
    durationMs: duration(r.startedAt, r.finishedAt),
    error: r.error,
  };
}

function runViewOf(r: RunRecord, steps: StepRecord[]): RunView {
  return {
    ...runSummaryOf(r),
    payload: r.triggerPayload,
    version: r.workflowVersion,
    steps: steps.map((s) => ({
      stepId: s.stepId,
      status: s.status,
      input: s.input,
      output: s.output,
      error: s.error,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      durationMs: duration(s.startedAt, s.finishedAt),
    })),
  };
}

async function findWorkflow(ctx: RouteContext, id: string): Promise<StoredWorkflow> {
  const w = await ctx.store.workflows.find(/^\d+$/.test(id) ? Number(id) : id);
  if (!w) throw notFound(`Workflow "${id}"`);
  return w;
}

function validated(ctx: RouteContext, definition: unknown): WorkflowDefinition {
  if (!ctx.engine) return definition as WorkflowDefinition;
  const result = ctx.engine.validate(definition);
  if (!result.ok)
    throw new HttpError(422, "invalid_workflow", "The workflow is not valid: fix the fields listed.", result.errors);
  return result.definition;
}

// ── the catalogue as the API shows it ────────────────────────────────────────────────────────────

function catalogActions(engine?: ServerEngine): CatalogAction[] {
  const list: CatalogAction[] = actions.map(actionSummary);
  for (const b of engine?.builtinSteps?.() ?? [])
    list.push({ ...b, group: "Built-in steps", kind: "builtin", builtin: true, inputSchema: b.inputSchema });
  return list;
}

function catalogTriggers(engine?: ServerEngine): CatalogTrigger[] {
  const list: CatalogTrigger[] = triggers.map(triggerSummary);
  for (const b of engine?.builtinTriggers?.() ?? [])
    list.push({ ...b, group: "Built-in triggers", kind: "builtin", builtin: true });
  return list;
}

/** The newest record this trigger would fire for, as a realistic sample payload. */
async function liveSample(client: ClinikoClient, key: string): Promise<ClinikoRecord | undefined> {
  const t = triggers.find((x) => x.key === key);
  if (!t) throw notFound(`Trigger "${key}"`);
  const page = await client.listPage(t.paths[0]!, { perPage: 20, sort: "updated_at:desc", q: t.stateFilters });
  if (t.event === "cancelled") return page.records.find((r) => r.cancelled_at);
  if (t.event === "updated") return page.records.find((r) => r.created_at !== r.updated_at) ?? page.records[0];
  return page.records[0];
}

const missingEngine = () =>
  new HttpError(503, "engine_unavailable", "The workflow engine is not running in this process.");

// ── the table ────────────────────────────────────────────────────────────────────────────────────

const catalogItem = obj({}, [], { additionalProperties: true });

const demoChange = obj({ action: str(), resource: str(), id: str(), description: str() }, [
  "action",
  "resource",
  "id",
  "description",
]);

export const routes: RouteDef[] = [
  // Session
  {
    method: "POST",
    url: "/api/login",
    summary: "Log in with the admin password; sets the session cookie (HttpOnly, SameSite=Strict).",
    tag: "auth",
    auth: false,
    rateLimit: { max: 10, timeWindow: "1 minute" },
    schema: { body: obj({ password: str({ minLength: 1 }) }, ["password"]), response: { 200: okBody } },
    async handler(ctx, req, reply) {
      const { password } = as<{ body: { password: string } }>(req).body;
      if (!(await ctx.auth.hasPassword()))
        throw new HttpError(
          409,
          "no_password",
          "No admin password is set yet: run `cliniko-flow admin set-password` or set CLINIKO_FLOW_ADMIN_PASSWORD.",
        );
      if (!(await ctx.auth.checkPassword(password)))
        throw new HttpError(401, "invalid_password", "That password is not right.");
      await ctx.startSession(reply);
      return { ok: true };
    },
  },
  {
    method: "POST",
    url: "/api/logout",
    summary: "End the session.",
    tag: "auth",
    schema: { response: { 200: okBody } },
    async handler(ctx, req, reply) {
      await ctx.endSession(req, reply);
      return { ok: true };
    },
  },
  {
    method: "GET",
    url: "/api/session",
    summary: "Whether the request is authenticated (401 otherwise).",
    tag: "auth",
    schema: { response: { 200: obj({ authenticated: bool(), via: str() }, ["authenticated"]) } },
    async handler(ctx, req) {
      return { authenticated: true, via: ctx.actor(req) === "token" ? "token" : "session" };
    },
  },
  {
    method: "GET",
    url: "/api/tokens",
    summary: "List API tokens (never the tokens themselves).",
    tag: "auth",
    schema: { response: { 200: arr(tokenView) } },
    handler: (ctx) => ctx.auth.listTokens(),
  },
  {
    method: "POST",
    url: "/api/tokens",
    summary: "Create an API token for scripts; the token is in this response only.",
    tag: "auth",
    schema: {
      body: obj({ name: str({ minLength: 1, maxLength: 200 }) }, ["name"]),
      response: { 201: obj({ ...(tokenView.properties as Record<string, Schema>), token: str() }, ["id", "token"]) },
    },
    async handler(ctx, req, reply) {
      reply.code(201);
      return ctx.auth.createToken(as<{ body: { name: string } }>(req).body.name);
    },
  },
  {
    method: "DELETE",
    url: "/api/tokens/:id",
    summary: "Revoke an API token.",
    tag: "auth",
    schema: { params: idParams },
    async handler(ctx, req, reply) {
      if (!(await ctx.auth.removeToken(as<{ params: { id: string } }>(req).params.id))) throw notFound("Token");
      reply.code(204);
    },
  },

  // Connections
  {
    method: "GET",
    url: "/api/connections",
    summary: "List Cliniko connections (the API key is write-only and never returned).",
    tag: "connections",
    schema: { response: { 200: arr(connectionView) } },
    async handler(ctx) {
      return (await ctx.store.connections.list()).map(connectionOf);
    },
  },
  {
    method: "POST",
    url: "/api/connections",
    summary: "Add a Cliniko connection.",
    tag: "connections",
    schema: {
      body: obj(
        {
          name: str({ pattern: NAME, description: "Letters, digits, space, _ . - (max 64)." }),
          apiKey: str({ minLength: 1, writeOnly: true }),
          email: str({ minLength: 3 }),
          region: str({ description: "AU1–AU5, CA1, UK1–UK3, EU1; default: from the key's suffix." }),
          baseUrl: str({ description: "Full base URL override, e.g. a sandbox's http://127.0.0.1:4010/v1." }),
        },
        ["name", "apiKey", "email"],
      ),
      response: { 201: connectionView },
    },
    async handler(ctx, req, reply) {
      const body = as<{ body: { name: string; apiKey: string; email: string; region?: string; baseUrl?: string } }>(
        req,
      ).body;
      const config = {
        name: body.name.trim(),
        apiKey: body.apiKey.trim(),
        email: body.email.trim(),
        ...(body.region ? { region: body.region.trim().toLowerCase() } : {}),
        ...(body.baseUrl ? { baseUrl: body.baseUrl.trim() } : {}),
      };
      if (await ctx.store.connections.find(config.name))
        throw conflict(`A connection named "${config.name}" already exists; remove it first to replace it.`);
      try {
        // Checks the key's shape, the email and the region/base URL before anything is stored.
        createClient({ ...config, rateLimit: false });
      } catch (err) {
        if (err instanceof ClinikoError) throw badRequest(err.message);
        throw err;
      }
      await ctx.store.connections.save(config, ctx.actor(req));
      const saved = (await ctx.store.connections.list()).find((c) => c.name === config.name)!;
      reply.code(201);
      return connectionOf(saved);
    },
  },
  {
    method: "POST",
    url: "/api/connections/:id/test",
    summary: "Call Cliniko's GET /user with the stored key; answers with the user's name.",
    tag: "connections",
    schema: {
      params: idParams,
      response: {
        200: obj(
          {
            ok: bool(),
            message: str(),
            user: obj({ id: str(), name: str(), email: str() }, ["name"]),
          },
          ["ok"],
        ),
      },
    },
    async handler(ctx, req) {
      const name = as<{ params: { id: string } }>(req).params.id;
      if (!(await ctx.store.connections.find(name))) throw notFound(`Connection "${name}"`);
      try {
        const client = await ctx.clientFor(name);
        const { body } = await client.request<Record<string, unknown>>({ method: "GET", path: "/user" });
        const full = [body.first_name, body.last_name].filter(Boolean).join(" ");
        const user = {
          ...(body.id !== undefined ? { id: String(body.id) } : {}),
          name: full || String(body.email ?? "Cliniko user"),
          ...(typeof body.email === "string" ? { email: body.email } : {}),
        };
        return { ok: true, user };
      } catch (err) {
        if (err instanceof ClinikoError) return { ok: false, message: err.message };
        throw err;
      }
    },
  },
  {
    method: "DELETE",
    url: "/api/connections/:id",
    summary: "Remove a connection.",
    tag: "connections",
    schema: { params: idParams },
    async handler(ctx, req, reply) {
      const name = as<{ params: { id: string } }>(req).params.id;
      if (!(await ctx.store.connections.remove(name, ctx.actor(req)))) throw notFound(`Connection "${name}"`);
      reply.code(204);
    },
  },

  // Catalogue
  {
    method: "GET",
    url: "/api/catalog/actions",
    summary: "The 98 actions (and the built-in steps), each with its input JSON Schema and an output sample.",
    tag: "catalogue",
    schema: { response: { 200: arr(catalogItem) } },
    handler: async (ctx) => catalogActions(ctx.engine),
  },
  {
    method: "GET",
    url: "/api/catalog/triggers",
    summary: "The 36 triggers (and the built-in ones), each with a sample event.",
    tag: "catalogue",
    schema: { response: { 200: arr(catalogItem) } },
    handler: async (ctx) => catalogTriggers(ctx.engine),
  },
  {
    method: "GET",
    url: "/api/catalog/triggers/:id/sample",
    summary: "A trigger's sample event; with live=1, the newest matching record from the connection.",
    tag: "catalogue",
    schema: {
      params: idParams,
      querystring: obj({ connection: str(), live: str({ enum: ["0", "1", "true", "false"] }) }),
      response: { 200: obj({ sample: any(), live: bool() }, ["live"]) },
    },
    async handler(ctx, req) {
      const { params, query } = as<{ params: { id: string }; query: { connection?: string; live?: string } }>(req);
      const entry = catalogTriggers(ctx.engine).find((t) => t.key === params.id);
      if (!entry) throw notFound(`Trigger "${params.id}"`);
      if (query.live === "1" || query.live === "true") {
        const client = await ctx.clientFor(query.connection || "default");
        const record = await liveSample(client, params.id);
        if (record) return { sample: record, live: true };
      }
      return { sample: entry.sample ?? {}, live: false };
    },
  },

  // Workflows
  {
    method: "GET",
    url: "/api/workflows",
    summary: "List workflows.",
    tag: "workflows",
    schema: { response: { 200: arr(workflowSummary) } },
    async handler(ctx) {
      return (await ctx.store.workflows.list()).map(workflowSummaryOf);
    },
  },
  {
    method: "POST",
    url: "/api/workflows",
    summary: "Create a workflow (inactive unless enabled is true).",
    tag: "workflows",
    schema: {
      body: obj({ definition: workflowDefinition, enabled: bool() }, ["definition"]),
      response: { 201: workflowView },
    },
    async handler(ctx, req, reply) {
      const body = as<{ body: { definition: WorkflowDefinition; enabled?: boolean } }>(req).body;
      const definition = validated(ctx, body.definition);
      if (await ctx.store.workflows.find(definition.name))
        throw conflict(`A workflow named "${definition.name}" already exists.`);
      const saved = await ctx.store.workflows.save(definition.name, definition, {
        enabled: body.enabled ?? false,
        actor: ctx.actor(req),
      });
      ctx.engine?.notify?.("workflows-changed");
      reply.code(201);
      return workflowViewOf(saved);
    },
  },
  {
    method: "POST",
    url: "/api/workflows/validate",
    summary: "Validate a definition without saving it.",
    tag: "workflows",
    schema: {
      body: obj({ definition: any() }, ["definition"]),
      response: {
        200: obj({ valid: bool(), errors: arr(obj({ path: str(), message: str() }, ["path", "message"])) }, [
          "valid",
          "errors",
        ]),
      },
    },
    async handler(ctx, req) {
      if (!ctx.engine) throw missingEngine();
      const result = ctx.engine.validate(as<{ body: { definition: unknown } }>(req).body.definition);
      return result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors };
    },
  },
  {
    method: "POST",
    url: "/api/workflows/test",
    summary: "Run a whole workflow once on a sample (or given) trigger event, without storing a run.",
    tag: "workflows",
    schema: {
      body: obj({ definition: workflowDefinition, trigger: any(), live: bool() }, ["definition"]),
      response: {
        200: obj(
          {
            ok: bool(),
            trigger: any(),
            steps: arr(obj({ stepId: str(), ...(stepTestResult.properties as Record<string, Schema>) }, ["stepId"])),
          },
          ["ok", "steps"],
        ),
      },
    },
    async handler(ctx, req) {
      if (!ctx.engine?.testWorkflow) throw missingEngine();
      const body = as<{ body: { definition: WorkflowDefinition; trigger?: unknown; live?: boolean } }>(req).body;
      const definition = validated(ctx, body.definition);
      let trigger = body.trigger;
      if (trigger === undefined && body.live) {
        const client = await ctx.clientFor(definition.trigger.connection ?? "default");
        trigger = await liveSample(client, definition.trigger.key);
      }
      trigger ??= catalogTriggers(ctx.engine).find((t) => t.key === definition.trigger.key)?.sample ?? {};
      return ctx.engine.testWorkflow({ definition, trigger });
    },
  },
  {
    method: "GET",
    url: "/api/workflows/:id",
    summary: "One workflow with its current definition.",
    tag: "workflows",
    schema: { params: idParams, response: { 200: workflowView } },
    handler: async (ctx, req) => workflowViewOf(await findWorkflow(ctx, as<{ params: { id: string } }>(req).params.id)),
  },
  {
    method: "PUT",
    url: "/api/workflows/:id",
    summary: "Replace a workflow's definition (a new version when it changed).",
    tag: "workflows",
    schema: {
      params: idParams,
      body: obj({ definition: workflowDefinition }, ["definition"]),
      response: { 200: workflowView },
    },
    async handler(ctx, req) {
      const { params, body } = as<{ params: { id: string }; body: { definition: WorkflowDefinition } }>(req);
      const existing = await findWorkflow(ctx, params.id);
      const definition = validated(ctx, body.definition);
      if (definition.name !== existing.name) {
        if (await ctx.store.workflows.find(definition.name))
          throw conflict(`A workflow named "${definition.name}" already exists.`);
        await ctx.store.workflows.rename(existing.id, definition.name, ctx.actor(req));
      }
      const saved = await ctx.store.workflows.save(definition.name, definition, {
        enabled: existing.enabled,
        metadataOnly: existing.metadataOnly,
        actor: ctx.actor(req),
      });
      ctx.engine?.notify?.("workflows-changed");
      return workflowViewOf(saved);
    },
  },
  {
    method: "DELETE",
    url: "/api/workflows/:id",
    summary: "Delete a workflow.",
    tag: "workflows",
    schema: { params: idParams },
    async handler(ctx, req, reply) {
      const w = await findWorkflow(ctx, as<{ params: { id: string } }>(req).params.id);
      await ctx.store.workflows.remove(w.name, ctx.actor(req));
      await ctx.webhooks.remove(w.id);
      ctx.engine?.notify?.("workflows-changed");
      reply.code(204);
    },
  },
  ...(["enable", "disable"] as const).map(
    (verb): RouteDef => ({
      method: "POST",
      url: `/api/workflows/:id/${verb}`,
      summary:
        verb === "enable"
          ? "Activate: the trigger fires for changes from now on (since: backfill from an ISO time)."
          : "Deactivate.",
      tag: "workflows",
      schema: {
        params: idParams,
        ...(verb === "enable" ? { body: obj({ since: str({ format: "date-time" }) }) } : {}),
        response: { 200: workflowView },
      },
      async handler(ctx, req) {
        const { params, body } = as<{ params: { id: string }; body?: { since?: string } }>(req);
        const w = await findWorkflow(ctx, params.id);
        if (verb === "enable") validated(ctx, w.definition);
        const saved = await ctx.store.workflows.setEnabled(w.name, verb === "enable", {
          since: body?.since,
          actor: ctx.actor(req),
        });
        ctx.engine?.notify?.("workflows-changed");
        return workflowViewOf(saved);
      },
    }),
  ),
  {
    method: "GET",
    url: "/api/workflows/:id/versions",
    summary: "Every stored version of a workflow, newest first.",
    tag: "workflows",
    schema: {
      params: idParams,
      response: { 200: arr(obj({ version: int(), createdAt: str(), definition: any() }, ["version", "definition"])) },
    },
    async handler(ctx, req) {
      const w = await findWorkflow(ctx, as<{ params: { id: string } }>(req).params.id);
      return ctx.store.workflows.versions(w.id);
    },
  },

  // Inbound webhooks
  ...(["get", "rotate"] as const).map(
    (verb): RouteDef => ({
      method: verb === "get" ? "GET" : "POST",
      url: verb === "get" ? "/api/workflows/:id/webhook" : "/api/workflows/:id/webhook/rotate",
      summary:
        verb === "get"
          ? "The path other apps POST to (webhook trigger only); created on first request."
          : "Replace the webhook's token: the old URL stops working.",
      tag: "workflows",
      schema: { params: idParams, response: { 200: obj({ path: str() }, ["path"]) } },
      async handler(ctx, req) {
        const w = await findWorkflow(ctx, as<{ params: { id: string } }>(req).params.id);
        if (definitionOf(w)?.trigger?.key !== "webhook")
          throw new HttpError(409, "not_webhook", `Workflow "${w.name}" is not started by a webhook trigger.`);
        const token = verb === "get" ? await ctx.webhooks.tokenFor(w.id) : await ctx.webhooks.rotate(w.id);
        if (verb === "rotate") await ctx.store.audit.record(ctx.actor(req), "workflow.webhook_rotated", w.name, null);
        return { path: `${WEBHOOK_PREFIX}${token}` };
      },
    }),
  ),
  {
    method: "POST",
    url: `${WEBHOOK_PREFIX}:token`,
    summary:
      "Inbound webhook: queues a run of the workflow; its trigger is { body, query, receivedAt }. Send JSON or nothing.",
    tag: "webhooks",
    auth: false,
    crossSite: true,
    rateLimit: { max: 120, timeWindow: "1 minute" },
    schema: {
      params: obj({ token: str({ minLength: 1, maxLength: 64 }) }, ["token"]),
      response: { 202: obj({ runId: str() }, ["runId"]) },
    },
    async handler(ctx, req, reply) {
      const { params } = as<{ params: { token: string } }>(req);
      const id = await ctx.webhooks.workflowOf(params.token);
      const w = id === undefined ? undefined : await ctx.store.workflows.find(id);
      // One answer for "no such token" and "workflow gone": the URL tells a stranger nothing.
      if (!w || definitionOf(w)?.trigger?.key !== "webhook") throw notFound("This webhook");
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
      reply.code(202);
      return { runId: String(runId) };
    },
  },

  // Steps
  {
    method: "POST",
    url: "/api/steps/test",
    summary: "Run one step for real (against its connection) with earlier outputs as {{ }} context.",
    tag: "workflows",
    schema: {
      body: obj(
        {
          step: obj({ id: str(), action: str(), connection: str(), if: str(), input: any() }, ["id", "action"], {
            additionalProperties: true,
          }),
          connection: str(),
          context: obj({ trigger: any(), steps: obj({}, [], { additionalProperties: true }) }),
        },
        ["step"],
      ),
      response: { 200: stepTestResult },
    },
    async handler(ctx, req) {
      if (!ctx.engine) throw missingEngine();
      const body = as<{
        body: {
          step: WorkflowDefinition["steps"][number];
          connection?: string;
          context?: { trigger?: unknown; steps?: Record<string, unknown> };
        };
      }>(req).body;
      return ctx.engine.testStep({
        step: body.step,
        connection: body.connection ?? body.step.connection,
        context: { trigger: body.context?.trigger ?? {}, steps: body.context?.steps ?? {} },
      });
    },
  },

  // Runs
  {
    method: "GET",
    url: "/api/runs",
    summary: "List runs, newest first.",
    tag: "runs",
    schema: {
      querystring: obj({
        workflow: str({ description: "Workflow name or id." }),
        status: str({ enum: ["queued", "running", "succeeded", "failed", "unknown"] }),
        limit: int({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: arr(runSummary) },
    },
    async handler(ctx, req) {
      const q = as<{ query: { workflow?: string; status?: RunRecord["status"]; limit?: number } }>(req).query;
      let workflowId: number | undefined;
      if (q.workflow) {
        const w = await ctx.store.workflows.find(/^\d+$/.test(q.workflow) ? Number(q.workflow) : q.workflow);
        if (!w) return [];
        workflowId = w.id;
      }
      const runs = await ctx.store.runs.list({ workflowId, status: q.status, limit: q.limit ?? 100 });
      return runs.map(runSummaryOf);
    },
  },
  {
    method: "GET",
    url: "/api/runs/:id",
    summary: "One run with the trigger event and each step's input, output and error.",
    tag: "runs",
    schema: { params: idParams, response: { 200: runView } },
    async handler(ctx, req) {
      const id = as<{ params: { id: string } }>(req).params.id;
      const run = /^\d+$/.test(id) ? await ctx.store.runs.find(Number(id)) : undefined;
      if (!run) throw notFound(`Run "${id}"`);
      return runViewOf(run, await ctx.store.runs.steps(run.id));
    },
  },
  {
    method: "POST",
    url: "/api/runs/:id/replay",
    summary: "Queue a new run with the same trigger event, from the failed step (default) or from the start.",
    tag: "runs",
    schema: {
      params: idParams,
      body: obj({ from: str({ enum: ["failed", "start"] }) }),
      response: { 201: runSummary },
    },
    async handler(ctx, req, reply) {
      const { params, body } = as<{ params: { id: string }; body?: { from?: "failed" | "start" } }>(req);
      const run = /^\d+$/.test(params.id) ? await ctx.store.runs.find(Number(params.id)) : undefined;
      if (!run) throw notFound(`Run "${params.id}"`);
      if (run.status === "queued" || run.status === "running")
        throw conflict(`Run ${run.id} is still ${run.status}; replay it once it has finished.`);
      let newId: number;
      try {
        newId = await ctx.store.runs.replay(run.id, { fromStart: body?.from === "start" });
      } catch (err) {
        throw conflict((err as Error).message);
      }
      ctx.engine?.notify?.("run-queued");
      reply.code(201);
      return runSummaryOf((await ctx.store.runs.find(newId))!);
    },
  },
  // Demo clinic (serve --demo): changes in the in-process sandbox, so a trigger can fire from the UI.
  {
    method: "GET",
    url: "/api/demo",
    summary: "Whether serve --demo runs; then the sandbox clinic's base URL and row counts.",
    tag: "demo",
    schema: {
      response: {
        200: obj({ demo: bool(), sandboxUrl: str(), counts: obj({}, [], { additionalProperties: int() }) }, ["demo"]),
      },
    },
    handler: async (ctx) => ctx.demo?.info() ?? { demo: false },
  },
  ...DEMO_ACTIONS.map(
    (a): RouteDef => ({
      method: "POST",
      url: `/api/demo/${a.key}`,
      summary: `${a.label} in the sandbox clinic (serve --demo only; 404 otherwise).`,
      tag: "demo",
      demoOnly: true,
      schema: {
        ...(a.key === "add-patient"
          ? { body: obj({ firstName: str({ maxLength: 60 }), lastName: str({ maxLength: 60 }) }) }
          : {}),
        response: { [a.creates ? 201 : 200]: demoChange },
      },
      async handler(ctx, req, reply) {
        if (!ctx.demo) throw notFound("The demo clinic (start with serve --demo)");
        const change = ctx.demo.apply(a.key, as<{ body?: { firstName?: string; lastName?: string } }>(req).body);
        reply.code(a.creates ? 201 : 200);
        return change;
      },
    }),
  ),
];
