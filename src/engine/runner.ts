/**
 * Executes one run: its workflow version's steps in order, each step's input, output, error and
 * timing stored as it goes. Transient failures are retried with backoff; a write whose outcome is
 * unknown (sent, then no answer) is never repeated — the step and run become `unknown` for a
 * human to check. A run interrupted by a crash is resumed: finished steps are not re-executed,
 * and a step that was mid-flight is re-executed only when repeating it is harmless.
 *
 * Leases: while a run executes, a timer renews its lease, and every write of the run is fenced
 * by the claim's token (`RunStore.fenced`). A worker that lost its lease (it stalled longer than
 * the lease and another worker took the run over) stops at its next write with the outcome
 * `lease-lost`, recording nothing; since a non-repeatable step's row is written (fenced) right
 * before it is sent, such a worker never sends it either.
 */

import type { Logger } from "pino";
import { parseDuration } from "../expressions/duration.ts";
import { TemplateError, type TemplateScope, templateEnv } from "../expressions/template.ts";
import {
  clinicScope,
  errorDetails,
  errorText,
  executeStep,
  flowOf,
  prepareStep,
  stepEnvironment,
  stepFailure,
  stepKind,
  transient,
} from "../steps/execute.ts";
import type { Flow, ItemResult, StepContext, StepEnvironment, StepKind } from "../steps/types.ts";
import type { RunRecord, StepRecord, Store } from "../store/index.ts";
import { isRunFailure, type Lease, LeaseLostError, type RunEnd, type RunStore } from "../store/runs.ts";
import { settingsReadBy } from "./activation.ts";
import type { ClientProvider } from "./clients.ts";
import { itemPrefix, journalKey, ownSteps } from "./journal-keys.ts";
import { secretScrubber, secretValues } from "./redact.ts";
import { Stop, worst } from "./run-stop.ts";
import { runSettings, SettingMissingError } from "./settings.ts";
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
  /** How long a claim holds a run without renewal (default 60 s; the queue's must match). */
  leaseMs?: number;
  /** How often a run in flight renews its lease (default a third of the lease). */
  heartbeatMs?: number;
  logger?: Logger;
}

/** `lease-lost`: another worker took the run over; this one stopped without touching it further. */
export type RunOutcome = RunEnd | "parked" | "lease-lost";

/** A step's final result waiting to be committed with the run's next write (see `#record`). */
interface PendingStep {
  stepId: string;
  result: {
    status: Exclude<StepRecord["status"], "running">;
    output?: unknown;
    error?: string | null;
    details?: unknown;
  };
  /** Present when no row was written before the step ran (it is harmless to repeat). */
  row?: { seq: number; input: unknown; attempts: number; startedAt: string };
}

interface RunState {
  seq: number;
  /** Results of finished steps that are not committed yet (at most two, see `#record`). */
  pending: PendingStep[];
  run: RunRecord;
  owner: string;
  /** The run's step rows by journal key (see journal-keys.ts). */
  done: Map<string, StepRecord>;
  def: WorkflowDefinition;
  /** When the lease was last extended. */
  beat: number;
  fence: Fence;
}

/**
 * Where steps run: the run itself, or one item of a loop. Its scope holds what its steps read
 * (`item`, `index` and the item's own step outputs inside a loop); its prefix makes each step's
 * journal key (`loop[57].send`), so every item's steps have rows of their own.
 */
interface Lane {
  scope: TemplateScope;
  prefix: string;
}

/** The claim this execution holds; `lost` once a renewal or fenced write found it taken over. */
interface Fence {
  lease: Lease;
  lost: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Runner {
  readonly #o: RunnerOptions;
  /**
   * Cleans what is stored: no credential, and no secret FLOW_* value, reaches a run record. It
   * also cuts every value ever saved as a secret setting in this process (a run in flight may
   * still hold one changed since), so it is rebuilt when a new one appears.
   */
  #clean: ReturnType<typeof secretScrubber>;
  readonly #secretSettings = new Set<string>();
  readonly #stepEnv: StepEnvironment;
  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#stepEnv = stepEnvironment(options);
    this.#clean = secretScrubber(templateEnv(options.env));
  }

  /** The settings a run's templates read now (saved in the web UI; FLOW_* variables win). */
  async #settings(): Promise<Record<string, string>> {
    const { env, secrets } = await runSettings(this.#o.store, this.#o.env ?? process.env);
    // Saved as secret, or named like one (a *_WEBHOOK_URL, a *_TOKEN), as FLOW_* variables are.
    const fresh = [...secrets, ...secretValues(env)].filter((v) => !this.#secretSettings.has(v));
    if (fresh.length > 0) {
      for (const v of fresh) this.#secretSettings.add(v);
      this.#clean = secretScrubber(templateEnv(this.#o.env), [...this.#secretSettings]);
    }
    return env;
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

  /**
   * Executes a run the caller has claimed for `owner`. `claimed` is the claim's lease when the
   * caller has it (the claim renewed it just now); otherwise the lease is looked up and renewed.
   */
  async execute(run: RunRecord, owner: string, claimed?: Lease): Promise<RunOutcome> {
    const { store } = this.#o;
    const leaseMs = this.#o.leaseMs ?? 60_000;
    const lease =
      claimed?.runId === run.id && claimed.leaseMs === leaseMs
        ? claimed
        : await store.runs.lease(run.id, owner, leaseMs);
    if (!lease) return this.#leaseLost(run);
    const fence: Fence = { lease, lost: false };
    // Renewed while a step executes too (a slow POST, 429 waits inside the client), not only
    // between steps: a healthy worker never loses a run it is executing.
    const timer = setInterval(() => void this.#renew(fence), this.#o.heartbeatMs ?? leaseMs / 3);
    timer.unref?.();
    try {
      return await this.#execute(run, owner, fence);
    } catch (err) {
      if (err instanceof LeaseLostError || fence.lost) return this.#leaseLost(run);
      throw err;
    } finally {
      clearInterval(timer);
    }
  }

  async #execute(run: RunRecord, owner: string, fence: Fence): Promise<RunOutcome> {
    const { store } = this.#o;
    let outcome: Stop;
    let state: RunState | undefined;
    try {
      const def = await this.#definition(run);
      // A run never started before (and not a replay, which copies steps) has no step rows yet.
      const fresh = run.startedAt === null && run.replayOf === null;
      const done = new Map((fresh ? [] : await store.runs.steps(run.id)).map((s) => [s.stepId, s]));
      const scope: TemplateScope = { trigger: run.triggerPayload, steps: {}, env: await this.#settings() };
      const clinic = await clinicScope(this.#stepEnv, def.steps, def.trigger.connection);
      if (clinic) scope.clinic = clinic;
      state = { seq: 0, pending: [], run, owner, done, def, beat: Date.now(), fence };
      await this.#steps(def.steps, "steps", state, { scope, prefix: "" });
      outcome = new Stop("succeeded");
    } catch (err) {
      if (err instanceof Stop) outcome = err;
      else outcome = new Stop("failed", errorText(err), { details: errorDetails(err) });
    }
    // Whatever ended the run here, a worker that lost its lease writes nothing more.
    if (fence.lost) return this.#leaseLost(run);
    if (outcome.status === "parked") {
      // Parked only now, once every item of a loop running beside the delay has finished writing.
      const until = outcome.until!;
      await this.#flush(state!, (runs) => runs.park(run.id, until));
      return "parked";
    }
    // The last step's result and the run's end are one commit.
    const { status, error, details } = outcome;
    await this.#flush(
      state ?? { run, pending: [], fence },
      run.metadataOnly ? (runs) => runs.scrub(run.id) : undefined,
      { status, error: this.#clean.text(error), details: this.#clean.input(details ?? null) },
    );
    // The record read when the run was queued for this worker names the workflow and whether it
    // keeps metadata only: not read again here. A run that succeeded (or stopped at its filter) is
    // logged at debug level: its record is the history, and a line per run (redacted, then written)
    // was about a twentieth of a webhook run's CPU; one that failed is worth an operator's eye.
    this.#o.logger?.[isRunFailure(status) ? "info" : "debug"](
      { run: run.id, workflow: run.workflow, status },
      "run finished",
    );
    return outcome.status;
  }

  #leaseLost(run: RunRecord): RunOutcome {
    this.#o.logger?.warn(
      { run: run.id },
      "run lease lost: another worker took the run over, so this one stopped without recording or sending more",
    );
    return "lease-lost";
  }

  /** The heartbeat timer's renewal; a store error is left to the next fenced write to report. */
  async #renew(fence: Fence): Promise<void> {
    if (fence.lost) return;
    try {
      if (!(await this.#o.store.runs.heartbeat(fence.lease))) fence.lost = true;
    } catch {}
  }

  async #steps(steps: StepDefinition[], base: string, state: RunState, lane: Lane): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const path = `${base}[${i}]`;
      const kind = stepKind(step.action);
      const seq = state.seq++;
      const key = journalKey(lane.prefix, step.id);
      const prev = state.done.get(key);
      const { run } = state;
      const { scope } = lane;
      if (prev && (prev.status === "succeeded" || prev.status === "skipped")) {
        scope.steps[step.id] = prev.output;
        await this.#after(kind, step, key, path, prev.output, state, lane);
        continue;
      }
      if (prev?.status === "unknown") throw new Stop("unknown", prev.error);
      const repeatable = kind.safety(step) !== "write-once";
      if (prev?.status === "running" && !repeatable) {
        const msg = `Step ${key} was interrupted after it may have sent its request; its outcome is unknown, so it was not repeated.`;
        await this.#record(state, { stepId: key, result: { status: "unknown", error: msg } });
        throw new Stop("unknown", msg);
      }
      // A step that may write elsewhere is recorded as in flight BEFORE it executes, so a crash
      // leaves a `running` row and the resumed run marks it `unknown` instead of repeating it. A
      // step that is harmless to repeat writes once, when it ends. (A step that can park notes
      // its wake-up time on its row, so it needs the row first.)
      const preWritten = !repeatable || kind.effects.includes("park") || prev?.status === "running";
      let rowWritten = prev?.status === "running";
      const startedAt = new Date().toISOString();
      // Executions of this step (stored as `attempts` when no row was written up front).
      const tries = { n: 0 };
      let input: unknown = null;
      // The whole row for the final write when none was written before (else just the result).
      const row = () =>
        rowWritten ? undefined : { seq, input: this.#clean.input(input), attempts: tries.n, startedAt };
      try {
        // A setting nobody set fails the step naming it, not with the input error it would cause.
        const unset = settingsReadBy(step).find((name) => scope.env?.[name] === undefined);
        if (unset !== undefined) throw new SettingMissingError(unset);
        const evaluation = { workflow: String(run.workflowId), timeLimitMs: this.#o.templateTimeLimitMs };
        const prepared = await prepareStep(kind, step, path, scope, evaluation);
        if (prepared.skip) {
          await this.#record(state, { stepId: key, result: { status: "skipped", output: null }, row: row() });
          scope.steps[step.id] = null;
          continue;
        }
        input = prepared.input;
        if (!rowWritten && preWritten) {
          await this.#flush(state, (runs) => runs.startStep(run.id, key, seq, this.#clean.input(input)));
          rowWritten = true;
        }
        const ctx: StepContext = { ...this.#stepEnv, step, path, scope, evaluation, noted: prev?.output };
        const output = await this.#attempts(kind, ctx, key, input, state, preWritten, tries);
        await this.#wait(kind, step, key, path, output, state);
        scope.steps[step.id] = output;
        await this.#record(state, { stepId: key, result: { status: "succeeded", output }, row: row() }, preWritten);
        await this.#heartbeat(state);
      } catch (err) {
        if (err instanceof Stop) throw err;
        // Inside a loop the message names the item (`loop[57].send`), not only the step.
        const msg = stepFailure(step, err, key);
        const details = errorDetails(err);
        // Also a template error, which happens before any write: the row names the step in `runs show`.
        await this.#record(state, { stepId: key, result: { status: "failed", error: msg, details }, row: row() });
        throw new Stop("failed", msg, { details });
      }
      await this.#after(kind, step, key, path, scope.steps[step.id], state, lane);
    }
  }

  /**
   * A step whose output says "not before <time>" (a delay): a short wait happens in process; a
   * longer one parks the run, noting the time on the step's row so a resumed run keeps it.
   */
  async #wait(kind: StepKind, step: StepDefinition, key: string, path: string, output: unknown, state: RunState) {
    const flow = flowOf(kind, step, output, path);
    if (flow.kind !== "wait") return;
    const wait = Date.parse(flow.until) - Date.now();
    if (wait <= 0) return;
    if (wait <= (this.#o.inlineDelayMs ?? 2000)) {
      await this.#flush(state);
      await sleep(wait);
      return;
    }
    await this.#flush(state, (runs) => runs.noteStep(state.run.id, key, output));
    throw new Stop("parked", null, { until: flow.until });
  }

  /**
   * Records a finished step. Results of steps that are harmless to repeat wait and are committed
   * together with the run's next write (two steps per commit; the last step with the run's end);
   * losing them in a crash only makes the resumed run repeat those steps. A step that wrote a
   * row before executing (it may write elsewhere) is committed at once, with whatever waits.
   */
  async #record(state: RunState, step: PendingStep, now = false): Promise<void> {
    const { output, error, details } = step.result;
    state.pending.push({
      ...step,
      result: {
        ...step.result,
        output: this.#clean.text(output),
        error: this.#clean.text(error),
        details: this.#clean.input(details ?? null),
      },
    });
    if (now || state.pending.length >= 2) await this.#flush(state);
  }

  /**
   * Commits the waiting step results, together with `also` (and the run's `end`), in one
   * transaction fenced by the run's lease: nothing is written once another worker has taken the
   * run over.
   */
  async #flush(
    state: Pick<RunState, "run" | "pending" | "fence">,
    also?: (runs: RunStore) => Promise<void>,
    end?: { status: RunEnd; error: string | null; details?: unknown },
  ): Promise<void> {
    const { fence } = state;
    if (fence.lost) throw new LeaseLostError(state.run.id);
    if (state.pending.length === 0 && !also && !end) return;
    const pending = state.pending.splice(0);
    const writes = async (r: RunStore) => {
      for (const p of pending) await r.finishStep(state.run.id, p.stepId, p.result, p.row);
      await also?.(r);
    };
    try {
      // The run's end checks the lease itself: one statement fewer than renewing it first.
      if (end) await this.#o.store.runs.fencedEnd(fence.lease, end, writes);
      else await this.#o.store.runs.fenced(fence.lease, writes);
    } catch (err) {
      if (err instanceof LeaseLostError) fence.lost = true;
      throw err;
    }
  }

  /** Extends the run's lease once half of it has passed; throws `LeaseLostError` once it is lost. */
  async #heartbeat(state: RunState, force = false): Promise<void> {
    const { fence } = state;
    if (!force && !fence.lost && Date.now() - state.beat < fence.lease.leaseMs / 2) return;
    state.beat = Date.now();
    if (fence.lost || !(await this.#o.store.runs.heartbeat(fence.lease))) {
      fence.lost = true;
      throw new LeaseLostError(state.run.id);
    }
  }

  /**
   * What a finished step means for the flow: a filter that failed stops; a branch runs a case; a
   * loop runs its steps for every item, and its value for later steps becomes the items' results.
   */
  async #after(
    kind: StepKind,
    step: StepDefinition,
    key: string,
    path: string,
    output: unknown,
    state: RunState,
    lane: Lane,
  ) {
    const flow = flowOf(kind, step, output, path);
    if (flow.kind === "stop") throw new Stop("filtered");
    if (flow.kind === "enter") await this.#steps(flow.steps, flow.path, state, lane);
    if (flow.kind === "repeat") lane.scope.steps[step.id] = await this.#repeat(flow, key, state, lane);
  }

  /**
   * Runs a loop's items, at most `concurrency` at once, each in its own lane. The list the loop
   * goes over is committed before any item runs, so a resumed run goes over the same list. When an
   * item fails (or parks), no further item starts; those in flight finish, then the run stops with
   * the most serious outcome (a failure before a park).
   */
  async #repeat(flow: Extract<Flow, { kind: "repeat" }>, key: string, state: RunState, lane: Lane) {
    await this.#flush(state);
    const results: ItemResult[] = new Array(flow.items.length);
    const stops: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (stops.length === 0 && next < flow.items.length) {
        const index = next++;
        const item = flow.items[index];
        const scope: TemplateScope = { ...lane.scope, steps: { ...lane.scope.steps }, item, index };
        try {
          await this.#steps(flow.steps, `${flow.path}[${index}].steps`, state, {
            scope,
            prefix: itemPrefix(key, index),
          });
        } catch (err) {
          // A filter inside an item ends that item only.
          if (!(err instanceof Stop && err.status === "filtered")) {
            stops.push(err);
            break;
          }
        }
        results[index] = { index, item, steps: ownSteps(scope.steps, lane.scope.steps) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(flow.concurrency, flow.items.length) }, worker));
    if (stops.length > 0) throw worst(stops);
    return flow.result(results);
  }

  async #attempts(
    kind: StepKind,
    ctx: StepContext,
    key: string,
    input: unknown,
    state: RunState,
    preWritten: boolean,
    tries: { n: number },
  ): Promise<unknown> {
    const { step } = ctx;
    const attempts = step.retry?.attempts ?? this.#o.retry?.attempts ?? 3;
    let backoff = step.retry?.backoff ? parseDuration(step.retry.backoff) : (this.#o.retry?.backoffMs ?? 1000);
    const maxBackoff = this.#o.retry?.maxBackoffMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        tries.n++;
        return await executeStep(kind, ctx, input);
      } catch (err) {
        if (err instanceof Stop || err instanceof TemplateError) throw err;
        const maybeSent = (err as { maybeSent?: boolean }).maybeSent === true;
        if (maybeSent && kind.safety(step) === "write-once") {
          const msg = `Step ${key} (${step.action}) may or may not have taken effect, so it was not repeated: ${errorText(err)}`;
          const details = errorDetails(err);
          await this.#record(state, { stepId: key, result: { status: "unknown", error: msg, details } });
          throw new Stop("unknown", msg, { details });
        }
        if (attempt > attempts || !transient(err)) throw err;
        this.#o.logger?.warn({ run: state.run.id, step: key, attempt }, "step failed; retrying");
        await this.#flush(state); // nothing waits uncommitted through a backoff
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        // A pre-written step counts its attempts on its row (still `running`: a crash → `unknown`).
        if (preWritten)
          await this.#flush(state, (runs) => runs.startStep(state.run.id, key, 0, this.#clean.input(input)));
        await this.#heartbeat(state, true);
      }
    }
  }
}
