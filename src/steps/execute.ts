/**
 * Running one step, the part every journal shares: the `if`, the input (rendered, or the kind's
 * own definition), the kind's execution, what its output means for the flow, and the one message
 * a failure gets. The runner (durable: src/engine/runner.ts) and the editor's step and workflow
 * tests (ephemeral: src/engine/step-test.ts) both go through these functions, so a test shows
 * exactly what a run would do and say.
 */
import { AppError } from "../apps/errors.ts";
import { clinicZone } from "../catalog/clinic-time.ts";
import { ClinikoConfigError, ClinikoError } from "../cliniko/errors.ts";
import { fieldTitle } from "../cliniko/labels.ts";
import { usesClinicTime } from "../expressions/clinic-time.ts";
import { condition, type Evaluation, render, TemplateError, type TemplateScope } from "../expressions/template.ts";
import type { StepDefinition } from "./definition.ts";
import { HttpRequestError } from "./http/request.ts";
import { stepKind } from "./registry.ts";
import type { Flow, StepContext, StepEnvironment, StepKind } from "./types.ts";

/** How much of an error's detail is kept (a 422's field list, a response body), in characters of JSON. */
const DETAIL_LIMIT = 4000;

/** An error as one readable sentence; what it leaves out is `errorDetails`. */
export function errorText(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

/**
 * What an error's sentence leaves out, kept apart from it (a run's and a step's `details`): a
 * Cliniko 422's field list, an HTTP or app response body. A detail too long to keep is cut to text.
 */
export function errorDetails(err: unknown): unknown {
  if (err instanceof EmptyInputError) return { field: err.path };
  const d =
    err instanceof ClinikoError || err instanceof HttpRequestError || err instanceof AppError ? err.detail : undefined;
  if (d === undefined || d === null || d === "") return null;
  const text = typeof d === "string" ? d : JSON.stringify(d);
  if (text.length <= DETAIL_LIMIT) return d;
  return `${text.slice(0, DETAIL_LIMIT)}…`;
}

/**
 * The message a failed step gets, in a run record and in a test alike; `key` names it where its id
 * alone does not say which (a loop's item: `loop[57].send`).
 */
export function stepFailure(step: StepDefinition, err: unknown, key = step.id): string {
  return err instanceof TemplateError || err instanceof EmptyInputError
    ? `Step ${key}: ${err.message}`
    : `Step ${key} (${step.action}) failed: ${errorText(err)}`;
}

/** Whether a failure may pass if tried again (rate limit, 5xx, network). */
export function transient(err: unknown): boolean {
  if (err instanceof HttpRequestError || err instanceof AppError) return err.transient;
  if (err instanceof ClinikoError) return ["rate_limited", "server", "network", "timeout"].includes(err.code);
  return false;
}

export type Prepared = { skip: true } | { skip: false; input: unknown };

/**
 * A required input that came out empty (a patient without an email gave `to` nothing): said in
 * the field's words, with the template that gave nothing, instead of the input check's "Invalid
 * input" further on. `path` is the field's (`steps[0].input.to`), kept in the error's details.
 */
export class EmptyInputError extends Error {
  override name = "EmptyInputError";
  readonly path: string;
  constructor(label: string, path: string, template: unknown) {
    const source = typeof template === "string" && template.includes("{{") ? template.trim() : undefined;
    super(source ? `${label} is empty: ${source} gave nothing.` : `${label} is empty.`);
    this.path = path;
  }
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

interface PropertySchema {
  title?: string;
  type?: string | string[];
  anyOf?: PropertySchema[];
  oneOf?: PropertySchema[];
}

/** Whether a field takes text (a list or a record rendered empty means something else: no items). */
const takesText = (p: PropertySchema | undefined): boolean =>
  p !== undefined &&
  (p.type === "string" ||
    (Array.isArray(p.type) && p.type.includes("string")) ||
    [...(p.anyOf ?? []), ...(p.oneOf ?? [])].some(takesText));

/**
 * Throws EmptyInputError for the first required text input of the kind that was filled in but
 * rendered to nothing. One left out altogether is the kind's own check's to name ("is required").
 */
function checkRequired(kind: StepKind, step: StepDefinition, input: unknown, path: string): void {
  const schema = kind.inputSchema as { required?: string[]; properties?: Record<string, PropertySchema> };
  const given = (step.input ?? {}) as Record<string, unknown>;
  const rendered = (input ?? {}) as Record<string, unknown>;
  for (const field of schema.required ?? []) {
    const property = schema.properties?.[field];
    if (given[field] !== undefined && takesText(property) && blank(rendered[field]))
      throw new EmptyInputError(fieldTitle(field, property), `${path}.input.${field}`, given[field]);
  }
}

/** Evaluates the step's `if` and builds its input. Throws TemplateError for a bad expression. */
export async function prepareStep(
  kind: StepKind,
  step: StepDefinition,
  path: string,
  scope: TemplateScope,
  evaluation: Evaluation,
): Promise<Prepared> {
  if (step.if !== undefined && !(await condition(step.if, scope, `${path}.if`, evaluation))) return { skip: true };
  const input = kind.rawInput ? (step.input ?? {}) : await render(step.input ?? {}, scope, `${path}.input`, evaluation);
  return { skip: false, input };
}

/** The clinic's time zone could not be read from Cliniko, so clinic-time expressions cannot run. */
export class ClinicZoneError extends Error {
  override name = "ClinicZoneError";
  constructor(cause: unknown) {
    super(
      `Could not read the clinic's time zone from Cliniko (the workflow's expressions use clinic time): ${errorText(cause)}`,
    );
  }
}

/**
 * What a scope needs for clinic-time expressions (`$today()`, `$clinicTime(…)`): the time zone of
 * the Cliniko connection's first business that names one, asked only when `definition` uses such a
 * function (cached per connection for minutes: src/catalog/clinic-time.ts). Without any Cliniko
 * connection, nothing: the functions then use the server's zone.
 */
export async function clinicScope(
  env: StepEnvironment,
  definition: unknown,
  connection?: string,
): Promise<TemplateScope["clinic"]> {
  if (!usesClinicTime(definition)) return undefined;
  let client: Awaited<ReturnType<StepEnvironment["clients"]["resolve"]>>["client"];
  try {
    ({ client } = await env.clients.resolve(connection));
  } catch (err) {
    if (err instanceof ClinikoConfigError) return undefined;
    throw err;
  }
  try {
    const zone = await clinicZone(client);
    return zone ? { time_zone: zone } : undefined;
  } catch (err) {
    throw new ClinicZoneError(err);
  }
}

/** The environment both journals give their steps, from their options. */
export function stepEnvironment(o: Omit<StepEnvironment, "now"> & { now?: () => number }): StepEnvironment {
  return {
    clients: o.clients,
    allowPrivateHttp: o.allowPrivateHttp,
    templateTimeLimitMs: o.templateTimeLimitMs,
    now: o.now ?? Date.now,
  };
}

/**
 * Executes a prepared step. A required text input that rendered to nothing fails it first, with
 * EmptyInputError, before the kind sends anything.
 */
export async function executeStep(kind: StepKind, ctx: StepContext, input: unknown): Promise<unknown> {
  if (!kind.rawInput) checkRequired(kind, ctx.step, input, ctx.path);
  return kind.execute(ctx, input);
}

/** What a finished step's output means for the rest of the run. */
export function flowOf(kind: StepKind, step: StepDefinition, output: unknown, path: string): Flow {
  return kind.flow?.(step, output, path) ?? { kind: "continue" };
}

export { stepKind };
