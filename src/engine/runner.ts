/**
 * Executes one run: its workflow version's steps in order, each step's input, output, error and
 * timing stored as it goes. Transient failures are retried with backoff; a write whose outcome is
 * unknown (sent, then no answer) is never repeated — the step and run become `unknown` for a
 * human to check. A run interrupted by a crash is resumed: finished steps are not re-executed,
 * and a step that was mid-flight is re-executed only when repeating it is harmless.
 */

import type { Logger } from "pino";
import { action as catalogAction } from "../catalog/index.ts";
import { ClinikoError } from "../cliniko/errors.ts";
import type { RunRecord, StepRecord, Store } from "../store/index.ts";
import type { RunStore } from "../store/runs.ts";
import type { ClientProvider } from "./clients.ts";
import { parseDuration } from "./duration.ts";
import { HttpRequestError, httpRequest, isSafeMethod } from "./http-request.ts";
import { secretScrubber } from "./redact.ts";
import { condition, render, TemplateError, type TemplateScope, templateEnv } from "./template.ts";
import { type StepDefinition, validateWorkflow, type WorkflowDefinition } from "./workflow.ts";

export interface RunnerOptions {
  store: Store;
  clients: ClientProvider;
  env?: NodeJS.ProcessEnv;
  /** Allow http.request to loopback/link-local targets (tests, local setups). */
  allowPrivateHttp?: boolean;
  /** Attempts for transient failures (default 3) and the first backoff (default 1 s, doubling). */
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Delays shorter than this wait in process instead of parking the run (default 2 s). */
  inlineDelayMs?: number;
  templateTimeLimitMs?: number;
  leaseMs?: number;
  logger?: Logger;
}

export type RunOutcome = "succeeded" | "failed" | "unknown" | "parked";

/** Thrown inside the runner to end the run with a status. */
class Stop {
  readonly status: RunOutcome;
  readonly error: string | null;
  constructor(status: RunOutcome, error: string | null = null) {
    this.status = status;
    this.error = error;
  }
}

function errorText(err: unknown): string {
  if (err instanceof ClinikoError || err instanceof HttpRequestError) {
    const d = err.detail;
    const detail = d === undefined ? "" : ` ${typeof d === "string" ? d : JSON.stringify(d)}`.slice(0, 600);
    return `${err.message}${detail}`;
  }
  return (err as Error)?.message ?? String(err);
}

/** A step's final result waiting to be committed with the run's next write (see `#record`). */
interface PendingStep {
  stepId: string;
  result: { status: Exclude<StepRecord["status"], "running">; output?: unknown; error?: string | null };
  /** Present when no row was written before the step ran (it is harmless to repeat). */
  row?: { seq: number; input: unknown; attempts: number; startedAt: string };
}

interface RunState {
  seq: number;
  /** Results of finished steps that are not committed yet (at most two, see `#record`). */
  pending: PendingStep[];
  /** Executions of the current step (stored as `attempts` when no row was written up front). */
  attempts: number;
  run: RunRecord;
  owner: string;
  done: Map<string, StepRecord>;
  scope: TemplateScope;
  def: WorkflowDefinition;
  /** When the lease was last extended. */
  beat: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Runner {
  readonly #o: RunnerOptions;
  readonly #env: Record<string, string>;
  /** Cleans what is stored: no credential, and no secret FLOW_* value, reaches a run record. */
  readonly #clean: ReturnType<typeof secretScrubber>;
  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#env = templateEnv(options.env);
    this.#clean = secretScrubber(this.#env);
  }

  /** A version never changes once stored, so its validated definition is cached. */
  readonly #definitions = new Map<string, WorkflowDefinition>();
  async #definition(run: RunRecord): Promise<WorkflowDefinition> {
    const key = `${run.workflowId}:${run.workflowVersion}`;
    let def = this.#definitions.get(key);
    if (!def) {
      def = validateWorkflow(await this.#o.store.workflows.definitionAt(run.workflowId, run.workflowVersion));
      if (this.#definitions.size > 1000) this.#definitions.clear();
      this.#definitions.set(key, def);
    }
    return def;
  }

  /** Executes a run the caller has claimed for `owner`. */
  async execute(run: RunRecord, owner: string): Promise<RunOutcome> {
    const { store } = this.#o;
    const workflow = await store.workflows.get(run.workflowId);
    let outcome: Stop;
    let state: RunState | undefined;
    try {
      const def = await this.#definition(run);
      // A run never started before (and not a replay, which copies steps) has no step rows yet.
      const fresh = run.startedAt === null && run.replayOf === null;
      const done = new Map((fresh ? [] : await store.runs.steps(run.id)).map((s) => [s.stepId, s]));
      const scope: TemplateScope = { trigger: run.triggerPayload, steps: {}, env: this.#env };
      state = { seq: 0, pending: [], attempts: 0, run, owner, done, scope, def, beat: Date.now() };
      await this.#steps(def.steps, "steps", state);
      outcome = new Stop("succeeded");
    } catch (err) {
      if (err instanceof Stop) outcome = err;
      else outcome = new Stop("failed", errorText(err));
    }
    if (outcome.status === "parked") return "parked";
    // The last step's result and the run's end are one commit.
    const { status, error } = outcome;
    await this.#flush(state, async (runs) => {
      await runs.finish(run.id, status, this.#clean.text(error));
      if (workflow.metadataOnly) await runs.scrub(run.id);
    });
    this.#o.logger?.info({ run: run.id, workflow: workflow.name, status: outcome.status }, "run finished");
    return outcome.status;
  }

  async #steps(steps: StepDefinition[], base: string, state: RunState): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const path = `${base}[${i}]`;
      const seq = state.seq++;
      const prev = state.done.get(step.id);
      const { run, scope } = state;
      if (prev && (prev.status === "succeeded" || prev.status === "skipped")) {
        scope.steps[step.id] = prev.output;
        await this.#after(step, path, prev.output, state);
        continue;
      }
      if (prev?.status === "unknown") throw new Stop("unknown", prev.error);
      const repeatable = this.#repeatable(step);
      if (prev?.status === "running" && !repeatable) {
        const msg = `Step ${step.id} was interrupted after it may have sent its request; its outcome is unknown, so it was not repeated.`;
        await this.#record(state, { stepId: step.id, result: { status: "unknown", error: msg } });
        throw new Stop("unknown", msg);
      }
      // A step that may write elsewhere is recorded as in flight BEFORE it executes, so a crash
      // leaves a `running` row and the resumed run marks it `unknown` instead of repeating it. A
      // step that is harmless to repeat writes once, when it ends. (`delay` notes its wake-up
      // time on its row, so it needs the row first.)
      const preWritten = !repeatable || step.action === "delay" || prev?.status === "running";
      let rowWritten = prev?.status === "running";
      const startedAt = new Date().toISOString();
      state.attempts = 0;
      let input: unknown = null;
      // The whole row for the final write when none was written before (else just the result).
      const row = () =>
        rowWritten ? undefined : { seq, input: this.#clean.input(input), attempts: state.attempts, startedAt };
      try {
        if (step.if !== undefined && !(await condition(step.if, scope, `${path}.if`, this.#o.templateTimeLimitMs))) {
          await this.#record(state, { stepId: step.id, result: { status: "skipped", output: null }, row: row() });
          scope.steps[step.id] = null;
          continue;
        }
        input = await render(step.input ?? {}, scope, `${path}.input`, this.#o.templateTimeLimitMs);
        if (!rowWritten && preWritten) {
          await this.#flush(state, (runs) => runs.startStep(run.id, step.id, seq, this.#clean.input(input)));
          rowWritten = true;
        }
        const output = await this.#attempts(step, input, prev, state, preWritten);
        scope.steps[step.id] = output;
        await this.#record(state, { stepId: step.id, result: { status: "succeeded", output }, row: row() }, preWritten);
        await this.#heartbeat(state);
        await this.#after(step, path, output, state);
      } catch (err) {
        if (err instanceof Stop) throw err;
        const msg =
          err instanceof TemplateError
            ? `Step ${step.id}: ${err.message}`
            : `Step ${step.id} (${step.action}) failed: ${errorText(err)}`;
        // Also a template error, which happens before any write: the row names the step in `runs show`.
        await this.#record(state, { stepId: step.id, result: { status: "failed", error: msg }, row: row() });
        throw new Stop("failed", msg);
      }
    }
  }

  /**
   * Records a finished step. Results of steps that are harmless to repeat wait and are committed
   * together with the run's next write (two steps per commit; the last step with the run's end);
   * losing them in a crash only makes the resumed run repeat those steps. A step that wrote a
   * row before executing (it may write elsewhere) is committed at once, with whatever waits.
   */
  async #record(state: RunState, step: PendingStep, now = false): Promise<void> {
    const { output, error } = step.result;
    state.pending.push({
      ...step,
      result: { ...step.result, output: this.#clean.text(output), error: this.#clean.text(error) },
    });
    if (now || state.pending.length >= 2) await this.#flush(state);
  }

  /** Commits the waiting step results, together with `also` in one transaction when given. */
  async #flush(state: RunState | undefined, also?: (runs: RunStore) => Promise<void>): Promise<void> {
    const { runs } = this.#o.store;
    const pending = state?.pending.splice(0) ?? [];
    const write = async (r: RunStore) => {
      for (const p of pending) await r.finishStep(state!.run.id, p.stepId, p.result, p.row);
      await also?.(r);
    };
    if (pending.length + (also ? 1 : 0) > 1) await runs.atomically(write);
    else await write(runs);
  }

  /** Extends the run's lease once half of it has passed (not after every step: that costs a write). */
  async #heartbeat(state: RunState, force = false): Promise<void> {
    const leaseMs = this.#o.leaseMs ?? 60_000;
    if (!force && Date.now() - state.beat < leaseMs / 2) return;
    state.beat = Date.now();
    await this.#o.store.runs.heartbeat(state.run.id, state.owner, leaseMs);
  }

  /** What a finished step means for the flow: a filter that failed stops; a branch runs a case. */
  async #after(step: StepDefinition, path: string, output: unknown, state: RunState) {
    if (step.action === "filter" && !(output as { passed?: boolean } | null)?.passed) throw new Stop("succeeded");
    if (step.action === "branch") {
      const chosen = (output as { case?: number | "else" } | null)?.case;
      if (typeof chosen === "number" && step.cases?.[chosen])
        await this.#steps(step.cases[chosen].steps, `${path}.cases[${chosen}].steps`, state);
      else if (chosen === "else" && step.else) await this.#steps(step.else, `${path}.else`, state);
    }
  }

  /** Whether re-executing an interrupted step cannot do a write twice. */
  #repeatable(step: StepDefinition): boolean {
    if (["filter", "branch", "delay"].includes(step.action)) return true;
    if (step.action === "http.request") {
      const method = String((step.input as { method?: unknown } | undefined)?.method ?? "POST");
      return isSafeMethod(method);
    }
    const def = catalogAction(step.action);
    return def.method !== "POST" || def.kind === "find" || def.kind === "list";
  }

  async #attempts(
    step: StepDefinition,
    input: unknown,
    prev: StepRecord | undefined,
    state: RunState,
    preWritten: boolean,
  ): Promise<unknown> {
    const attempts = step.retry?.attempts ?? this.#o.retry?.attempts ?? 3;
    let backoff = step.retry?.backoff ? parseDuration(step.retry.backoff) : (this.#o.retry?.backoffMs ?? 1000);
    const maxBackoff = this.#o.retry?.maxBackoffMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        state.attempts++;
        return await this.#perform(step, input, prev, state);
      } catch (err) {
        if (err instanceof Stop || err instanceof TemplateError) throw err;
        const repeatable = this.#repeatable(step);
        const maybeSent = (err as { maybeSent?: boolean }).maybeSent === true;
        if (maybeSent && !repeatable) {
          const msg = `Step ${step.id} (${step.action}) may or may not have taken effect, so it was not repeated: ${errorText(err)}`;
          await this.#record(state, { stepId: step.id, result: { status: "unknown", error: msg } });
          throw new Stop("unknown", msg);
        }
        if (attempt > attempts || !transient(err)) throw err;
        this.#o.logger?.warn({ run: state.run.id, step: step.id, attempt }, "step failed; retrying");
        await this.#flush(state); // nothing waits uncommitted through a backoff
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        // A pre-written step counts its attempts on its row (still `running`: a crash → `unknown`).
        if (preWritten) await this.#o.store.runs.startStep(state.run.id, step.id, 0, this.#clean.input(input));
        await this.#heartbeat(state, true);
      }
    }
  }

  async #perform(step: StepDefinition, input: unknown, prev: StepRecord | undefined, state: RunState) {
    const { scope, run } = state;
    switch (step.action) {
      case "filter": {
        const passed = await condition(
          (input as { condition?: unknown }).condition,
          scope,
          `${step.id}.input.condition`,
          this.#o.templateTimeLimitMs,
        );
        return { passed };
      }
      case "branch": {
        const cases = step.cases ?? [];
        for (let j = 0; j < cases.length; j++)
          if (await condition(cases[j]!.if, scope, `${step.id}.cases[${j}].if`, this.#o.templateTimeLimitMs))
            return { case: j };
        return { case: "else" };
      }
      case "delay": {
        const i = input as { for?: string; until?: string };
        const noted = (prev?.output as { until?: string } | null)?.until;
        const until =
          noted ??
          (i.until
            ? new Date(i.until).toISOString()
            : new Date(Date.now() + parseDuration(String(i.for))).toISOString());
        if (Number.isNaN(Date.parse(until))) throw new Error(`delay: "${i.until}" is not a time`);
        const wait = Date.parse(until) - Date.now();
        if (wait <= 0) return { until };
        if (wait <= (this.#o.inlineDelayMs ?? 2000)) {
          await this.#flush(state);
          await sleep(wait);
          return { until };
        }
        await this.#flush(state, async (runs) => {
          await runs.noteStep(run.id, step.id, { until });
          await runs.park(run.id, until);
        });
        throw new Stop("parked");
      }
      case "http.request":
        return httpRequest(input, { allowPrivate: this.#o.allowPrivateHttp });
      default: {
        const def = catalogAction(step.action);
        const { client } = await this.#o.clients.resolve(step.connection);
        return (await def.run(client, input)) ?? null;
      }
    }
  }
}

function transient(err: unknown): boolean {
  if (err instanceof HttpRequestError) return err.transient;
  if (err instanceof ClinikoError) return ["rate_limited", "server", "network", "timeout"].includes(err.code);
  return false;
}
