/**
 * `{{ }}` templates: JSONata over `{ trigger, steps, env }` — no eval. A string that is exactly one
 * `{{ x }}` takes x's value and type (a number stays a number, an object stays an object);
 * expressions inside longer text are interpolated as text.
 *
 * Only the workflow definition holds expressions. What they produce — trigger payloads, step
 * outputs, webhook bodies — is data and is never evaluated again, whatever it looks like.
 *
 * A plain property path (`trigger.patient.first_name`, `steps.crm.id`) is looked up here, in
 * process; anything else runs in the expression pool's worker processes under a hard time and
 * memory limit, so no expression can stall or crash the process.
 */
import { ExpressionFailed, ExpressionStopped, evaluateInWorker } from "./expression-pool.ts";

export interface TemplateScope {
  trigger: unknown;
  steps: Record<string, unknown>;
  env: Record<string, string>;
  /** The clinic the run works for: its time zone, which the clinic-time functions read (clinic-time.ts). */
  clinic?: { time_zone: string };
  /** Inside a step that repeats over a list (`each`): the current item and its position from 0. */
  item?: unknown;
  index?: number;
}

export class TemplateError extends Error {
  override name = "TemplateError";
  readonly expression: string;
  /** Where the template sits (`steps[0].input.name`), filled in by the runner. */
  readonly path: string;
  /**
   * `reason` completes "failed: …"; a `stopped` error's reason says what it overran
   * ("took longer than 1 s"), and the message says it was stopped.
   */
  constructor(expression: string, path: string, reason: string, stopped = false) {
    super(
      stopped
        ? `The expression {{ ${expression.trim()} }} at ${path} ${reason} and was stopped.`
        : `The expression {{ ${expression.trim()} }} at ${path} failed: ${reason}`,
    );
    this.expression = expression;
    this.path = path;
  }
}

const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;
const ANY = /\{\{([\s\S]*?)\}\}/g;

export const DEFAULT_TIME_LIMIT_MS = 1000;

/**
 * Whose expressions these are and how long each may run: `workflow` (its id, or any stable name
 * for an unsaved one) is the expression pool's lane, so waiting expressions take turns by
 * workflow; `timeLimitMs` is each expression's CPU-time limit (default 1 s).
 */
export interface Evaluation {
  workflow?: string;
  timeLimitMs?: number;
}

/** `a.b.c` with JSONata name rules, no `$` variables, no keywords: a lookup, not a program. */
const PATH = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;
const KEYWORDS = new Set(["and", "or", "in", "true", "false", "null", "function"]);
/** Parsed paths by expression text (`null`: not a plain path). */
const paths = new Map<string, string[] | null>();

function pathOf(expression: string): string[] | null {
  let segments = paths.get(expression);
  if (segments === undefined) {
    const m = PATH.exec(expression);
    segments = m ? m[1]!.split(".").map((s) => s.trim()) : null;
    if (segments?.some((s) => KEYWORDS.has(s))) segments = null;
    if (paths.size > 5000) paths.clear();
    paths.set(expression, segments);
  }
  return segments;
}

const NOT_PLAIN = Symbol("not a plain lookup");

/**
 * Walks a property path through plain objects. Arrays are left to JSONata (its path steps map
 * over them and flatten), so any array on the way answers NOT_PLAIN.
 */
function lookup(scope: TemplateScope, segments: string[]): unknown {
  let value: unknown = scope;
  for (const key of segments) {
    if (Array.isArray(value)) return NOT_PLAIN;
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (Array.isArray(value)) return NOT_PLAIN;
  // A copy, like JSONata's answer: a step's input must not alias the trigger payload.
  return value !== null && typeof value === "object" ? structuredClone(value) : value;
}

/** Evaluates one expression of the workflow definition (never data) over `scope`. */
export async function evaluate(
  expression: string,
  scope: TemplateScope,
  path: string,
  evaluation: Evaluation = {},
): Promise<unknown> {
  const segments = pathOf(expression);
  if (segments) {
    const value = lookup(scope, segments);
    if (value !== NOT_PLAIN) return value;
  }
  try {
    return await evaluateInWorker(
      expression,
      scope,
      evaluation.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
      evaluation.workflow ?? "",
    );
  } catch (err) {
    if (err instanceof ExpressionStopped) throw new TemplateError(expression, path, err.message, true);
    if (err instanceof ExpressionFailed) throw new TemplateError(expression, path, err.message);
    throw err;
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Renders every template inside a JSON-like value. */
export async function render(
  value: unknown,
  scope: TemplateScope,
  path: string,
  evaluation: Evaluation = {},
): Promise<unknown> {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && !whole[1]!.includes("}}")) return evaluate(whole[1]!, scope, path, evaluation);
    if (!value.includes("{{")) return value;
    let out = "";
    let last = 0;
    for (const m of value.matchAll(ANY)) {
      out += value.slice(last, m.index) + asText(await evaluate(m[1]!, scope, path, evaluation));
      last = m.index! + m[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(await render(value[i], scope, `${path}[${i}]`, evaluation));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const rendered = await render(v, scope, `${path}.${k}`, evaluation);
      if (rendered !== undefined) out[k] = rendered;
    }
    return out;
  }
  return value;
}

/** JSONata-like truthiness: empty strings, arrays and objects, 0, null and undefined are false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/**
 * A condition of the workflow definition (a step's `if`, a branch case's `if`, a filter's
 * `condition`), evaluated once:
 * - `true` / `false` as written;
 * - exactly one `{{ expr }}`, or a bare `expr` without braces: the expression's value, judged by
 *   truthiness;
 * - text with `{{ }}` inside: the rendered text, judged by truthiness (non-empty is true).
 * Whatever an expression produces is data: a string result — "Yes please remind me", or one that
 * looks like an expression — is true when non-empty (the text "false" counts as false) and is
 * never evaluated. So `text` must come from the definition, not from a rendered input.
 */
export async function condition(
  text: unknown,
  scope: TemplateScope,
  path: string,
  evaluation: Evaluation = {},
): Promise<boolean> {
  if (typeof text === "boolean") return text;
  if (typeof text !== "string") return truthy(text);
  const value = text.includes("{{")
    ? await render(text, scope, path, evaluation)
    : await evaluate(text, scope, path, evaluation);
  return dataIsTrue(value);
}

/** Truthiness of a value an expression produced (data), where the text "false" is false. */
function dataIsTrue(value: unknown): boolean {
  return value !== "false" && truthy(value);
}

/** Every string holding `{{ }}` inside a value, with its path (for validation). */
export function expressionsIn(value: unknown, path: string): [string, string][] {
  if (typeof value === "string") return value.includes("{{") ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => expressionsIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => expressionsIn(v, `${path}.${k}`));
  return [];
}

/** Environment variables templates may read: only FLOW_* (never keys, secrets or DATABASE_URL). */
export function templateEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith("FLOW_") && v !== undefined) out[k] = v;
  return out;
}
