/**
 * The OpenAPI 3.1 document at /api/openapi.json, built by @fastify/swagger from the routes as
 * registered: their zod schemas become JSON Schema (fastify-type-provider-zod's transform), so the
 * document is generated from the very schemas that validate requests and shape responses.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { SESSION_COOKIE } from "./auth.ts";
import { ApiErrorBody } from "./schemas.ts";

/** `post /api/runs/{id}/replay` → `postApiRunsIdReplay`. */
const operationId = (method: string, url: string) =>
  `${method.toLowerCase()}${url
    .replace(/:([A-Za-z_]+)/g, "$1")
    .replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())
    .replace(/[^A-Za-z0-9]/g, "")}`;

export async function registerOpenApi(
  app: FastifyInstance,
  info: { version: string; description: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "cliniko-flow API", version: info.version, description: info.description },
      servers: [{ url: "/" }],
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
          token: { type: "http", scheme: "bearer" },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: (input) => {
      const { schema, route } = input;
      if (!schema || schema.hide) return jsonSchemaTransform(input);
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      // Every route can fail, and every failure has the one error shape.
      const response = { ...(schema.response as object | undefined), default: ApiErrorBody };
      return jsonSchemaTransform({
        ...input,
        schema: { ...schema, response, operationId: operationId(method, route.url) },
      });
    },
  });
}
