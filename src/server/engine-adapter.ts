/**
 * The HTTP API's view of the engine (engine-port.ts), built from the engine's own parts: its
 * workflow validation, its step registry and its ephemeral journal (src/engine/step-test.ts).
 * Testing a step runs the same registry code the runner runs, without storing a run.
 */

import { activationIssues } from "../engine/activation.ts";
import type { ClientProvider } from "../engine/clients.ts";
import type { RunQueue } from "../engine/queue.ts";
import { StepTester } from "../engine/step-test.ts";
import { validateWorkflow, WorkflowValidationError } from "../engine/workflow.ts";
import type { ServerEngine } from "./engine-port.ts";
import { WEBHOOK_SAMPLE } from "./webhooks.ts";

export interface EngineParts {
  clients: ClientProvider;
  /** Wakes the workers when a run was queued (replay); starts a webhook's run at once when it can. */
  queue?: Pick<RunQueue, "notify" | "submit">;
  /** Reloads the workflows at once when one was saved, enabled or removed. */
  scheduler?: { workflowsChanged(): void };
  env?: NodeJS.ProcessEnv;
  allowPrivateHttp?: boolean;
  stats?: () => Record<string, number>;
  labelledStats?: ServerEngine["labelledStats"];
  health?: ServerEngine["health"];
}

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
    keywords: ["daily", "every day", "birthday", "digest", "cron", "timer"],
  },
  {
    key: "webhook",
    title: "Inbound webhook",
    description: "Runs when another app posts JSON to this workflow's webhook URL (shown once it is saved).",
    inputSchema: { type: "object", properties: {} },
    sample: WEBHOOK_SAMPLE,
    keywords: ["webhook", "form", "zapier"],
  },
];

export function serverEngineOf(parts: EngineParts): ServerEngine {
  const tester = new StepTester({
    clients: parts.clients,
    env: parts.env ?? process.env,
    allowPrivateHttp: parts.allowPrivateHttp,
  });

  return {
    validate(definition) {
      try {
        return { ok: true, definition: validateWorkflow(definition) };
      } catch (err) {
        if (err instanceof WorkflowValidationError)
          return { ok: false, errors: err.issues.map((i) => ({ path: i.path, message: i.message })) };
        throw err;
      }
    },

    activationIssues: (definition) => activationIssues(definition, parts.clients.activationContext()),

    async testStep({ step, connection, context }) {
      const scope = await tester.scope(context.trigger, context.steps);
      return tester.step({ ...step, ...(connection ? { connection } : {}) }, scope);
    },

    testWorkflow: ({ definition, trigger }) => tester.workflow(definition, trigger),

    submitRun: (run) => parts.queue?.submit?.(run) ?? Promise.resolve(undefined),

    notify(event) {
      if (event === "run-queued") parts.queue?.notify();
      else parts.scheduler?.workflowsChanged();
    },

    stats: parts.stats,
    labelledStats: parts.labelledStats,
    health: parts.health,
    builtinTriggers: () => builtinTriggers,
  };
}
