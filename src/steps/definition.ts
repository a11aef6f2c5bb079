/**
 * A step as a workflow file writes it: its id, the kind it names (`action`), its connection,
 * condition, input, retry and the nested steps of kinds that hold them. The workflow model
 * (engine/workflow.ts) puts these under a trigger; the registry's kinds read them.
 */
import { z } from "zod";
import { DURATION_PATTERN } from "../expressions/duration.ts";

const Id = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must start with a letter or _ and contain only letters, digits and _")
  .describe("Unique step id; later steps read its output as steps.<id>");
export const Duration = z.string().regex(DURATION_PATTERN, "must be a duration such as 30s, 5m, 1h or 1d");
const Expression = z.string().describe("A {{ JSONata }} expression over { trigger, steps, env }");

export interface StepDefinition {
  id: string;
  name?: string;
  action: string;
  connection?: string;
  if?: string;
  input?: unknown;
  retry?: { attempts?: number; backoff?: string };
  cases?: { if: string; steps: StepDefinition[] }[];
  else?: StepDefinition[];
  /** The steps a kind that nests `steps` runs (once per item, for `each`). */
  steps?: StepDefinition[];
}

export const StepSchema: z.ZodType<StepDefinition> = z
  .object({
    id: Id,
    name: z.string().optional(),
    action: z
      .string()
      .min(1)
      .describe("A step kind: a catalogue action key or a built-in step (see `cliniko-flow actions`)"),
    connection: z.string().min(1).optional(),
    if: Expression.optional().describe("Run this step only when the expression is true"),
    input: z.unknown().optional(),
    retry: z
      .object({ attempts: z.number().int().min(0).max(10).optional(), backoff: Duration.optional() })
      .strict()
      .optional(),
    get cases() {
      return z
        .array(
          z.object({ if: Expression, steps: z.array(StepSchema).min(1, "A case needs at least one step") }).strict(),
        )
        .min(1, "A branch needs at least one case")
        .optional()
        .describe("branch: the first case whose `if` is true runs its steps");
    },
    get else() {
      return z.array(StepSchema).optional().describe("branch: steps when no case matched");
    },
    get steps() {
      return z.array(StepSchema).optional().describe("each: the steps run for every item");
    },
  })
  .strict() as z.ZodType<StepDefinition>;
