/**
 * The catalogue's Cliniko actions as MCP tools, read from the step registry: a new catalogue
 * action is a new tool with nothing to write here. The tool runs the step kind's own `execute`,
 * so it goes through the same client, rate limiter and input checks as a workflow step.
 */
import { type ActionKind, action, validateActionInput } from "../catalog/index.ts";
import { stepKinds } from "../steps/registry.ts";
import type { StepKind } from "../steps/types.ts";
import type { McpTool, ToolEffect } from "./tool.ts";

/** Action kinds that remove or end something in Cliniko: refused unless allowed by name. */
const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(["delete", "archive", "cancel"]);

/** Every action's structured result is `{ result }`: a record, a list or null alike. */
export const RESULT_SCHEMA: Record<string, unknown> = {
  type: "object",
  properties: { result: { description: "What Cliniko returned (a record, a list of records, or null)." } },
  required: ["result"],
};

function effectOf(kind: StepKind): ToolEffect {
  if (kind.safety({ id: kind.key, action: kind.key }) === "read") return "read";
  return DESTRUCTIVE.has(action(kind.key).kind) ? "destructive" : "write";
}

export function catalogTool(kind: StepKind): McpTool {
  const def = action(kind.key);
  const safety = kind.safety({ id: kind.key, action: kind.key });
  return {
    name: kind.key,
    title: kind.title,
    description: `${kind.description} (Cliniko ${def.method} ${def.path}; group: ${kind.group}.)`,
    inputSchema: kind.inputSchema,
    outputSchema: RESULT_SCHEMA,
    effect: effectOf(kind),
    idempotent: safety !== "write-once",
    cliniko: true,
    validate: (args) => validateActionInput(def, args),
    async call(ctx, args) {
      // Arguments are literal: no `{{ }}` of an assistant's text is ever evaluated.
      const result = await kind.execute(
        {
          step: { id: kind.key, action: kind.key, ...(ctx.connection ? { connection: ctx.connection } : {}) },
          path: `tool ${kind.key}`,
          scope: { trigger: null, steps: {}, env: {} },
          clients: ctx.clients,
          now: () => Date.now(),
        },
        args,
      );
      return { result: result ?? null };
    },
  };
}

/** One tool per catalogue action that talks to Cliniko, in catalogue order. */
export function catalogTools(): McpTool[] {
  return stepKinds()
    .filter((k) => k.connection === "cliniko")
    .map(catalogTool);
}
