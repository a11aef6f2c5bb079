/**
 * The step registry: every step kind a workflow can name, looked up by key. Adding a step kind is
 * adding one entry to one of the lists below (its editor form is generated from `inputSchema`).
 */

import { closest, UnknownCatalogKeyError } from "../catalog/index.ts";
import { appSteps } from "./apps.ts";
import { builtinSteps } from "./builtin.ts";
import { clinikoSteps } from "./cliniko.ts";
import { each } from "./each.ts";
import type { StepKind } from "./types.ts";

const all: readonly StepKind[] = [...clinikoSteps, ...appSteps, ...builtinSteps, each];
const byKey = new Map(all.map((k) => [k.key, k]));

/** Every step kind: the catalogue's actions in brief order, the apps' actions, then the built-in steps. */
export function stepKinds(): readonly StepKind[] {
  return all;
}

/** The kind a workflow names; throws UnknownCatalogKeyError (with a "did you mean") otherwise. */
export function stepKind(key: string): StepKind {
  const kind = byKey.get(key);
  if (!kind) throw new UnknownCatalogKeyError("action", key, closest(key, byKey.keys()));
  return kind;
}

export function isStepKind(key: string): boolean {
  return byKey.has(key);
}
