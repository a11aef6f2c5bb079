/**
 * The engine's own step kinds: `filter`, `branch`, `delay` and `http.request`. Each is one entry;
 * the runner and the step tests execute them through the registry, never by name.
 */
import { z } from "zod";
import { explainSchema } from "../cliniko/field-docs.ts";
import { DURATION_PATTERN, parseDuration } from "../expressions/duration.ts";
import { condition } from "../expressions/template.ts";
import type { StepDefinition } from "./definition.ts";
import { HttpRequestInput, httpRequest, isSafeMethod } from "./http/request.ts";
import type { Flow, SaveIssue, StepKind } from "./types.ts";

export const BUILTIN_GROUP = "Built-in steps";

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  return explainSchema(out);
};

const inputOf = (step: StepDefinition): Record<string, unknown> =>
  step.input !== null && typeof step.input === "object" ? (step.input as Record<string, unknown>) : {};

const FilterInput = z
  .object({ condition: z.string().describe("e.g. {{ trigger.email != null }}") })
  .describe("Continue only when the condition is true");

const filter: StepKind = {
  key: "filter",
  keywords: ["only if", "condition", "skip", "stop"],
  title: "Filter: continue only if…",
  description: "Stops the run here (as succeeded) unless the condition is true.",
  group: BUILTIN_GROUP,
  builtin: true,
  input: FilterInput,
  inputSchema: jsonSchema(FilterInput),
  outputSample: { passed: true },
  effects: ["continue", "stop"],
  // The condition is an expression of the workflow's own: it is evaluated once, here, and the
  // data it reads is never evaluated again (input is not rendered for this kind).
  rawInput: true,
  safety: () => "read",
  // A missing condition is a draft's gap: the activation check refuses to switch it on.
  async execute(ctx) {
    const passed = await condition(
      inputOf(ctx.step).condition,
      ctx.scope,
      `${ctx.path}.input.condition`,
      ctx.evaluation,
    );
    return { passed };
  },
  flow: (_step, output): Flow =>
    (output as { passed?: boolean } | null)?.passed ? { kind: "continue" } : { kind: "stop" },
};

const branch: StepKind = {
  key: "branch",
  keywords: ["if else", "condition", "split"],
  title: "Branch: run different steps by condition",
  description: "Runs the steps of the first case whose condition is true, else the else steps.",
  group: BUILTIN_GROUP,
  builtin: true,
  input: z.object({}),
  inputSchema: { type: "object", properties: {} },
  outputSample: { case: 0 },
  effects: ["choose"],
  nests: "cases",
  rawInput: true,
  safety: () => "read",
  validate(step, path) {
    return step.cases ? [] : [{ path, message: "a branch step needs cases" }];
  },
  async execute(ctx) {
    const cases = ctx.step.cases ?? [];
    for (let j = 0; j < cases.length; j++)
      if (await condition(cases[j]!.if, ctx.scope, `${ctx.path}.cases[${j}].if`, ctx.evaluation)) return { case: j };
    return { case: "else" };
  },
  flow(step, output, path): Flow {
    const chosen = (output as { case?: number | "else" } | null)?.case;
    if (typeof chosen === "number" && step.cases?.[chosen])
      return { kind: "enter", steps: step.cases[chosen].steps, path: `${path}.cases[${chosen}].steps` };
    if (chosen === "else" && step.else) return { kind: "enter", steps: step.else, path: `${path}.else` };
    return { kind: "continue" };
  },
};

const DelayInput = z
  .object({
    for: z.string().optional().describe("A duration such as 30s, 5m, 1h or 1d"),
    until: z.string().optional().describe("An ISO 8601 time"),
  })
  .describe("Wait for a duration or until a time");

const delay: StepKind = {
  key: "delay",
  keywords: ["wait", "later", "pause", "reminder"],
  title: "Delay",
  description: "Waits for a duration (for: 10m) or until a time (until: ISO 8601) before the next step.",
  group: BUILTIN_GROUP,
  builtin: true,
  input: DelayInput,
  inputSchema: explainSchema({
    type: "object",
    properties: {
      for: { type: "string", title: "Wait for", description: "A duration such as 30s, 5m, 1h or 1d" },
      until: {
        type: "string",
        format: "date-time",
        title: "Wait until",
        description: "A date and time with its time zone, e.g. 2025-03-01T09:30:00+11:00",
      },
    },
  }),
  outputSample: { until: "2025-03-03T09:00:00Z" },
  effects: ["park"],
  safety: () => "read",
  validate(step, path) {
    const input = inputOf(step);
    const issues: SaveIssue[] = [];
    if (typeof input.for === "string" && !input.for.includes("{{") && !DURATION_PATTERN.test(input.for))
      issues.push({ path: `${path}.input.for`, message: "must be a duration such as 30s, 5m, 1h or 1d" });
    if (input.for === undefined && input.until === undefined)
      issues.push({
        path: `${path}.input`,
        message: "a delay step needs input.for (a duration) or input.until (a time)",
      });
    return issues;
  },
  async execute(ctx, raw) {
    const input = (raw ?? {}) as { for?: unknown; until?: unknown };
    // A resumed delay keeps the wake-up time it noted the first time, so waiting never restarts.
    const noted = (ctx.noted as { until?: string } | null | undefined)?.until;
    if (noted) return { until: noted };
    if (input.until !== undefined && input.until !== null && input.until !== "") {
      const at = new Date(input.until as string).getTime();
      if (Number.isNaN(at)) throw new Error(`delay: "${String(input.until)}" is not a time`);
      return { until: new Date(at).toISOString() };
    }
    return { until: new Date(ctx.now() + parseDuration(String(input.for))).toISOString() };
  },
  flow: (_step, output): Flow => ({ kind: "wait", until: (output as { until: string }).until }),
};

const httpStep: StepKind = {
  key: "http.request",
  keywords: ["webhook", "notify", "send", "zapier", "api"],
  title: "Send an HTTP request",
  description: "Calls another app's URL (webhook, CRM, accounting); private addresses are refused.",
  group: BUILTIN_GROUP,
  builtin: true,
  input: HttpRequestInput,
  inputSchema: jsonSchema(HttpRequestInput),
  outputSample: { status: 200, headers: { "content-type": "application/json" }, body: {} },
  effects: ["continue"],
  safety(step) {
    const method = String(inputOf(step).method ?? "POST");
    if (!isSafeMethod(method)) return "write-once";
    return method.toUpperCase() === "GET" || method.toUpperCase() === "HEAD" ? "read" : "idempotent";
  },
  validate(step, path) {
    const url = inputOf(step).url;
    return url === undefined || typeof url === "string"
      ? []
      : [{ path: `${path}.input.url`, message: "URL must be text (a web address)" }];
  },
  execute: (ctx, input) => httpRequest(input, { allowPrivate: ctx.allowPrivateHttp }),
};

export const builtinSteps: readonly StepKind[] = [filter, branch, httpStep, delay];
