/** The catalogue as plain JSON (the CLI's `--json`, the HTTP API, the docs): no functions, no zod. */
import type { ActionDef, TriggerDef } from "./types.ts";

export function actionSummary(a: ActionDef) {
  return {
    key: a.key,
    title: a.title,
    source: a.source,
    group: a.group,
    kind: a.kind,
    description: a.description,
    method: a.method,
    path: a.path,
    documented: a.documented,
    resource: a.resource ?? null,
    inputSchema: a.inputSchema,
    outputSample: a.outputSample,
  };
}

export function triggerSummary(t: TriggerDef) {
  return {
    key: t.key,
    title: t.title,
    source: t.source,
    group: t.group,
    kind: t.event,
    description: t.description,
    resource: t.resource,
    event: t.event,
    paths: t.paths,
    stateFilters: t.stateFilters,
    inputSchema: t.inputSchema,
    sample: t.sample,
  };
}

/** Entries by their group, groups in order of first appearance (the brief's order). */
export function byGroup<T extends { group: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.group);
    if (list) list.push(item);
    else groups.set(item.group, [item]);
  }
  return groups;
}
