/**
 * The ephemeral journal: runs one step, or a whole workflow once, on a given trigger payload
 * without storing a run — what the editor's "Test this step" and "Test the workflow" do. It goes
 * through the same registry functions as the runner (src/steps/execute.ts), so the input, output
 * and error text are what a run would record. Differences, by design: nothing is recorded, a
 * delay shows when the run would go on instead of waiting, and nothing is retried.
 */

import { type Evaluation, type TemplateScope, templateEnv } from "../expressions/template.ts";
import {
  clinicScope,
  errorDetails,
  executeStep,
  flowOf,
  prepareStep,
  stepEnvironment,
  stepFailure,
  stepKind,
} from "../steps/execute.ts";
import type { ItemResult, StepEnvironment } from "../steps/types.ts";
import type { ClientProvider } from "./clients.ts";
import { itemPrefix, journalKey, ownSteps } from "./journal-keys.ts";
import { secretScrubber } from "./redact.ts";
import type { StepDefinition, WorkflowDefinition } from "./workflow.ts";

export interface StepTestResult {
  ok: boolean;
  skipped?: boolean;
  input: unknown;
  output?: unknown;
  error?: string;
  /** What the error's sentence leaves out, as a run records it beside the error. */
  details?: unknown;
  durationMs: number;
}

export interface WorkflowTestResult {
  ok: boolean;
  trigger: unknown;
  steps: (StepTestResult & { stepId: string })[];
}

export interface StepTesterOptions {
  clients: ClientProvider;
  env?: NodeJS.ProcessEnv;
  allowPrivateHttp?: boolean;
  templateTimeLimitMs?: number;
}

export class StepTester {
  readonly #o: StepTesterOptions;
  /** Test answers show what a run record would keep: no credentials, no secret FLOW_* values. */
  #clean: ReturnType<typeof secretScrubber>;
  readonly #stepEnv: StepEnvironment;
  /** The editor's tests take one turn among the workflows' runs in the expression pool. */
  readonly #evaluation: Evaluation;
  constructor(options: StepTesterOptions) {
    this.#o = options;
    this.#evaluation = { workflow: "editor-test", timeLimitMs: options.templateTimeLimitMs };
    this.#stepEnv = stepEnvironment(options);
    this.#clean = secretScrubber(templateEnv(options.env ?? process.env));
  }

  /** A test's scope: the settings as a run would see them now (saved ones, FLOW_* variables winning). */
  async scope(trigger: unknown, steps: Record<string, unknown> = {}): Promise<TemplateScope> {
    const settings = await this.#o.clients.runSettings();
    this.#clean = secretScrubber(settings.env, settings.secrets);
    return { trigger, steps: { ...steps }, env: settings.env };
  }

  /**
   * One step, as the runner performs it; `path` is where it sits in the file, `key` what a run
   * would journal it as (inside a loop's item: `loop[3].send`).
   */
  async step(step: StepDefinition, scope: TemplateScope, path = step.id, key = step.id): Promise<StepTestResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let input: unknown = step.input ?? {};
    try {
      const kind = stepKind(step.action);
      // A step tested on its own reads the zone of its own Cliniko connection (else the default one).
      if (!scope.clinic) {
        const clinic = await clinicScope(
          this.#stepEnv,
          step,
          kind.connection === "cliniko" ? step.connection : undefined,
        );
        if (clinic) scope.clinic = clinic;
      }
      const prepared = await prepareStep(kind, step, path, scope, this.#evaluation);
      if (prepared.skip) return { ok: true, skipped: true, input: null, output: null, durationMs: elapsed() };
      input = prepared.input;
      const output = await executeStep(
        kind,
        { ...this.#stepEnv, step, path, scope, evaluation: this.#evaluation },
        input,
      );
      return { ok: true, input: this.#clean.input(input), output: this.#clean.text(output), durationMs: elapsed() };
    } catch (err) {
      return {
        ok: false,
        input: this.#clean.input(input),
        error: this.#clean.text(stepFailure(step, err, key)) as string,
        details: this.#clean.input(errorDetails(err)),
        durationMs: elapsed(),
      };
    }
  }

  /**
   * Every step once, following filters, branches and loops as a run would, stopping at the first
   * failure. A loop's items run one after another; their steps are listed under the keys a run
   * would journal them by (`loop[3].send`).
   */
  async workflow(definition: WorkflowDefinition, trigger: unknown): Promise<WorkflowTestResult> {
    const results: (StepTestResult & { stepId: string })[] = [];
    type End = "continue" | "stop" | "failed";
    const walk = async (steps: StepDefinition[], base: string, scope: TemplateScope, prefix: string): Promise<End> => {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        const path = `${base}[${i}]`;
        const key = journalKey(prefix, step.id);
        const result = { stepId: key, ...(await this.step(step, scope, path, key)) };
        results.push(result);
        if (!result.ok) return "failed";
        scope.steps[step.id] = result.output;
        if (result.skipped) continue;
        const flow = flowOf(stepKind(step.action), step, result.output, path);
        if (flow.kind === "stop") return "stop";
        if (flow.kind === "enter") {
          const end = await walk(flow.steps, flow.path, scope, prefix);
          if (end !== "continue") return end;
        }
        if (flow.kind === "repeat") {
          const items: ItemResult[] = [];
          for (const [index, item] of flow.items.entries()) {
            const inner: TemplateScope = { ...scope, steps: { ...scope.steps }, item, index };
            // A filter inside an item ends that item only.
            const end = await walk(flow.steps, `${flow.path}[${index}].steps`, inner, itemPrefix(key, index));
            if (end === "failed") return end;
            items.push({ index, item, steps: ownSteps(inner.steps, scope.steps) });
          }
          scope.steps[step.id] = flow.result(items);
          result.output = this.#clean.text(scope.steps[step.id]);
        }
      }
      return "continue";
    };
    const scope = await this.scope(trigger);
    // As a run does, from the trigger's connection; should Cliniko not answer, the first step that
    // needs the zone asks again and shows the failure.
    const clinic = await clinicScope(this.#stepEnv, definition.steps, definition.trigger.connection).catch(
      () => undefined,
    );
    if (clinic) scope.clinic = clinic;
    const end = await walk(definition.steps, "steps", scope, "");
    return { ok: end !== "failed", trigger, steps: results };
  }
}
