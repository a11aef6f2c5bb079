/**
 * `each`: runs its nested steps once per item of a list. The kind itself only evaluates the list
 * (`input.items`) and checks it; the journal runs the items (Flow `repeat`), with `item` and
 * `index` in each item's scope and each item's steps recorded on their own, so a run that stops in
 * item 57 of 100 goes on at 57 and never repeats a finished item's write.
 *
 * Its output, as later steps read it: `{ count, items: [ { index, item, steps: { <id>: output } } ] }`.
 * What the run records for the step itself is the list it went over (`{ count, concurrency, items:
 * [ { index, item } ] }`): a resumed run goes over that same list, whatever the expression would
 * give now.
 */
import { z } from "zod";
import { explainSchema } from "../cliniko/field-docs.ts";
import { BUILTIN_GROUP } from "./builtin.ts";
import type { StepDefinition } from "./definition.ts";
import type { Flow, ItemResult, StepKind } from "./types.ts";

export const EACH_DEFAULT_MAX = 1000;
/** The most `max` may say: a run's record holds every item's steps. */
export const EACH_MAX_LIMIT = 10_000;
export const EACH_MAX_CONCURRENCY = 10;

const EachInput = z
  .object({
    items: z.unknown().optional().describe("The list to go over, e.g. {{ steps.appointments.records }}"),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(EACH_MAX_CONCURRENCY)
      .optional()
      .describe(`How many items run at once (1–${EACH_MAX_CONCURRENCY}; default 1, one after another)`),
    max: z
      .number()
      .int()
      .min(1)
      .max(EACH_MAX_LIMIT)
      .optional()
      .describe(`The most items the list may hold (default ${EACH_DEFAULT_MAX}); a longer list fails the step`),
  })
  .describe("Run the steps inside once for every item of a list");

/** What the step records, and what its flow is read from. */
interface Listed {
  count: number;
  concurrency: number;
  items: { index: number; item: unknown }[];
}

export class EachInputError extends Error {
  override name = "EachInputError";
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "object") return "one record, not a list";
  return `the ${typeof value} ${JSON.stringify(value).slice(0, 60)}`;
}

const inputOf = (step: StepDefinition): Record<string, unknown> =>
  step.input !== null && typeof step.input === "object" ? (step.input as Record<string, unknown>) : {};

export const each: StepKind = {
  key: "each",
  keywords: ["loop", "for each", "repeat", "every", "list", "all"],
  title: "For each item of a list",
  description:
    "Runs the steps inside once for every item of a list (every appointment of the day, every row); inside, item is the current item and index its position from 0.",
  group: BUILTIN_GROUP,
  builtin: true,
  input: EachInput,
  inputSchema: explainSchema({
    type: "object",
    properties: {
      items: { title: "Items", description: "The list to go over, e.g. {{ steps.appointments.records }}" },
      concurrency: {
        type: "integer",
        minimum: 1,
        maximum: EACH_MAX_CONCURRENCY,
        default: 1,
        title: "At once",
        description: `How many items run at the same time (1–${EACH_MAX_CONCURRENCY})`,
      },
      max: {
        type: "integer",
        minimum: 1,
        maximum: EACH_MAX_LIMIT,
        default: EACH_DEFAULT_MAX,
        title: "At most",
        description: "The most items the list may hold; a longer list fails the step instead of running",
      },
    },
    required: ["items"],
  }),
  outputSample: { count: 1, items: [{ index: 0, item: {}, steps: {} }] },
  effects: ["repeat"],
  nests: "steps",
  safety: () => "read",
  validate(step, path) {
    const issues = [];
    if (!step.steps || step.steps.length === 0)
      issues.push({ path: `${path}.steps`, message: "an each step needs steps to run for every item" });
    const input = inputOf(step);
    if (input.items === undefined)
      issues.push({ path: `${path}.input.items`, message: "an each step needs input.items (the list to go over)" });
    for (const [name, limit] of [
      ["concurrency", EACH_MAX_CONCURRENCY],
      ["max", EACH_MAX_LIMIT],
    ] as const) {
      const v = input[name];
      if (v !== undefined && !(typeof v === "string" && v.includes("{{")))
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > limit)
          issues.push({ path: `${path}.input.${name}`, message: `must be a whole number from 1 to ${limit}` });
    }
    return issues;
  },
  async execute(_ctx, raw): Promise<Listed> {
    const parsed = EachInput.safeParse(raw ?? {});
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new EachInputError(`input.${i.path.join(".")} ${i.message}`);
    }
    const { items, max = EACH_DEFAULT_MAX, concurrency = 1 } = parsed.data;
    // Nothing to go over is an empty list (a search that found nothing), not a failure.
    const list = items === null || items === undefined ? [] : items;
    if (!Array.isArray(list))
      throw new EachInputError(`input.items must be a list, but it gave ${describeValue(list)}.`);
    if (list.length > max)
      throw new EachInputError(
        `input.items holds ${list.length.toLocaleString("en")} items, more than the step's max of ${max.toLocaleString("en")}: raise max (up to ${EACH_MAX_LIMIT.toLocaleString("en")}) or narrow the list.`,
      );
    return { count: list.length, concurrency, items: list.map((item, index) => ({ index, item })) };
  },
  flow(step, output, path): Flow {
    const listed = output as Listed;
    return {
      kind: "repeat",
      items: listed.items.map((i) => i.item),
      steps: step.steps ?? [],
      path: `${path}.items`,
      concurrency: listed.concurrency,
      result: (results: ItemResult[]) => ({ count: results.length, items: results }),
    };
  },
};
