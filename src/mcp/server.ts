/**
 * The MCP server, whatever carries it (stdio.ts, http.ts): lists the tools the policy offers,
 * calls them (arguments checked before anything is sent; every call audited), and serves the
 * resources (the catalogue and its templates) and the prompts. Tool failures are tool results with
 * `isError: true` and one clear sentence, so the assistant can read them and correct itself.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { ActionInputError, closest } from "../catalog/index.ts";
import { errorDetails, errorText } from "../steps/execute.ts";
import { auditToolCall, reasonOf, type ToolOutcome } from "./audit.ts";
import { automationTools } from "./automation-tools.ts";
import { catalogTools } from "./catalog-tools.ts";
import { jobTools } from "./jobs/index.ts";
import { type PolicyOptions, ToolPolicy } from "./policy.ts";
import { IDS_PROMPT, PROMPTS } from "./prompts.ts";
import { ToolRefusal } from "./refusal.ts";
import { listResources, readResource, resourceTemplates, templateOf } from "./resources.ts";
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
      instructions: `Cliniko (practice management) tools, validated against the official API document, plus tools that operate this installation's workflows. Start with the job tools (search_patients, day_schedule, find_free_slots, book_appointment, unpaid_invoices, no_shows, patients_due_for_recall, upcoming_birthdays). List answers are summaries: pass fields for more, and an answer's next_cursor as cursor to continue. A tool's full field docs: the resource cliniko-flow://tools/{name}. Read the prompt ${IDS_PROMPT.name} for how ids and links work.`,
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
      // An assistant reads one answer: the sentence, then what Cliniko or the app said (a 422's fields).
      const details = errorDetails(err);
      return failure(details === null ? errorText(err) : `${errorText(err)}\nDetails: ${JSON.stringify(details)}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await listResources(options) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    const started = Date.now();
    let connection: string | null = null;
    // Audited like a tool call, under the template's name: never the id or date it was read with.
    const audit = (outcome: ToolOutcome, reason?: string) =>
      auditToolCall(options.store, {
        actor: options.actor,
        tool: `resource ${templateOf(uri) ?? "(unknown)"}`,
        connection,
        transport: options.transport,
        outcome,
        ...(reason ? { reason } : {}),
        durationMs: Date.now() - started,
      });
    try {
      // cliniko:// resources are read from Cliniko, through the server's connection.
      if (uri.startsWith("cliniko://")) connection = await options.clients.keyOf(options.connection);
      const contents = await readResource(options, uri, byName, (t) => policy.denies(t));
      await audit("ok");
      return { contents: [contents] };
    } catch (err) {
      const own = err instanceof ToolRefusal;
      await audit(own ? "refused" : "error", reasonOf(err, ownMessage));
      throw new McpError(own ? ErrorCode.InvalidParams : ErrorCode.InternalError, own ? err.message : errorText(err));
    }
  });

  const prompts = new Map(PROMPTS.map((p) => [p.name, p]));
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: PROMPTS.map(({ name, title, description, arguments: args }) => ({
      name,
      title,
      description,
      arguments: args,
    })),
  }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    const prompt = prompts.get(request.params.name);
    if (!prompt)
      throw new McpError(
        ErrorCode.InvalidParams,
        `There is no prompt ${request.params.name} (the prompts are ${[...prompts.keys()].join(", ")}).`,
      );
    const args = request.params.arguments ?? {};
    const missing = prompt.arguments.filter((a) => a.required && !args[a.name]).map((a) => a.name);
    if (missing.length > 0)
      throw new McpError(ErrorCode.InvalidParams, `The prompt ${prompt.name} needs ${missing.join(", ")}.`);
    return {
      description: prompt.description,
      messages: [{ role: "user", content: { type: "text", text: prompt.text(args) } }],
    };
  });

  return server;
}
