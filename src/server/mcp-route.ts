/**
 * `/mcp`: the MCP server over Streamable HTTP (src/mcp/http.ts), behind the API's bearer tokens
 * (a browser session is not accepted: an assistant is a script). Under `serve` its connection
 * and policy come from the environment (CLINIKO_FLOW_MCP_*, see docs/mcp.md).
 */
import type { FastifyInstance } from "fastify";
import { ClientProvider } from "../engine/clients.ts";
import { mcpHttpHandler } from "../mcp/http.ts";
import { policyFromEnv } from "../mcp/policy.ts";
import { VERSION } from "../mcp/version.ts";
import type { Store } from "../store/index.ts";
import type { AuthStore } from "./auth.ts";
import type { ServerEngine } from "./engine-port.ts";
import { HttpError } from "./errors.ts";
import { mcpReadOnly, type TokenScope } from "./token-scopes.ts";

export interface McpRouteOptions {
  store: Store;
  /** The engine's client provider, so MCP calls pace with the workflows on the same key's limiter. */
  clients?: ClientProvider;
  auth: AuthStore;
  engine?: ServerEngine;
  env?: NodeJS.ProcessEnv;
}

export async function mcpRoute(app: FastifyInstance, o: McpRouteOptions): Promise<void> {
  const env = o.env ?? process.env;
  const options = {
    store: o.store,
    clients: o.clients ?? new ClientProvider(o.store, { env }),
    connection: env.CLINIKO_FLOW_MCP_CONNECTION || undefined,
    policy: policyFromEnv(env),
    actor: "token",
    env,
    version: VERSION,
    // The running workers execute the replay; the scheduler picks up enabled workflows itself.
    afterReplay: async () => o.engine?.notify?.("run-queued"),
    workflowsChanged: () => o.engine?.notify?.("workflows-changed"),
  };
  // A token whose scope only reads gets a server whose write tools are off, whatever the policy.
  const full = mcpHttpHandler(options);
  let readOnly: typeof full | undefined;
  const readOnlyHandler = () => {
    try {
      readOnly ??= mcpHttpHandler({ ...options, policy: { ...options.policy, readOnly: true } });
      return readOnly;
    } catch {
      throw new HttpError(
        403,
        "token_scope",
        "This token may only read, and the MCP policy offers no read-only tools.",
      );
    }
  };
  const scopes = new WeakMap<object, TokenScope>();

  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/mcp",
    // The MCP protocol describes its own tools (tools/list); docs/mcp.md documents the endpoint.
    schema: { hide: true },
    onRequest: async (req, reply) => {
      const header = req.headers.authorization;
      const grant = header?.startsWith("Bearer ") ? await o.auth.checkToken(header.slice(7).trim()) : undefined;
      if (grant) {
        scopes.set(req, grant.scope);
        if (mcpReadOnly(grant.scope)) readOnlyHandler(); // refuse before the body is read
        return;
      }
      reply.header("www-authenticate", 'Bearer realm="cliniko-flow"');
      throw new HttpError(401, "unauthorized", "Send an API token (Authorization: Bearer …); create one in Settings.");
    },
    handler: async (req, reply) => {
      reply.hijack();
      const handler = mcpReadOnly(scopes.get(req) ?? "mcp-read") ? readOnlyHandler() : full;
      await handler(req.raw, reply.raw, req.body);
    },
  });
}
