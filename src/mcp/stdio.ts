/**
 * The MCP server over stdio (`cliniko-flow mcp`): one client, the desktop assistant that
 * started the process. It ends when the assistant closes standard input or sends a signal.
 * Standard output carries the protocol only; logs go to standard error.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer, type McpServerOptions } from "./server.ts";

export async function serveStdio(options: McpServerOptions): Promise<void> {
  const server = createMcpServer(options);
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.connect(new StdioServerTransport());
  await ended;
  await server.close();
}
