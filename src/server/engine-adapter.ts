/**
 * The HTTP API's view of the engine (engine-port.ts), built from the engine's own parts: its
 * workflow validation, its templates, its client provider and its built-in steps. Testing a
 * step runs exactly what the runner would run, without storing a run.
 */
import { z } from "zod";
import { action as catalogAction } from "../catalog/index.ts";
import { ClinikoError } from "../cliniko/errors.ts";
import type { ClientProvider } from "../engine/clients.ts";
import { HttpRequestError, HttpRequestInput, httpRequest } from "../engine/http-request.ts";
import { secretScrubber } from "../engine/redact.ts";
import { condition, render, type TemplateScope, templateEnv } from "../engine/template.ts";
import {
  type WorkflowDefinition as EngineWorkflow,
  type StepDefinition,
  validateWorkflow,
  WorkflowValidationError,
} from "../engine/workflow.ts";
import type { ServerEngine } from "./engine-port.ts";
import { WEBHOOK_SAMPLE } from "./webhooks.ts";
import type { StepTestResult, WorkflowDefinition } from "./wire.ts";

export interface EngineParts {
  clients: ClientProvider;
  /** Wakes the workers when a run was queued (replay). */
  queue?: { notify(): void };
  env?: NodeJS.ProcessEnv;
  allowPrivateHttp?: boolean;
  stats?: () => Record<string, number>;
}

const jsonSchema = (schema: z.ZodType) => {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

const expression = (description: string) => ({ type: "string", description });

/** Built-in steps as the editor shows them; `branch` cases live beside `input`, edited by the UI. */
const builtinSteps = [
  {
    key: "filter",
    title: "Filter: continue only if…",
    description: "Stops the run here (as succeeded) unless the condition is true.",
    inputSchema: {
      type: "object",
      properties: { condition: expression("e.g. {{ trigger.email != null }}") },
      required: ["condition"],
    },
    outputSample: { passed: true },
  },
  {
    key: "branch",
    title: "Branch: run different steps by condition",
    description: "Runs the steps of the first case whose condition is true, else the else steps.",
    inputSchema: { type: "object", properties: {} },
    outputSample: { case: 0 },
  },
  {
    key: "http.request",
    title: "Send an HTTP request",
    description: "Calls another app's URL (webhook, CRM, accounting); private addresses are refused.",
    inputSchema: jsonSchema(HttpRequestInput),
    outputSample: { status: 200, headers: { "content-type": "application/json" }, body: {} },
  },
  {
    key: "delay",
    title: "Delay",
    description: "Waits for a duration (for: 10m) or until a time (until: ISO 8601) before the next step.",
    inputSchema: {
      type: "object",
      properties: {
        for: { type: "string", description: "A duration such as 30s, 5m, 1h or 1d" },
        until: { type: "string", format: "date-time", description: "An ISO 8601 time" },
      },
    },
    outputSample: { until: "2025-03-03T09:00:00Z" },
  },
];

const builtinTriggers = [
  {
    key: "schedule",
    title: "On a schedule",
    description: "Runs at the times of a cron expression (e.g. 0 8 * * 1-5: weekdays at 8:00).",
    inputSchema: {
      type: "object",
      properties: {
        cron: { type: "string", description: "Cron expression, e.g. 0 8 * * 1-5" },
        timezone: { type: "string", description: "IANA time zone, e.g. Australia/Sydney" },
      },
      required: ["cron"],
    },
    sample: { scheduledAt: "2025-03-03T08:00:00.000Z", firedAt: "2025-03-03T08:00:00.120Z" },
  },
  {
    key: "webhook",
    title: "Inbound webhook",
    description: "Runs when another app posts JSON to this workflow's webhook URL (shown once it is saved).",
    inputSchema: { type: "object", properties: {} },
    sample: WEBHOOK_SAMPLE,
  },
];

function errorText(err: unknown): string {
  if (err instanceof ClinikoError || err instanceof HttpRequestError) {
    const d = err.detail;
    return d === undefined ? err.message : `${err.message} ${typeof d === "string" ? d : JSON.stringify(d)}`;
  }
  return (err as Error)?.message ?? String(err);
}

export function serverEngineOf(parts: EngineParts): ServerEngine {
  const env = templateEnv(parts.env ?? process.env);
  // Test answers show what a run record would keep: no credentials, no secret FLOW_* values.
  const clean = secretScrubber(env);

  /** One step, as the runner performs it; branch/filter outputs say which way the flow goes. */
  async function perform(step: StepDefinition, input: unknown, scope: TemplateScope): Promise<unknown> {
    switch (step.action) {
      case "filter":
        return { passed: await condition((input as { condition?: unknown }).condition, scope, step.id) };
      case "branch": {
        const cases = step.cases ?? [];
        for (let j = 0; j < cases.length; j++)
          if (await condition(cases[j]!.if, scope, `${step.id}.cases[${j}].if`)) return { case: j };
        return { case: "else" };
      }
      case "delay":
        // A test does not wait: it shows when the run would continue.
        return { until: (input as { until?: string }).until ?? `after ${(input as { for?: string }).for}` };
      case "http.request":
        return httpRequest(input, { allowPrivate: parts.allowPrivateHttp });
      default: {
        const def = catalogAction(step.action);
        const { client } = await parts.clients.resolve(step.connection);
        return (await def.run(client, input)) ?? null;
      }
    }
  }

  async function testOne(step: StepDefinition, scope: TemplateScope): Promise<StepTestResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let input: unknown = step.input ?? {};
    try {
      if (step.if !== undefined && !(await condition(step.if, scope, `${step.id}.if`)))
        return { ok: true, skipped: true, input: null, output: null, durationMs: elapsed() };
      input = await render(step.input ?? {}, scope, `${step.id}.input`);
      const output = await perform(step, input, scope);
      return { ok: true, input: clean.input(input), output: clean.text(output), durationMs: elapsed() };
    } catch (err) {
      return { ok: false, input: clean.input(input), error: clean.text(errorText(err)), durationMs: elapsed() };
    }
  }

  return {
    validate(definition) {
      try {
        return { ok: true, definition: validateWorkflow(definition) as unknown as WorkflowDefinition };
      } catch (err) {
        if (err instanceof WorkflowValidationError)
          return { ok: false, errors: err.issues.map((i) => ({ path: i.path, message: i.message })) };
        throw err;
      }
    },

    async testStep({ step, connection, context }) {
      const scope: TemplateScope = { trigger: context.trigger, steps: { ...context.steps }, env };
      return testOne({ ...(step as StepDefinition), ...(connection ? { connection } : {}) }, scope);
    },

    async testWorkflow({ definition, trigger }) {
      const def = definition as unknown as EngineWorkflow;
      const scope: TemplateScope = { trigger, steps: {}, env };
      const results: (StepTestResult & { stepId: string })[] = [];
      const walk = async (steps: StepDefinition[]): Promise<boolean> => {
        for (const step of steps) {
          const result = await testOne(step, scope);
          results.push({ stepId: step.id, ...result });
          if (!result.ok) return false;
          scope.steps[step.id] = result.output;
          if (step.action === "filter" && !(result.output as { passed?: boolean })?.passed) return true;
          if (step.action === "branch") {
            const chosen = (result.output as { case?: number | "else" }).case;
            const next = typeof chosen === "number" ? step.cases?.[chosen]?.steps : step.else;
            if (next && !(await walk(next))) return false;
          }
        }
        return true;
      };
      const ok = await walk(def.steps);
      return { ok, trigger, steps: results };
    },

    // Workflow changes reach the scheduler at its next reload (every few seconds); queued runs
    // wake the workers at once.
    notify(event) {
      if (event === "run-queued") parts.queue?.notify();
    },

    stats: parts.stats,
    builtinSteps: () => builtinSteps,
    builtinTriggers: () => builtinTriggers,
  };
}
