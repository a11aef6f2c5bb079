/**
 * The catalogue: the core actions and triggers, derived from the resource catalogue
 * (src/cliniko/resources.ts). The engine, the HTTP API, the UI, the CLI and the docs read it here.
 */
import { actions } from "./actions.ts";
import { UnknownCatalogKeyError } from "./errors.ts";
import { parseInput } from "./inputs.ts";
import { triggers } from "./triggers.ts";
import type { ActionDef, TriggerDef } from "./types.ts";

export { actions } from "./actions.ts";
export { type DueOptions, dueOptionIssues, dueOptions, REMINDER_CHANNELS } from "./due-triggers.ts";
export { ActionInputError, ActionUnsupportedError, type InputIssue, UnknownCatalogKeyError } from "./errors.ts";
export { actionSummary, byGroup, triggerSummary } from "./summary.ts";
export {
  detect,
  eventField,
  fetchChanges,
  isFlagEvent,
  pollKeyOf,
  stampOf,
  stateFiltersOf,
  triggers,
} from "./triggers.ts";
export type {
  ActionDef,
  ActionKind,
  DetectState,
  DueKind,
  TriggerDef,
  TriggerEvent,
  TriggerEventKind,
  TriggerRecord,
} from "./types.ts";

const actionsByKey = new Map(actions.map((a) => [a.key, a]));
const triggersByKey = new Map(triggers.map((t) => [t.key, t]));

/**
 * The closest key by edit distance, for "did you mean" (only when reasonably close: at most
 * `maxDistance` edits, by default a third of the key's length and at least 3).
 */
export function closest(
  key: string,
  keys: Iterable<string>,
  maxDistance = Math.max(3, Math.floor(key.length / 3)),
): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const k of keys) {
    const d = distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export function action(key: string): ActionDef {
  const a = actionsByKey.get(key);
  if (!a) throw new UnknownCatalogKeyError("action", key, closest(key, actionsByKey.keys()));
  return a;
}

export function trigger(key: string): TriggerDef {
  const t = triggersByKey.get(key);
  if (!t) throw new UnknownCatalogKeyError("trigger", key, closest(key, triggersByKey.keys()));
  return t;
}

/** Checks an action's input without running it: throws ActionInputError (per-field issues) or returns the parsed input. */
export function validateActionInput(def: ActionDef, input: unknown): unknown {
  return parseInput(def.key, def.input, input);
}
