/**
 * Which workflow version a replay runs. A run keeps the version it ran; once the workflow has
 * been fixed, replaying on that old version fails the same way again, so a run that failed on a
 * step changed since defaults to the current version. From the failed step, succeeded steps are
 * reused only while the current version still has them unchanged: an edited earlier step runs
 * again rather than feeding stale output into the fixed one.
 */
import type { RunRecord, Store } from "../store/index.ts";
import { stepIdOfKey } from "./journal-keys.ts";
import { allSteps, type StepDefinition } from "./workflow.ts";

export const REPLAY_VERSIONS = ["ran", "current"] as const;
/** "ran": the version the run used; "current": the workflow as it is now. */
export type ReplayVersion = (typeof REPLAY_VERSIONS)[number];

export interface ReplayPlan {
  /** The choice made when the caller made none. */
  defaultVersion: ReplayVersion;
  /** One sentence on why that default. */
  reason: string;
  ranVersion: number;
  currentVersion: number;
}

const stepsById = (definition: unknown): Map<string, string> => {
  const steps = (definition as { steps?: StepDefinition[] } | null)?.steps;
  const out = new Map<string, string>();
  if (Array.isArray(steps)) for (const { step } of allSteps(steps)) out.set(step.id, JSON.stringify(step));
  return out;
};

/** The ids of the steps that are not the same in both definitions (missing on one side counts). */
function changedSteps(before: unknown, after: unknown): Set<string> {
  const a = stepsById(before);
  const b = stepsById(after);
  const changed = new Set<string>();
  for (const [id, s] of a) if (b.get(id) !== s) changed.add(id);
  for (const id of b.keys()) if (!a.has(id)) changed.add(id);
  return changed;
}

/** What replaying `run` would use by default, and why. */
export async function planReplay(store: Store, run: RunRecord): Promise<ReplayPlan> {
  const workflow = await store.workflows.get(run.workflowId);
  const base = { ranVersion: run.workflowVersion, currentVersion: workflow.version };
  if (workflow.version === run.workflowVersion)
    return { ...base, defaultVersion: "ran", reason: "The workflow has not changed since this run." };
  const failed = (await store.runs.steps(run.id)).find((s) => s.status === "failed" || s.status === "unknown");
  const changed = changedSteps(
    await store.workflows.definitionAt(run.workflowId, run.workflowVersion),
    await store.workflows.definitionAt(run.workflowId, workflow.version),
  );
  if (failed && changed.has(stepIdOfKey(failed.stepId)))
    return {
      ...base,
      defaultVersion: "current",
      reason: `Step ${failed.stepId} failed and has been changed since (version ${workflow.version}).`,
    };
  return {
    ...base,
    defaultVersion: "ran",
    reason: failed
      ? `Step ${failed.stepId}, which failed, has not been changed since; the run keeps version ${run.workflowVersion}.`
      : `The run keeps version ${run.workflowVersion}.`,
  };
}

export interface ReplayResult {
  runId: number;
  version: ReplayVersion;
  workflowVersion: number;
  reason: string;
}

/**
 * Queues a replay of `run`: from the failed step (default) or the start, on the version it ran or
 * the current one (default: see `planReplay`).
 */
export async function replayRun(
  store: Store,
  run: RunRecord,
  options: { fromStart?: boolean; version?: ReplayVersion } = {},
): Promise<ReplayResult> {
  const plan = await planReplay(store, run);
  const version = options.version ?? plan.defaultVersion;
  const reason = options.version
    ? `Replayed on ${version === "current" ? "the current version" : "the version it ran"}, as asked.`
    : plan.reason;
  if (version === "ran" || plan.currentVersion === plan.ranVersion) {
    const runId = await store.runs.replay(run.id, { fromStart: Boolean(options.fromStart) });
    return { runId, version, workflowVersion: plan.ranVersion, reason };
  }
  const changed = changedSteps(
    await store.workflows.definitionAt(run.workflowId, plan.ranVersion),
    await store.workflows.definitionAt(run.workflowId, plan.currentVersion),
  );
  const runId = await store.runs.replay(run.id, {
    fromStart: Boolean(options.fromStart),
    workflowVersion: plan.currentVersion,
    reuse: (key) => !changed.has(stepIdOfKey(key)),
  });
  return { runId, version, workflowVersion: plan.currentVersion, reason };
}
