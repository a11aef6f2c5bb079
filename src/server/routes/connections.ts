/**
 * Connections (Cliniko and apps), addressed by name. Keys, passwords and tokens are write-only:
 * no response carries them. GET /api/connection-kinds gives each app kind's settings schema, from
 * which the web UI generates its form.
 */
import { z } from "zod";
import { BaseUrlNotAllowedError } from "../../apps/base-url.ts";
import {
  appConnectionKind,
  appConnectionKinds,
  testAppConnection,
  UnknownConnectionKindError,
} from "../../apps/connections.ts";
import { AppError } from "../../apps/errors.ts";
import { appConnectionConfig, InvalidConnectionError } from "../../apps/save.ts";
import { eventSummary } from "../../catalog/event-summary.ts";
import { createClient } from "../../cliniko/client.ts";
import { testClinikoConnection } from "../../cliniko/connection-test.ts";
import { ClinikoBaseUrlError, ClinikoError } from "../../cliniko/errors.ts";
import { checkBaseUrlToSave } from "../../cliniko/network.ts";
import { resource } from "../../cliniko/resources.ts";
import type { ConnectionConfig, ConnectionSummary } from "../../store/index.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import {
  ConnectionCreateBody,
  ConnectionKindView,
  ConnectionTestResult,
  ConnectionUpdateBody,
  ConnectionView,
  IdParams,
  NoContent,
  RecordChoice,
  RecordsParams,
} from "../schemas.ts";
import type { ConnectionView as ConnectionViewType } from "../wire.ts";
import type { RouteContext, RoutePlugin } from "./context.ts";

function connectionOf(c: ConnectionSummary): ConnectionViewType {
  return {
    id: c.name,
    name: c.name,
    kind: c.kind,
    email: c.email,
    region: c.region,
    baseUrl: c.baseUrl,
    settings: c.settings,
    summary: c.kind === "cliniko" ? c.email : appConnectionKind(c.kind).summary(c.settings ?? {}),
    createdAt: c.createdAt,
  };
}

function kindSchema(settings: z.ZodObject, secrets: readonly string[]): Record<string, unknown> {
  const schema = z.toJSONSchema(settings, { io: "input" }) as Record<string, unknown> & {
    properties?: Record<string, Record<string, unknown>>;
  };
  delete schema.$schema;
  for (const key of secrets) if (schema.properties?.[key]) schema.properties[key].writeOnly = true;
  return schema;
}

/**
 * Stores a Cliniko connection once its key's shape, email and region or base URL check out, the
 * base URL against the address policy too (as written and as its name resolves now): a refused
 * one is answered with one sentence at the `baseUrl` field.
 */
async function saveCliniko(ctx: RouteContext, config: ConnectionConfig, actor: string): Promise<void> {
  const network = ctx.clients.clinikoNetwork();
  try {
    createClient({ ...config, rateLimit: false, network });
    await checkBaseUrlToSave(config.baseUrl, network);
  } catch (err) {
    if (err instanceof ClinikoBaseUrlError) throw badRequest(err.message, [{ path: err.field, message: err.message }]);
    if (err instanceof ClinikoError) throw badRequest(err.message);
    throw err;
  }
  await ctx.store.connections.save(config, actor);
}

/** A stored connection as the API shows it. */
async function viewNamed(ctx: RouteContext, name: string): Promise<ConnectionViewType> {
  const saved = (await ctx.store.connections.list()).find((c) => c.name === name);
  if (!saved) throw notFound(`Connection "${name}"`);
  return connectionOf(saved);
}

export const connectionRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["connections"];

  app.get(
    "/api/connections",
    {
      schema: {
        summary: "List connections (keys, passwords and tokens are write-only and never returned).",
        tags,
        response: { 200: ConnectionView.array() },
      },
    },
    async () => (await ctx.store.connections.list()).map(connectionOf),
  );

  app.get(
    "/api/connection-kinds",
    {
      schema: {
        summary: "The app connection kinds and their settings' JSON Schema (secret fields are writeOnly).",
        tags,
        response: { 200: ConnectionKindView.array() },
      },
    },
    async () =>
      appConnectionKinds.map((k) => ({
        kind: k.kind,
        title: k.title,
        description: k.description,
        docs: k.docs,
        schema: kindSchema(k.settings, k.secrets),
        secrets: [...k.secrets],
      })),
  );

  app.post(
    "/api/connections",
    {
      schema: {
        summary: "Add a connection: Cliniko (apiKey, email) or an app (kind, settings).",
        tags,
        body: ConnectionCreateBody,
        response: { 201: ConnectionView },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const name = body.name.trim();
      if (await ctx.store.connections.kindOf(name))
        throw conflict(`A connection named "${name}" already exists; remove it first to replace it.`);
      const kind = body.kind ?? "cliniko";
      if (kind !== "cliniko") {
        try {
          await ctx.store.connections.saveApp(
            appConnectionConfig(name, kind, body.settings ?? {}, body.baseUrl?.trim() || undefined),
            ctx.actor(req),
          );
        } catch (err) {
          if (
            err instanceof InvalidConnectionError ||
            err instanceof BaseUrlNotAllowedError ||
            err instanceof UnknownConnectionKindError
          )
            throw badRequest(err.message);
          throw err;
        }
      } else {
        if (!body.apiKey || !body.email) throw badRequest("A Cliniko connection needs apiKey and email.");
        const config = {
          name,
          apiKey: body.apiKey.trim(),
          email: body.email.trim(),
          ...(body.region ? { region: body.region.trim().toLowerCase() } : {}),
          ...(body.baseUrl ? { baseUrl: body.baseUrl.trim() } : {}),
        };
        await saveCliniko(ctx, config, ctx.actor(req));
      }
      return reply.code(201).send(await viewNamed(ctx, name));
    },
  );

  app.post(
    "/api/connections/:id/test",
    {
      schema: {
        summary: "Check a connection: Cliniko's GET /user, or the app's test call; answers with what it found.",
        tags,
        params: IdParams,
        response: { 200: ConnectionTestResult },
      },
    },
    async (req) => {
      const name = req.params.id;
      const kind = await ctx.store.connections.kindOf(name);
      if (!kind) throw notFound(`Connection "${name}"`);
      if (kind !== "cliniko") {
        try {
          const connection = await ctx.clients.app(name, [kind]);
          return { ok: true, message: await testAppConnection(connection) };
        } catch (err) {
          if (err instanceof AppError) return { ok: false, message: err.message };
          throw err;
        }
      }
      return testClinikoConnection(() => ctx.clientFor(name));
    },
  );

  app.put(
    "/api/connections/:id",
    {
      schema: {
        summary: "Change a connection's settings; a key, password or token left blank keeps its stored value.",
        tags,
        params: IdParams,
        body: ConnectionUpdateBody,
        response: { 200: ConnectionView },
      },
    },
    async (req) => {
      const name = req.params.id;
      const kind = await ctx.store.connections.kindOf(name);
      if (!kind) throw notFound(`Connection "${name}"`);
      const body = req.body;
      const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
      if (kind !== "cliniko") {
        const stored = await ctx.store.connections.getApp(name, [kind]);
        const secrets = new Set(appConnectionKind(kind).secrets);
        const merged: Record<string, unknown> = { ...stored.settings, ...stored.secrets };
        for (const [k, v] of Object.entries(body.settings ?? {})) {
          if (secrets.has(k) && blank(v)) continue; // left blank: keep the stored secret
          if (v === null || v === "") delete merged[k];
          else merged[k] = v;
        }
        try {
          await ctx.store.connections.saveApp(
            appConnectionConfig(name, kind, merged, body.baseUrl?.trim() || stored.baseUrl),
            ctx.actor(req),
          );
        } catch (err) {
          if (err instanceof InvalidConnectionError || err instanceof BaseUrlNotAllowedError)
            throw badRequest(err.message);
          throw err;
        }
      } else {
        const stored = await ctx.store.connections.get(name);
        const config = {
          name,
          apiKey: blank(body.apiKey) ? stored.apiKey : body.apiKey!.trim(),
          email: body.email?.trim() || stored.email,
          ...(body.region || stored.region ? { region: (body.region || stored.region)!.trim().toLowerCase() } : {}),
          ...(body.baseUrl || stored.baseUrl ? { baseUrl: (body.baseUrl || stored.baseUrl)!.trim() } : {}),
        };
        await saveCliniko(ctx, config, ctx.actor(req));
      }
      return viewNamed(ctx, name);
    },
  );

  app.get(
    "/api/connections/:id/records/:resource",
    {
      schema: {
        summary:
          "A resource's records by name (the first 100), for the editor's pickers of fields marked x-pick-from: `[{ id, label }]`.",
        tags,
        params: RecordsParams,
        response: { 200: RecordChoice.array() },
      },
    },
    async (req) => {
      const r = resource(req.params.resource);
      const client = await ctx.clientFor(req.params.id);
      const page = await client.listPage(r.path, { perPage: 100 });
      return page.records.map((rec) => {
        const s = eventSummary(rec);
        const id = String(rec.id);
        return { id, label: s?.who ?? s?.what ?? `${r.label} ${id}` };
      });
    },
  );

  app.delete(
    "/api/connections/:id",
    { schema: { summary: "Remove a connection.", tags, params: IdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      const name = req.params.id;
      if (!(await ctx.store.connections.remove(name, ctx.actor(req)))) throw notFound(`Connection "${name}"`);
      return reply.code(204).send();
    },
  );
};
