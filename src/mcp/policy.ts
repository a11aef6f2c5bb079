/**
 * Which tools a server offers: the chosen `--toolsets` (default: `default`), plus tools `--allow`
 * names; `--read-only` keeps the read tools, `--deny` removes tools by name, and a destructive
 * tool (delete, archive, cancel) is offered only when `--allow` names it.
 * A tool the policy withholds is neither listed nor callable; calling it says why.
 */
import { closest } from "../catalog/index.ts";
import type { McpTool } from "./tool.ts";
import { inToolsets, toolsetsProblem } from "./toolsets.ts";

export interface PolicyOptions {
  readOnly?: boolean;
  /** Toolsets offered (toolsets.ts); empty or absent: `default`. */
  toolsets?: readonly string[];
  /** Tool names allowed explicitly (the only way to offer a destructive tool). */
  allow?: readonly string[];
  /** Tool names never offered. */
  deny?: readonly string[];
}

/** A policy naming a tool that does not exist (a typo would silently allow or deny nothing). */
export class PolicyError extends Error {
  override name = "PolicyError";
}

export class ToolPolicy {
  readonly readOnly: boolean;
  readonly #allow: ReadonlySet<string>;
  readonly #deny: ReadonlySet<string>;
  readonly toolsets: readonly string[];

  constructor(options: PolicyOptions, known: readonly McpTool[]) {
    this.readOnly = options.readOnly ?? false;
    const problem = toolsetsProblem(options.toolsets ?? []);
    if (problem) throw new PolicyError(problem);
    this.toolsets = options.toolsets?.length ? [...options.toolsets] : ["default"];
    this.#allow = new Set(options.allow ?? []);
    this.#deny = new Set(options.deny ?? []);
    const names = known.map((t) => t.name);
    for (const [flag, list] of [
      ["--allow (CLINIKO_FLOW_MCP_ALLOW)", this.#allow],
      ["--deny (CLINIKO_FLOW_MCP_DENY)", this.#deny],
    ] as const) {
      for (const name of list) {
        if (names.includes(name)) continue;
        const hint = closest(name, names);
        throw new PolicyError(
          `${flag} names "${name}", which is not a tool${hint ? ` (did you mean "${hint}"?)` : ""}.`,
        );
      }
    }
  }

  /** Why the tool is withheld, as one sentence; undefined when it is offered. */
  refusal(tool: McpTool): string | undefined {
    if (this.#deny.has(tool.name))
      return `The tool ${tool.name} is switched off on this server (--deny, or CLINIKO_FLOW_MCP_DENY under serve).`;
    if (this.readOnly && tool.effect !== "read")
      return `The tool ${tool.name} changes data, and this server is read-only (--read-only, or CLINIKO_FLOW_MCP_READ_ONLY=1 under serve).`;
    if (tool.effect === "destructive" && !this.#allow.has(tool.name))
      return `The tool ${tool.name} deletes, archives or cancels in Cliniko, so it is off unless the server allows it by name: cliniko-flow mcp --allow ${tool.name}, or CLINIKO_FLOW_MCP_ALLOW=${tool.name} under serve.`;
    if (!this.#allow.has(tool.name) && !inToolsets(this.toolsets, tool))
      return `The tool ${tool.name} is in the toolset ${tool.toolset}, which this server does not offer (it offers ${this.toolsets.join(", ")}): start it with --toolsets ${[...this.toolsets, tool.toolset].join(",")} (CLINIKO_FLOW_MCP_TOOLSETS under serve), or --allow ${tool.name}.`;
    return undefined;
  }

  /** Whether `--deny` names this tool. */
  denies(name: string): boolean {
    return this.#deny.has(name);
  }

  offers(tool: McpTool): boolean {
    return this.refusal(tool) === undefined;
  }
}

/** `a,b , c` → `["a","b","c"]` (a flag or an environment variable). */
export function toolList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The policy of `/mcp` under `serve`, which has no flags of its own: CLINIKO_FLOW_MCP_READ_ONLY=1,
 * CLINIKO_FLOW_MCP_TOOLSETS, CLINIKO_FLOW_MCP_ALLOW and CLINIKO_FLOW_MCP_DENY (comma lists), as
 * --read-only/--toolsets/--allow/--deny.
 */
export function policyFromEnv(env: NodeJS.ProcessEnv): PolicyOptions {
  return {
    toolsets: toolList(env.CLINIKO_FLOW_MCP_TOOLSETS),
    readOnly: env.CLINIKO_FLOW_MCP_READ_ONLY === "1",
    allow: toolList(env.CLINIKO_FLOW_MCP_ALLOW),
    deny: toolList(env.CLINIKO_FLOW_MCP_DENY),
  };
}
