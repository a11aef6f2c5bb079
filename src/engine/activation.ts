/**
 * The static check that runs before a workflow goes live (API, CLI, editor). Saving a draft only
 * needs a well-formed file (workflow.ts); switching it on also needs every step to be able to run:
 *
 *   - every required input filled in (not missing, not blank);
 *   - every `{{ }}` expression parses;
 *   - every reference to `trigger.<field>` or `steps.<id>.<field>` names a field the trigger's or
 *     the step's output has (from the catalogue's samples: a typo would otherwise render as empty);
 *   - `steps.<id>` names a step that runs before this one;
 *   - every connection a trigger or step names exists;
 *   - every setting a template reads (`env.FLOW_…`) is set, in the web UI or the environment;
 *   - a filter has a condition and each branch case an `if`.
 *
 * Messages say what to fix in a clinic's words ("Patient is required"); each carries the path of
 * the field, so the editor marks that field.
 */
import jsonata from "jsonata";
import { triggers } from "../catalog/index.ts";
import { fieldTitle } from "../cliniko/labels.ts";
import type { ConnectionKind } from "../connection-kinds.ts";
import { expressionsIn } from "../expressions/template.ts";
import { isStepKind, stepKind } from "../steps/registry.ts";
import { closestName, missingField } from "./field-hint.ts";
import { issueLine, placed } from "./issue-place.ts";
import { allSteps, type StepDefinition, type WorkflowDefinition, type WorkflowIssue } from "./workflow.ts";

export interface ActivationContext {
  /**
   * Whether a trigger or step naming this connection (undefined: the default) could reach an
   * account of one of `kinds` (default Cliniko): an app step's connection is an app's, not Cliniko's.
   */
  connectionExists(name: string | undefined, kinds?: readonly ConnectionKind[]): Promise<boolean>;
  /** Whether a setting (`FLOW_…`) has a value, saved in the web UI or as an environment variable. */
  settingExists(name: string): Promise<boolean>;
}

/** The message for a setting a workflow reads that nobody set, the same at activation and in a run. */
export function settingMissingMessage(name: string): string {
  return `The setting ${name} is not set: add it under Settings (or as an environment variable)`;
}

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/** What a JSONata node tree reads from the root: each `trigger.a.b` / `steps.x.y` path's names. */
function rootPaths(node: unknown, atRoot = true, out: string[][] = []): string[][] {
  if (node === null || typeof node !== "object") return out;
  const n = node as Record<string, unknown> & { type?: string; steps?: unknown[] };
  if (n.type === "path" && Array.isArray(n.steps)) {
    if (atRoot) {
      const names: string[] = [];
      for (const s of n.steps as { type?: string; value?: unknown }[]) {
        if (s.type !== "name" || typeof s.value !== "string") break;
        names.push(s.value);
      }
      if (names.length > 0) out.push(names);
    }
    // Inside a path, names are relative to the path's context, not the root.
    for (const s of n.steps) rootPaths(s, false, out);
    return out;
  }
  if (n.type === "name" && atRoot && typeof n.value === "string") out.push([n.value]);
  for (const [key, value] of Object.entries(n)) {
    if (key === "position" || key === "value") continue;
    if (Array.isArray(value))
      for (const v of value) rootPaths(v, atRoot && key !== "stages" && key !== "predicate", out);
    else if (value && typeof value === "object")
      rootPaths(value, atRoot && key !== "stages" && key !== "predicate" && key !== "group", out);
  }
  return out;
}

function expressionsOf(text: string): string[] {
  return text.includes("{{") ? [...text.matchAll(/\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!) : [text];
}

/** The steps that have run before `target` in every run that reaches it (earlier siblings and their ancestors', a loop item's included). */
function stepsBefore(
  steps: StepDefinition[],
  target: StepDefinition,
  seen: StepDefinition[] = [],
): StepDefinition[] | undefined {
  const before = [...seen];
  for (const step of steps) {
    if (step === target) return before;
    for (const c of step.cases ?? []) {
      const found = stepsBefore(c.steps, target, [...before, step]);
      if (found) return found;
    }
    if (step.else) {
      const found = stepsBefore(step.else, target, [...before, step]);
      if (found) return found;
    }
    // Inside a loop's item: its earlier steps in the item, the loop and what ran before it.
    if (step.steps) {
      const found = stepsBefore(step.steps, target, [...before, step]);
      if (found) return found;
    }
    before.push(step);
  }
  return undefined;
}

/** Problems that keep a (well-formed) workflow from going live; empty when it may. */
export async function activationIssues(w: WorkflowDefinition, ctx: ActivationContext): Promise<WorkflowIssue[]> {
  const issues: WorkflowIssue[] = [];
  const trigger = triggers.find((t) => t.key === w.trigger.key);
  const triggerShape: unknown = trigger ? trigger.sample : undefined;

  const polled = trigger !== undefined;
  if (polled && !(await ctx.connectionExists(w.trigger.connection)))
    issues.push({ path: "trigger.connection", message: connectionMessage(w.trigger.connection) });

  for (const { step, path } of allSteps(w.steps)) {
    if (!isStepKind(step.action)) continue; // reported when saving
    const kind = stepKind(step.action);
    const input = (step.input ?? {}) as Record<string, unknown>;
    const schema = kind.inputSchema as { required?: string[]; properties?: Record<string, { title?: string }> };
    for (const field of schema.required ?? []) {
      if (blank(input[field])) {
        const label = fieldTitle(field, schema.properties?.[field]);
        issues.push({ path: `${path}.input.${field}`, message: `${label} is required` });
      }
    }
    for (const [j, c] of (step.cases ?? []).entries())
      if (blank(c.if)) issues.push({ path: `${path}.cases[${j}].if`, message: "Condition is required" });

    if (kind.connection && !(await ctx.connectionExists(step.connection, kind.connections ?? [kind.connection])))
      issues.push({ path: `${path}.connection`, message: connectionMessage(step.connection) });

    const earlier = new Map((stepsBefore(w.steps, step) ?? []).map((s) => [s.id, s]));
    const texts = expressionTexts(step, path);
    for (const [p, text] of texts) {
      for (const e of expressionsOf(text)) {
        if (e.trim() === "") continue; // a blank condition is reported above
        let ast: unknown;
        try {
          ast = jsonata(e).ast();
        } catch (err) {
          issues.push({
            path: p,
            message: `The expression {{${e}}} is not valid: ${(err as { message?: string }).message}`,
          });
          continue;
        }
        for (const names of rootPaths(ast)) {
          const problem =
            names[0] === "env"
              ? await settingProblem(names[1], ctx)
              : referenceProblem(names, triggerShape, trigger?.title, earlier, w);
          if (problem) issues.push({ path: p, message: problem });
        }
      }
    }
  }
  // One message per field, however often the field names the same thing.
  const seen = new Set<string>();
  return issues
    .filter((i) => !seen.has(`${i.path}\n${i.message}`) && Boolean(seen.add(`${i.path}\n${i.message}`)))
    .map(placed);
}

/** Every `{{ }}` text of a step, with its path: condition, case conditions and input. */
function expressionTexts(step: StepDefinition, path: string): [string, string][] {
  const kind = stepKind(step.action);
  const input = (step.input ?? {}) as Record<string, unknown>;
  const texts: [string, string][] = [];
  if (step.if) texts.push([`${path}.if`, step.if]);
  for (const [j, c] of (step.cases ?? []).entries()) if (c.if) texts.push([`${path}.cases[${j}].if`, c.if]);
  if (kind.rawInput)
    for (const [field, value] of Object.entries(input))
      if (typeof value === "string" && !blank(value)) texts.push([`${path}.input.${field}`, value]);
  for (const [p, text] of expressionsIn(kind.rawInput ? {} : step.input, `${path}.input`)) texts.push([p, text]);
  return texts;
}

/** The settings (`env.FLOW_…`) a step's own templates read, nested steps aside. */
export function settingsReadBy(step: StepDefinition): string[] {
  if (!isStepKind(step.action)) return [];
  const names = new Set<string>();
  for (const [, text] of expressionTexts(step, ""))
    for (const e of expressionsOf(text)) {
      try {
        for (const [root, name] of rootPaths(jsonata(e).ast())) if (root === "env" && name) names.add(name);
      } catch {} // an expression that does not parse fails on its own
    }
  return [...names];
}

async function settingProblem(name: string | undefined, ctx: ActivationContext): Promise<string | undefined> {
  if (name === undefined || (await ctx.settingExists(name))) return undefined;
  return settingMissingMessage(name);
}

function connectionMessage(name: string | undefined): string {
  return name
    ? `There is no connection named "${name}": add it under Connections, or pick one that exists`
    : 'There is no connection named "default" and no CLINIKO_API_KEY: add a connection under Connections, or pick one';
}

function referenceProblem(
  names: string[],
  triggerShape: unknown,
  triggerTitle: string | undefined,
  earlier: Map<string, StepDefinition>,
  w: WorkflowDefinition,
): string | undefined {
  const [root, ...rest] = names;
  if (root === "trigger") {
    if (triggerShape === undefined) return undefined; // schedule and webhook payloads are free-form
    const miss = missingField(triggerShape, rest);
    if (!miss) return undefined;
    return `The trigger (${triggerTitle}) has no field "${miss.name}"${miss.hint ? `: did you mean "${miss.hint}"?` : ""}`;
  }
  if (root === "steps") {
    const [id, ...fields] = rest;
    if (id === undefined) return undefined;
    const source = earlier.get(id);
    if (!source) {
      const exists = allSteps(w.steps).some((s) => s.step.id === id);
      return exists
        ? `The step "${id}" has not run yet at this point: use data from steps above this one`
        : `There is no step "${id}"${closestName(id, [...earlier.keys()]) ? `: did you mean "${closestName(id, [...earlier.keys()])}"?` : ""}`;
    }
    if (!isStepKind(source.action)) return undefined;
    const miss = missingField(stepKind(source.action).outputSample, fields);
    if (!miss) return undefined;
    return `The step "${id}" gives no field "${miss.name}"${miss.hint ? `: did you mean "${miss.hint}"?` : ""}`;
  }
  return undefined;
}

/** A workflow refused activation: one sentence, then each field with what to fix (CLI exit 2). */
export class WorkflowActivationError extends Error {
  override name = "WorkflowActivationError";
  readonly exitCode = 2;
  readonly issues: WorkflowIssue[];
  readonly detail: string;
  /** `outcome` says what became of the workflow: kept off, or (an import) nothing stored at all. */
  constructor(workflow: string, issues: WorkflowIssue[], outcome = "it stays switched off") {
    super(
      `${workflow} cannot be switched on yet: ${issues.length} field${issues.length === 1 ? "" : "s"} to fix (${outcome}).`,
    );
    this.issues = issues;
    this.detail = issues.map((i) => `  ${issueLine(i)}`).join("\n");
  }
}

/** Throws WorkflowActivationError unless the workflow may go live. */
export async function assertActivatable(
  name: string,
  w: WorkflowDefinition,
  ctx: ActivationContext,
  outcome?: string,
): Promise<void> {
  const issues = await activationIssues(w, ctx);
  if (issues.length > 0) throw new WorkflowActivationError(name, issues, outcome);
}
