/**
 * The workflow model: a file (YAML or JSON) with one trigger and a list of steps, validated by a
 * zod schema that is also published as JSON Schema (`cliniko-flow schema`), then by checks zod
 * cannot express (known keys, unique step ids, expressions that parse, intervals ≥ 30 s).
 * Errors carry the path inside the file and, for YAML/JSON text, the line and column.
 */
import { readFileSync, statSync } from "node:fs";
import { Cron } from "croner";
import jsonata from "jsonata";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { trigger as catalogTrigger } from "../catalog/index.ts";
import { DURATION_PATTERN, parseDuration } from "../expressions/duration.ts";
import { expressionsIn } from "../expressions/template.ts";
import { Duration, type StepDefinition, StepSchema } from "../steps/definition.ts";
import { stepKind } from "../steps/registry.ts";
import { placed } from "./issue-place.ts";
import { nameSchema } from "./names.ts";

export const BUILTIN_TRIGGERS = ["schedule", "webhook"] as const;
export const MIN_INTERVAL_MS = 30_000;
export const DEFAULT_INTERVAL = "1m";

export const TriggerSchema = z
  .object({
    key: z.string().min(1).describe("A catalogue trigger (e.g. new_patient), or schedule / webhook"),
    connection: z.string().min(1).optional().describe("Connection name; default: `default`, else CLINIKO_* env"),
    every: Duration.optional().describe("Polling (or schedule) interval, at least 30s; default 1m"),
    cron: z.string().optional().describe("Cron expression for the schedule trigger"),
    timezone: z.string().optional().describe("IANA time zone of the cron expression"),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const WorkflowSchema = z
  .object({
    $schema: z.string().optional(),
    name: nameSchema(200),
    description: z.string().optional(),
    enabled: z.boolean().optional(),
    metadataOnly: z
      .boolean()
      .optional()
      .describe("Keep only run metadata (no trigger payload, step inputs or outputs) once a run ends"),
    trigger: TriggerSchema,
    steps: z.array(StepSchema).min(1, "A workflow needs at least one step"),
  })
  .strict();

export type { StepDefinition };
export type WorkflowDefinition = z.infer<typeof WorkflowSchema>;
export type TriggerDefinition = WorkflowDefinition["trigger"];

/** The published JSON Schema of workflow files. */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(WorkflowSchema, { io: "input", unrepresentable: "any" }),
    $id: "https://github.com/cliniko-flow/cliniko-flow/schema/workflow.json",
    title: "cliniko-flow workflow",
  };
}

export interface WorkflowIssue {
  /** Path inside the file, e.g. `steps[1].input.url`. */
  path: string;
  message: string;
  /** The path as the editor numbers it ("Step 2"; issue-place.ts), for people; `path` is for programs. */
  where?: string;
  line?: number;
  column?: number;
}

export class WorkflowValidationError extends Error {
  override name = "WorkflowValidationError";
  readonly exitCode = 2;
  readonly issues: WorkflowIssue[];
  readonly detail: string;
  constructor(source: string, issues: WorkflowIssue[]) {
    const first = issues[0]!;
    super(
      `${source} is not a valid workflow: ${where(first)}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}.`,
    );
    this.issues = issues.map(placed);
    this.detail = issues.map((i) => `  ${where(i)}${i.message}`).join("\n");
  }
}

function where(i: WorkflowIssue): string {
  const pos = i.line ? ` (line ${i.line}${i.column ? `, column ${i.column}` : ""})` : "";
  return i.path || pos ? `${i.path || "(file)"}${pos}: ` : "";
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Every step, nested steps included (branch cases, else, a loop's steps), with its path in the file. */
export function allSteps(steps: StepDefinition[], base = "steps"): { step: StepDefinition; path: string }[] {
  const out: { step: StepDefinition; path: string }[] = [];
  steps.forEach((step, i) => {
    const path = `${base}[${i}]`;
    out.push({ step, path });
    step.cases?.forEach((c, j) => {
      out.push(...allSteps(c.steps, `${path}.cases[${j}].steps`));
    });
    if (step.else) out.push(...allSteps(step.else, `${path}.else`));
    if (step.steps) out.push(...allSteps(step.steps, `${path}.steps`));
  });
  return out;
}

/** Checks zod cannot express. Returns issues with paths (no positions). */
function semanticIssues(w: WorkflowDefinition): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const t = w.trigger;
  const builtinTrigger = (BUILTIN_TRIGGERS as readonly string[]).includes(t.key);
  if (!builtinTrigger) {
    try {
      const def = catalogTrigger(t.key);
      if (def.optionIssues) issues.push(...def.optionIssues(t.options));
    } catch (err) {
      issues.push({ path: "trigger.key", message: (err as Error).message.replace(/\.$/, "") });
    }
  }
  if (t.key === "schedule") {
    if (!t.cron && !t.every) issues.push({ path: "trigger", message: "a schedule trigger needs cron or every" });
    if (t.cron && t.every) issues.push({ path: "trigger", message: "use either cron or every, not both" });
  } else if (t.cron) {
    issues.push({ path: "trigger.cron", message: "only the schedule trigger takes cron (polling triggers use every)" });
  }
  if (t.key === "webhook" && t.every)
    issues.push({ path: "trigger.every", message: "a webhook trigger is not polled" });
  if (t.cron) {
    try {
      new Cron(t.cron, { paused: true, timezone: t.timezone }).stop();
    } catch (err) {
      issues.push({ path: "trigger.cron", message: `not a valid cron expression (${(err as Error).message})` });
    }
  }
  if (t.every && DURATION_PATTERN.test(t.every) && parseDuration(t.every) < MIN_INTERVAL_MS)
    issues.push({ path: "trigger.every", message: "must be at least 30s (Cliniko allows 200 requests a minute)" });

  const seen = new Map<string, string>();
  for (const { step, path } of allSteps(w.steps)) {
    const prior = seen.get(step.id);
    if (prior) issues.push({ path: `${path}.id`, message: `"${step.id}" is already the id of ${prior}` });
    seen.set(step.id, path);
    let kind: ReturnType<typeof stepKind> | undefined;
    try {
      kind = stepKind(step.action);
    } catch (err) {
      issues.push({ path: `${path}.action`, message: (err as Error).message.replace(/\.$/, "") });
    }
    if (kind && kind.nests !== "cases" && (step.cases || step.else))
      issues.push({
        path: `${path}.cases`,
        message: `only a step that branches has cases or else (${step.action} does not)`,
      });
    if (kind && kind.nests !== "steps" && step.steps)
      issues.push({
        path: `${path}.steps`,
        message: `only a step that repeats over a list has steps of its own (${step.action} does not)`,
      });
    if (kind?.validate) issues.push(...kind.validate(step, path));
    const expressions: [string, string][] = [];
    if (step.if) expressions.push([`${path}.if`, step.if]);
    step.cases?.forEach((c, j) => {
      expressions.push([`${path}.cases[${j}].if`, c.if]);
    });
    for (const [p, text] of expressionsIn(step.input, `${path}.input`)) expressions.push([p, text]);
    for (const [p, text] of expressions) {
      // A blank condition is a draft's gap, reported by the activation check ("Condition is required").
      if (text.trim() === "" || /^\s*\{\{\s*\}\}\s*$/.test(text)) continue;
      const exprs = /\{\{/.test(text) ? [...text.matchAll(/\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!) : [text];
      for (const e of exprs) {
        try {
          jsonata(e);
        } catch (err) {
          issues.push({
            path: p,
            message: `expression {{${e}}} does not parse: ${(err as { message?: string }).message}`,
          });
        }
      }
    }
  }
  return issues;
}

/** Validates an already-parsed object. */
export function validateWorkflow(value: unknown, source = "workflow"): WorkflowDefinition {
  const parsed = WorkflowSchema.safeParse(value);
  if (!parsed.success)
    throw new WorkflowValidationError(
      source,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  const issues = semanticIssues(parsed.data);
  if (issues.length > 0) throw new WorkflowValidationError(source, issues);
  return parsed.data;
}

/** Parses and validates workflow text (YAML or JSON); issues point at lines and columns. */
export function parseWorkflow(text: string, source = "workflow"): WorkflowDefinition {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new WorkflowValidationError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: "", message: e.message.split("\n")[0]!, line: pos?.line, column: pos?.col };
      }),
    );
  }
  try {
    return validateWorkflow(doc.toJS(), source);
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    const located = err.issues.map((issue) => {
      const node = nodeAt(doc, issue.path);
      const offset = (node as { range?: [number, number] } | undefined)?.range?.[0];
      if (offset === undefined) return issue;
      const { line, col } = lineCounter.linePos(offset);
      return { ...issue, line, column: col };
    });
    throw new WorkflowValidationError(source, located);
  }
}

/** The YAML node at a `steps[1].input.url` path, or the deepest ancestor that exists. */
function nodeAt(doc: ReturnType<typeof parseDocument>, path: string): unknown {
  const keys: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  let node: unknown = doc.contents;
  let last: unknown = node;
  for (const k of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === k);
      if (!pair) break;
      last = pair.key ?? pair.value;
      node = pair.value;
      last = node ?? last;
    } else if (isSeq(node) && typeof k === "number") {
      node = node.items[k];
      if (!node) break;
      last = node;
    } else break;
  }
  return last;
}

/** A workflow file is a few kilobytes; past this it is refused before it is read (1 MiB). */
export const MAX_WORKFLOW_FILE_BYTES = 1024 * 1024;

export function loadWorkflowFile(file: string): WorkflowDefinition {
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_WORKFLOW_FILE_BYTES)
      throw new WorkflowValidationError(file, [
        {
          path: "",
          message: `the file is ${(size / 1024 / 1024).toFixed(1)} MiB; a workflow file may be at most 1 MiB`,
        },
      ]);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof WorkflowValidationError) throw err;
    throw new Error(
      `Cannot read workflow file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  return parseWorkflow(text, file);
}

/** Polling interval of a trigger in ms. */
export function intervalOf(t: TriggerDefinition): number {
  return parseDuration(t.every ?? DEFAULT_INTERVAL);
}
