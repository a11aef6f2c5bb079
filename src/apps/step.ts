/**
 * An app action as a registry entry: one row of an app's table (key, input schema, output sample,
 * safety, a `run` handler) becomes one StepKind. The row names the connection kinds it accepts;
 * the step's `connection:` picks one (or, when omitted, the only connection of those kinds).
 */
import { z } from "zod";
import { explainSchema } from "../cliniko/field-docs.ts";
import type { RepeatSafety, StepKind } from "../steps/types.ts";
import { AppError } from "./errors.ts";
import type { AppKind } from "./kinds.ts";
import type { AppConnection } from "./types.ts";

export interface AppAction<I = unknown, S = Record<string, unknown>> {
  key: string;
  title: string;
  /** Palette group: the app's name ("Email", "Slack", …). */
  group: string;
  /** What it does, with the words people search for ("text message", "spreadsheet"). */
  description: string;
  connections: readonly AppKind[];
  /** Other words a clinic may search the palette by ("spreadsheet", "text message"). */
  keywords?: readonly string[];
  input: z.ZodType<I>;
  outputSample: unknown;
  safety: RepeatSafety;
  run(connection: AppConnection<S>, input: I): Promise<unknown>;
}

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  // Labels from the field names (replyTo → "Reply to") where a field has no title, as the built-ins do.
  return explainSchema(out);
};

/** Zod's issues as one sentence: `to: must be …; subject: required`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}

export function appStep<I, S>(action: AppAction<I, S>): StepKind {
  const inputSchema = jsonSchema(action.input);
  return {
    key: action.key,
    title: action.title,
    group: action.group,
    description: action.description,
    builtin: false,
    keywords: action.keywords,
    connection: action.connections[0],
    connections: action.connections,
    input: action.input,
    inputSchema,
    outputSample: action.outputSample,
    effects: ["continue"],
    safety: () => action.safety,
    async execute(ctx, raw) {
      const parsed = action.input.safeParse(raw);
      if (!parsed.success)
        throw new AppError(action.group, "invalid", `The input is not valid: ${issuesText(parsed.error)}.`);
      const connection = await ctx.clients.app(ctx.step.connection, action.connections);
      return (await action.run(connection as AppConnection<S>, parsed.data)) ?? null;
    },
  };
}
