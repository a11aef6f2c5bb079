/**
 * What an MCP tool is here: the catalogue's actions (catalog-tools.ts) and the tools that operate
 * the automation (automation-tools.ts) share this shape, so listing, the policy, the audit and
 * error handling (server.ts) treat them alike.
 */
import type { ClientProvider } from "../engine/clients.ts";
import type { Store } from "../store/index.ts";

/**
 * What calling a tool can do: `read` changes nothing; `write` changes something that can be
 * changed back; `destructive` deletes, archives or cancels (refused unless allowed by name).
 */
export type ToolEffect = "read" | "write" | "destructive";

/** What every tool call gets: the store, the clients and the server's connection choice. */
export interface ToolContext {
  store: Store;
  clients: ClientProvider;
  /** The stored connection the server was started for; undefined: the default rules. */
  connection?: string;
  /**
   * What happens to a replay once queued: run it here and wait (stdio: no worker may be running),
   * or wake the running server's workers (HTTP under `serve`).
   */
  afterReplay(runId: number): Promise<void>;
  /** Workflows were enabled or disabled (the running scheduler reloads). */
  workflowsChanged(): void;
  env: NodeJS.ProcessEnv;
  /** Who calls, for the audit log and the changes tools make (`cli:alice`, `token`). */
  actor: string;
}

export interface McpTool {
  /** The tool name: an action key, or `flow_…` for the automation's own tools. */
  name: string;
  title: string;
  description: string;
  /** JSON Schema (type object) of the arguments. */
  inputSchema: Record<string, unknown>;
  /** JSON Schema (type object) of `structuredContent`. */
  outputSchema: Record<string, unknown>;
  effect: ToolEffect;
  /** Its toolset (toolsets.ts): what `--toolsets` offers it under. */
  toolset: string;
  /** A job tool (a front-desk question answered in one call): always in the default toolset. */
  job?: boolean;
  /** Calling it twice with the same arguments leaves the same state. */
  idempotent: boolean;
  /** It talks to Cliniko (an open world) rather than to this installation only. */
  cliniko: boolean;
  /** Validates the arguments (throws ActionInputError) without doing anything. */
  validate(args: unknown): unknown;
  /** Does the work on validated arguments; resolves to the structured result. */
  call(ctx: ToolContext, args: unknown): Promise<Record<string, unknown>>;
}
