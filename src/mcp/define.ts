/**
 * A tool written here (the automation's, the job tools) from a zod input: its JSON Schema, its
 * checks and its call in one place, so such a tool is a spec and a function.
 */
import type { z } from "zod";
import { parseInput } from "../catalog/inputs.ts";
import { jsonSchemaOf } from "../cliniko/zod-schema.ts";
import type { McpTool, ToolContext, ToolEffect } from "./tool.ts";

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  output: Record<string, unknown>;
  effect: ToolEffect;
  toolset: string;
  job?: boolean;
  idempotent: boolean;
  cliniko?: boolean;
  call(ctx: ToolContext, args: z.output<S>): Promise<Record<string, unknown>>;
}

export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): McpTool {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: jsonSchemaOf(spec.input),
    outputSchema: spec.output,
    effect: spec.effect,
    toolset: spec.toolset,
    ...(spec.job ? { job: true } : {}),
    idempotent: spec.idempotent,
    cliniko: spec.cliniko ?? false,
    validate: (args) => parseInput(spec.name, spec.input, args),
    call: (ctx, args) => spec.call(ctx, args as z.output<S>),
  };
}

/** An output schema: an object with these properties, all present. */
export const objectOut = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
});

/** A job tool that only reads Cliniko: a front-desk question answered in one call. */
export function readJob<S extends z.ZodType>(
  toolset: string,
  spec: Omit<ToolSpec<S>, "effect" | "toolset" | "job" | "idempotent" | "cliniko">,
): McpTool {
  return defineTool({ ...spec, effect: "read", toolset, job: true, idempotent: true, cliniko: true });
}
