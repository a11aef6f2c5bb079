/**
 * The MCP server, whatever carries it (stdio.ts, http.ts): lists the tools the policy offers,
 * calls them (arguments checked before anything is sent; every call audited), and serves the
 * catalogue resource and the ids-and-links prompt. Tool failures are tool results with
 * `isError: true` and one clear sentence, so the assistant can read them and correct itself.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { ActionInputError, closest } from "../catalog/index.ts";
import { errorText } from "../steps/execute.ts";
import { auditToolCall, reasonOf, type ToolOutcome } from "./audit.ts";
import { automationTools } from "./automation-tools.ts";
import { catalogTools } from "./catalog-tools.ts";
import { jobTools } from "./jobs/index.ts";
import { type PolicyOptions, ToolPolicy } from "./policy.ts";
import { IDS_PROMPT, IDS_TEXT } from "./prompts.ts";
import { ToolRefusal } from "./refusal.ts";
import { CATALOGUE_URI, catalogueResource, catalogueText } from "./resources.ts";
import { answerText } from "./shape.ts";
import type { McpTool, ToolContext } from "./tool.ts";

export const SERVER_NAME = "cliniko-flow";

export interface McpServerOptions extends ToolContext {
  policy: PolicyOptions;
  transport: "stdio" | "http";
  version: string;
}

let cached: readonly McpTool[] | undefined;

/** Every tool this installation has (before the policy): the job tools, the catalogue's, the automation's. */
export function allTools(): readonly McpTool[] {
  if (cached) return cached;
  const tools = [...jobTools(), ...catalogTools(), ...automationTools()];
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name)) throw new Error(`Two MCP tools are named ${t.name}.`);
    seen.add(t.name);
  }
  cached = tools;
  return tools;
}

/** The policy for these options; throws PolicyError when a flag names no tool. */
export function policyFor(options: PolicyOptions): ToolPolicy {
  return new ToolPolicy(options, allTools());
}

function describe(tool: McpTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool["inputSchema"],
    outputSchema: tool.outputSchema as Tool["outputSchema"],
    annotations: {
      title: tool.title,
      readOnlyHint: tool.effect === "read",
      destructiveHint: tool.effect === "destructive",
      idempotentHint: tool.idempotent,
      openWorldHint: tool.cliniko,
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const failure = (text: string): CallToolResult => ({ isError: true, content: [{ type: "text", text }] });

/** Messages we wrote for the caller (not an unexpected error's text, which could hold anything). */
const ownMessage = (err: unknown) =>
  err instanceof ToolRefusal || (err instanceof Error && err.name === "ConnectionNotFoundError");

export function createMcpServer(options: McpServerOptions): Server {
  const policy = policyFor(options.policy);
  const tools = allTools();
  const byName = new Map(tools.map((t) => [t.name, t]));
  const server = new Server(
    { name: SERVER_NAME, title: "cliniko-flow", version: options.version },
    {
      capabilities: { tools: {}, resources: {}, prompts: {} },
      instructions: `Cliniko (practice management) tools, validated against the official API document, plus tools that operate this installation's workflows. Read the prompt ${IDS_PROMPT.name} for how ids and links work.`,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.filter((t) => policy.offers(t)).map(describe),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args = {} } = request.params;
    const started = Date.now();
    const tool = byName.get(name);
    let connection: string | null = null;
    const audit = (outcome: ToolOutcome, reason?: string) =>
      auditToolCall(options.store, {
        actor: options.actor,
        tool: name,
        connection,
        transport: options.transport,
        outcome,
        ...(reason ? { reason } : {}),
        durationMs: Date.now() - started,
      });

    if (!tool) {
      const hint = closest(name, byName.keys());
      const text = `There is no tool named ${name}${hint ? ` (did you mean ${hint}?)` : ""}.`;
      await audit("refused", text);
      return failure(text);
    }
    const refusal = policy.refusal(tool);
    if (refusal) {
      await audit("refused", refusal);
      return failure(refusal);
    }
    try {
      // Checked before a connection is looked up or any request is sent.
      const input = tool.validate(args);
      if (tool.cliniko) connection = await options.clients.keyOf(options.connection);
      const result = await tool.call(options, input);
      await audit("ok");
      const inner = Object.keys(result).length === 1 && isObject(result.result) ? result.result : result;
      return { content: [{ type: "text", text: answerText(inner) }], structuredContent: result };
    } catch (err) {
      await audit(err instanceof ActionInputError ? "invalid" : "error", reasonOf(err, ownMessage));
      if (err instanceof ActionInputError) return failure(err.detail ? `${err.message}\n${err.detail}` : err.message);
      return failure(errorText(err));
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [catalogueResource] }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => {
    if (request.params.uri !== CATALOGUE_URI)
      throw new Error(`There is no resource ${request.params.uri} (the catalogue is ${CATALOGUE_URI}).`);
    return { contents: [{ uri: CATALOGUE_URI, mimeType: catalogueResource.mimeType, text: catalogueText() }] };
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [IDS_PROMPT] }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    if (request.params.name !== IDS_PROMPT.name)
      throw new Error(`There is no prompt ${request.params.name} (the one prompt is ${IDS_PROMPT.name}).`);
    return {
      description: IDS_PROMPT.description,
      messages: [{ role: "user", content: { type: "text", text: IDS_TEXT } }],
    };
  });

  return server;
}
