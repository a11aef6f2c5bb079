/**
 * What a step kind is. Every kind a workflow can name — each catalogue action, `http.request`,
 * `filter`, `branch`, `delay` — is one `StepKind` in the registry (registry.ts). The runner, the
 * step and workflow tests, workflow validation, the HTTP API's catalogue and the editor's palette
 * read these entries; nothing else names a step kind.
 *
 * The model is Temporal's activities / Inngest's `step.run`: `execute` is the same code whether a
 * durable journal (a stored run) or an ephemeral one (a test in the editor) drives it. The journal
 * decides what to record and whether to wait; the kind only says what it does and what it means
 * for the flow.
 */
import type { z } from "zod";
import type { AppConnection } from "../apps/types.ts";
import type { ActionDef } from "../catalog/index.ts";
import type { RepeatSafety } from "../catalog/types.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { AppKind, ConnectionKind } from "../connection-kinds.ts";
import type { Evaluation, TemplateScope } from "../expressions/template.ts";
import type { StepDefinition } from "./definition.ts";

export type { RepeatSafety };

/** What a finished step does to the rest of the run. */
export type Flow =
  | { kind: "continue" }
  /** End the run here, as succeeded (a filter that did not pass). */
  | { kind: "stop" }
  /** Run these steps next (a branch's chosen case), then go on after the step. */
  | { kind: "enter"; steps: StepDefinition[]; path: string }
  /** Go on no earlier than this time (a durable journal parks the run; a test does not wait). */
  | { kind: "wait"; until: string }
  /**
   * Run `steps` once per item (a loop), at most `concurrency` items at once. Each item's scope adds
   * `item` and `index`; its steps are journaled on their own (see the runner's journal keys) and its
   * nested paths are `<path>[<index>].steps[<j>]`. Once every item has run, the step's value in
   * `steps` becomes `result(...)` of the items' results. A `stop` inside an item (a filter) ends
   * that item only.
   */
  | {
      kind: "repeat";
      items: unknown[];
      steps: StepDefinition[];
      path: string;
      concurrency: number;
      result(items: ItemResult[]): unknown;
    };

/** One finished item of a `repeat`: its position, the item and its steps' outputs by id. */
export interface ItemResult {
  index: number;
  item: unknown;
  steps: Record<string, unknown>;
}

/**
 * How a kind holds nested steps: `cases` (a branch: cases with an `if` each, and `else`) or `steps`
 * (one list, run once per item of a list). The editor and validation read this, never the key.
 */
export const NESTINGS = ["cases", "steps"] as const;
export type Nesting = (typeof NESTINGS)[number];

/** The control-flow effects a kind can have, declared up front (the editor and docs show them). */
export const FLOW_EFFECTS = ["continue", "stop", "choose", "park", "repeat"] as const;
export type FlowEffect = (typeof FLOW_EFFECTS)[number];

/**
 * How a step reaches its connection: a Cliniko client by connection name, or an app's connection
 * of one of the given kinds (the engine's ClientProvider is the implementation).
 */
export interface StepClients {
  resolve(name?: string): Promise<{ key: string; client: ClinikoClient }>;
  app(name: string | undefined, kinds: readonly AppKind[]): Promise<AppConnection>;
}

/** What every step of one journal shares: the connections and the limits it runs under. */
export interface StepEnvironment {
  clients: StepClients;
  /** Allow http.request to private targets (tests, local setups). */
  allowPrivateHttp?: boolean;
  templateTimeLimitMs?: number;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
}

/** What `execute` gets besides its rendered input. */
export interface StepContext extends StepEnvironment {
  step: StepDefinition;
  /** Where the step sits in the file (`steps[2]`), for messages. */
  path: string;
  scope: TemplateScope;
  /** Whose expressions the step's are (the pool takes turns by workflow) and their time limit. */
  evaluation: Evaluation;
  /** What an earlier, interrupted execution of this step noted (a delay's wake-up time). */
  noted?: unknown;
}

export interface SaveIssue {
  /** Path inside the workflow file, e.g. `steps[1].input.url`. */
  path: string;
  message: string;
}

/** Which kind of connection a step talks through: Cliniko or an app (src/connection-kinds.ts). */
export type { ConnectionKind } from "../connection-kinds.ts";

export interface StepKind {
  /** The key a workflow names in `action:` (a catalogue slug, or `http.request`, `filter`, …). */
  key: string;
  title: string;
  /** Palette group: the catalogue's groups, or "Built-in steps". */
  group: string;
  description: string;
  /** Words a clinic may search for it by, besides its title (built-ins; catalogue words live in src/catalog/words.ts). */
  keywords?: readonly string[];
  /** Built into the engine (not a Cliniko catalogue action). */
  builtin: boolean;
  /** The catalogue row of a Cliniko action (its kind, method and path), for listings and tools. */
  action?: ActionDef;
  /** The connection it needs, if any: the editor shows a connection picker for these. */
  connection?: ConnectionKind;
  /** Every kind of connection it accepts, when more than `connection` (Slack: bot token or webhook). */
  connections?: readonly ConnectionKind[];
  /** Validates the rendered input (zod; exported as JSON Schema). */
  input: z.ZodType;
  /** JSON Schema of what a workflow may write in `input` (the editor's form is generated from it). */
  inputSchema: Record<string, unknown>;
  /** An example output (the editor's data picker). */
  outputSample: unknown;
  /** The flow effects this kind can have. */
  effects: readonly FlowEffect[];
  /**
   * The kind evaluates the expressions of its own definition (a filter's condition, a branch's
   * cases) instead of receiving rendered input: what the data holds is never evaluated again.
   */
  rawInput?: boolean;
  /** The nested steps it holds, and in which shape (NESTINGS); a kind without it holds none. */
  nests?: Nesting;
  /** Whether this step (with its literal input) is safe to repeat after a crash. */
  safety(step: StepDefinition): RepeatSafety;
  /** Save-time checks beyond the workflow schema (expressions are checked for every kind). */
  validate?(step: StepDefinition, path: string): SaveIssue[];
  /** Does the work; resolves to the step's output. */
  execute(ctx: StepContext, input: unknown): Promise<unknown>;
  /** What the output means for the flow (default: continue). Also used when a run resumes. */
  flow?(step: StepDefinition, output: unknown, path: string): Flow;
}
