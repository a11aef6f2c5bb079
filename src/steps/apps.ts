/**
 * The apps' actions as step kinds: each row of an app's table (src/apps/<app>/steps.ts, listed in
 * src/apps/index.ts) becomes one StepKind.
 */
import { z } from "zod";
import type { AppAction } from "../apps/action.ts";
import { AppError, issuesText } from "../apps/errors.ts";
import { appActions } from "../apps/index.ts";
import type { AppConnection } from "../apps/types.ts";
import { explainSchema } from "../cliniko/field-docs.ts";
import type { StepKind } from "./types.ts";

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  // Labels from the field names (replyTo → "Reply to") where a field has no title, as the built-ins do.
  return explainSchema(out);
};

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

export const appSteps: readonly StepKind[] = appActions.map((a) => appStep(a));
