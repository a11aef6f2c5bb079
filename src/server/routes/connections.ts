/** Cliniko connections, addressed by name. The API key is write-only: no response carries it. */
import { createClient } from "../../cliniko/client.ts";
import { ClinikoError } from "../../cliniko/errors.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import { ConnectionCreateBody, ConnectionTestResult, ConnectionView, IdParams, NoContent } from "../schemas.ts";
import type { ConnectionView as ConnectionViewType } from "../wire.ts";
import type { RoutePlugin } from "./context.ts";

function connectionOf(c: {
  name: string;
  email: string;
  region: string | null;
  baseUrl: string | null;
  createdAt: string;
}): ConnectionViewType {
  return { id: c.name, name: c.name, email: c.email, region: c.region, baseUrl: c.baseUrl, createdAt: c.createdAt };
}

export const connectionRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["connections"];

  app.get(
    "/api/connections",
    {
      schema: {
        summary: "List Cliniko connections (the API key is write-only and never returned).",
        tags,
        response: { 200: ConnectionView.array() },
      },
    },
    async () => (await ctx.store.connections.list()).map(connectionOf),
  );

  app.post(
    "/api/connections",
    {
      schema: {
        summary: "Add a Cliniko connection.",
        tags,
        body: ConnectionCreateBody,
        response: { 201: ConnectionView },
      },
    },
    async (req, reply) => {
      const body = req.body;
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
      const saved = (await ctx.store.connections.list()).find((c) => c.name === config.name);
      if (!saved) throw notFound(`Connection "${config.name}"`);
      return reply.code(201).send(connectionOf(saved));
    },
  );

  app.post(
    "/api/connections/:id/test",
    {
      schema: {
        summary: "Call Cliniko's GET /user with the stored key; answers with the user's name.",
        tags,
        params: IdParams,
        response: { 200: ConnectionTestResult },
      },
    },
    async (req) => {
      const name = req.params.id;
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
