/**
 * The OpenAPI 3.1 document, generated from the same route table that Fastify validates with, so
 * the document cannot drift from the server.
 */
import type { RouteDef } from "./routes.ts";
import { errorBody, type Schema } from "./schemas.ts";

/** `/api/runs/:id` → `/api/runs/{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, "{$1}");

function parametersOf(where: "path" | "query", schema: Schema | undefined) {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: s,
    ...(s.description ? { description: s.description } : {}),
  }));
}

export function openApiDocument(
  routes: RouteDef[],
  extra: { version: string; description: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openapiPath(r.url);
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.schema.response ?? {}))
      responses[status] = { description: "OK", content: { "application/json": { schema } } };
    if (Object.keys(responses).length === 0) responses[r.method === "DELETE" ? "204" : "200"] = { description: "OK" };
    responses.default = { description: "Error", content: { "application/json": { schema: errorBody } } };
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, "").replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(r.auth === false ? { security: [] } : {}),
      parameters: [...parametersOf("path", r.schema.params), ...parametersOf("query", r.schema.querystring)],
      ...(r.schema.body
        ? { requestBody: { required: true, content: { "application/json": { schema: r.schema.body } } } }
        : {}),
      responses,
    };
  }
  paths["/healthz"] = {
    get: {
      summary: "Liveness and database check (no authentication).",
      tags: ["operations"],
      security: [],
      responses: { "200": { description: "OK" }, "503": { description: "Database unreachable" } },
    },
  };
  paths["/metrics"] = {
    get: {
      summary: "Prometheus metrics: requests, polls, 429s, runs by status, queue depth.",
      tags: ["operations"],
      responses: { "200": { description: "Prometheus text", content: { "text/plain": {} } } },
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "cliniko-flow API", version: extra.version, description: extra.description },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "cliniko_flow_session" },
        token: { type: "http", scheme: "bearer" },
      },
    },
    security: [{ session: [] }, { token: [] }],
    paths,
  };
}
