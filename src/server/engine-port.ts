/**
 * What the HTTP API needs from the engine, as one narrow interface. `serve` passes the running
 * engine's implementation; tests pass a real one built on the same store and catalogue.
 */
import type { StepDefinition, WorkflowDefinition } from "../engine/workflow.ts";
import type { NewRun } from "../store/runs.ts";
import type { StepTestResult, WorkflowTestResult } from "./wire.ts";

export interface WorkflowIssue {
  path: string;
  message: string;
}

export interface ServerEngine {
  /** Validates a definition against the workflow model (JSON Schema + references + catalogue keys). */
  validate(definition: unknown): { ok: true; definition: WorkflowDefinition } | { ok: false; errors: WorkflowIssue[] };
  /**
   * What keeps a valid definition from going live (required inputs, references to fields the
   * trigger or a step does not give, connections that do not exist…); empty when it may.
   */
  activationIssues?(definition: WorkflowDefinition): Promise<WorkflowIssue[]>;
  /** Runs one step for real, with `{{ }}` resolved against the given trigger payload and step outputs. */
  testStep(args: {
    step: StepDefinition;
    connection?: string;
    context: { trigger: unknown; steps: Record<string, unknown> };
  }): Promise<StepTestResult>;
  /** Runs every step once on a trigger payload without storing a run. */
  testWorkflow?(args: { definition: WorkflowDefinition; trigger: unknown }): Promise<WorkflowTestResult>;
  /**
   * Creates a run and starts it at once when a worker of this process is free and nothing else
   * waits (fewer writes than queueing it); undefined when the caller must queue it and notify.
   */
  submitRun?(run: NewRun): Promise<number | undefined>;
  /** Tells the scheduler/workers that workflows or queued runs changed, so they act now. */
  notify?(event: "workflows-changed" | "run-queued"): void;
  /** Counters for /metrics (polls, Cliniko requests, 429s…); names without the prefix. */
  stats?(): Record<string, number>;
  /** Labelled gauges for /metrics read at scrape time (distributed mode: queue depth, per-key budget use). */
  labelledStats?(): Promise<LabelledMetric[]>;
  /** Reachability of what the engine depends on beyond the database (distributed mode: Redis). */
  health?(): Promise<{ ok: boolean; redis?: string }>;
  /** Built-in triggers beside the catalogue's (schedule, webhook). */
  builtinTriggers?(): {
    key: string;
    title: string;
    description: string;
    inputSchema: Record<string, unknown>;
    /** What `trigger` holds in a run, for the editor's data picker. */
    sample?: unknown;
    /** Words a clinic may search for it by. */
    keywords?: string[];
  }[];
}

/** One /metrics family with labelled samples (name without the prefix). */
export interface LabelledMetric {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}
