/** The workflow model as the editor edits it: pure functions, no React. */
import type { CatalogAction, WorkflowDefinition, WorkflowStep } from "../../api.ts";

export type Case = { if: string; steps: WorkflowStep[] };

/** A step id people can read in references (`steps.alert.id`), unique within the workflow. */
export function newStepId(action: string, taken: string[]): string {
  const base =
    action
      .replace(/^(create|update|find|list|get|archive|cancel|delete)_/, "")
      .replace(/[^a-z0-9_]/gi, "_")
      .slice(0, 24) || "step";
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}_${n}`;
  return id;
}

/** Every step, branch cases and loop bodies included, in the order a run meets them. */
export function flatten(steps: WorkflowStep[]): WorkflowStep[] {
  return steps.flatMap((s) => [
    s,
    ...flatten(((s.cases as Case[] | undefined) ?? []).flatMap((c) => c.steps)),
    ...flatten((s.else as WorkflowStep[] | undefined) ?? []),
    ...flatten((s.steps as WorkflowStep[] | undefined) ?? []),
  ]);
}

/**
 * The trigger after picking `key`: the engine refuses fields a kind does not take (a webhook is
 * not polled; a schedule has cron or every), so switching kinds drops them.
 */
export function triggerFor(
  key: string,
  previous: WorkflowDefinition["trigger"],
  firstConnection: string | undefined,
): WorkflowDefinition["trigger"] {
  if (key === "webhook") return { key };
  if (key === "schedule") return { key, ...(previous.cron ? { cron: previous.cron } : {}) };
  return {
    key,
    connection: previous.connection ?? firstConnection,
    every: previous.key === "schedule" || !previous.every ? "1m" : previous.every,
  };
}

/** A new step of `kind`, its shape decided by what the kind declares (nests, connection). */
export function newStep(key: string, kind: CatalogAction | undefined, def: WorkflowDefinition): WorkflowStep {
  return {
    id: newStepId(
      key,
      flatten(def.steps).map((s) => s.id),
    ),
    action: key,
    // A Cliniko step starts on the trigger's connection.
    ...(kind?.connection === "cliniko" ? { connection: def.trigger.connection } : {}),
    ...(kind?.nests === "cases" ? { cases: [{ if: "", steps: [] }] } : { input: {} }),
    ...(kind?.nests === "steps" ? { steps: [] } : {}),
  };
}

/** `list` with the items at `i` and `j` swapped (out-of-range moves leave it as it is). */
export function swap<T>(list: T[], i: number, j: number): T[] {
  if (j < 0 || j >= list.length || i < 0 || i >= list.length) return list;
  const next = [...list];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

/**
 * The sample value a plain `{{ a.b[0].c }}` reference names in `data`, or undefined for anything
 * richer (the editor shows samples; it does not evaluate expressions).
 */
export function sampleAt(data: Record<string, unknown>, text: unknown): unknown {
  if (typeof text !== "string") return Array.isArray(text) ? text : undefined;
  const m = /^\s*\{\{\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d+\])*)\s*\}\}\s*$/.exec(text);
  if (!m) return undefined;
  let value: unknown = data;
  for (const part of m[1]!.match(/[A-Za-z_$][\w$]*|\d+/g) ?? []) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The first element of the list a loop step goes over, as a sample of `item`. */
export function loopItemSample(step: WorkflowStep, data: Record<string, unknown>): unknown {
  for (const v of Object.values((step.input ?? {}) as Record<string, unknown>)) {
    const list = sampleAt(data, v);
    if (Array.isArray(list)) return list[0] ?? {};
  }
  return undefined;
}
