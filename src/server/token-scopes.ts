/**
 * What an API token may do. `write`: the whole API and the MCP endpoint (under its policy);
 * `read`: the API's reads (GET) and the MCP endpoint's read-only tools; `mcp-read`: the MCP
 * endpoint's read-only tools and nothing else. Tokens from before scopes existed are `write`.
 */
export const TOKEN_SCOPES = ["read", "write", "mcp-read"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const READS = new Set(["GET", "HEAD"]);

/** Why a token of `scope` may not make this API request, or undefined when it may. */
export function apiRefusal(scope: TokenScope, method: string): string | undefined {
  if (scope === "mcp-read") return "This token may only use the MCP endpoint (scope mcp-read).";
  if (scope === "read" && !READS.has(method))
    return "This token may only read (scope read): it cannot change anything.";
  return undefined;
}

/** Whether the MCP endpoint is read-only for a token of `scope` (whatever the server's policy). */
export const mcpReadOnly = (scope: TokenScope) => scope !== "write";
