/**
 * The MCP server over Streamable HTTP, for `serve` at `/mcp`. Stateless: every POST gets a fresh
 * server and transport (no session to keep or to steal), which the SDK supports for servers
 * that, like this one, only answer requests. GET (a server-to-client stream) and DELETE (ending a
 * session) have nothing to do here and answer 405, as the protocol allows. The caller checks
 * the bearer token before calling the handler.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpServer, type McpServerOptions, policyFor } from "./server.ts";

export type McpHttpOptions = Omit<McpServerOptions, "transport">;

export type McpHttpHandler = (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;

/** A handler for POST/GET/DELETE `/mcp`; throws PolicyError at once when the policy names no tool. */
export function mcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  policyFor(options.policy);
  return async (req, res, body) => {
    if (req.method !== "POST") {
      res.writeHead(405, { "content-type": "application/json", allow: "POST" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32000, message: "This MCP server is stateless: send requests with POST." },
          id: null,
        }),
      );
      return;
    }
    const server = createMcpServer({ ...options, transport: "http" });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };
}
