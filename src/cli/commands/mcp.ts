/**
 * `mcp`: the MCP server over stdio for a desktop assistant. Thin: resolve the connection and the
 * tool policy up front (a mistake exits 2 before the assistant sees anything), then serve.
 */
import { userInfo } from "node:os";
import type { Command } from "commander";
import { ClientProvider } from "../../engine/clients.ts";
import { executeQueuedRun } from "../../engine/replay.ts";
import { PolicyError, toolList } from "../../mcp/policy.ts";
import { policyFor } from "../../mcp/server.ts";
import { serveStdio } from "../../mcp/stdio.ts";
import { VERSION } from "../../mcp/version.ts";
import { openStore } from "../../store/index.ts";
import { UsageError } from "../errors.ts";

/** A replay run here is waited for this long; after that the tool answers with the run as it stands. */
const REPLAY_WAIT_MS = 60_000;

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:unknown";
  }
}

interface McpFlags {
  connection?: string;
  readOnly?: boolean;
  toolsets?: string;
  allow?: string;
  deny?: string;
}

export function register(program: Command): string[] {
  program
    .command("mcp")
    .description("serve the catalogue as MCP tools over stdio, for a desktop assistant (see docs/mcp.md)")
    .option("--connection <name>", "a stored connection (default: CLINIKO_API_KEY, CLINIKO_EMAIL, ...; else `default`)")
    .option("--read-only", "offer only the tools that change nothing")
    .option(
      "--toolsets <sets>",
      "comma list of toolsets to offer: default, all, patients, scheduling, billing, clinical, admin, automation (default: CLINIKO_FLOW_MCP_TOOLSETS, else default)",
    )
    .option("--allow <tools>", "comma list of tools to allow; the only way to offer delete/archive/cancel tools")
    .option("--deny <tools>", "comma list of tools never to offer")
    .action(async (o: McpFlags) => {
      const policy = {
        readOnly: Boolean(o.readOnly),
        toolsets: toolList(o.toolsets ?? process.env.CLINIKO_FLOW_MCP_TOOLSETS),
        allow: toolList(o.allow),
        deny: toolList(o.deny),
      };
      try {
        policyFor(policy);
      } catch (err) {
        if (err instanceof PolicyError) throw new UsageError(err.message);
        throw err;
      }
      const store = await openStore();
      try {
        const clients = new ClientProvider(store, { preferEnv: true });
        try {
          await clients.keyOf(o.connection);
        } catch (err) {
          if ((err as Error).name === "ConnectionNotFoundError") throw new UsageError((err as Error).message);
          throw err;
        }
        await serveStdio({
          store,
          clients,
          connection: o.connection,
          policy,
          actor: who(),
          env: process.env,
          version: VERSION,
          transport: "stdio",
          // No worker may be running: the replay runs here, and the tool answers with its outcome.
          afterReplay: async (id) => {
            await executeQueuedRun(store, clients, id, { timeoutMs: REPLAY_WAIT_MS });
          },
          // A running `serve` reloads workflows by itself.
          workflowsChanged: () => {},
        });
      } finally {
        await store.close();
      }
    });
  return ["mcp"];
}
