/**
 * The catalogue's Cliniko actions as MCP tools, read from the step registry: a new catalogue
 * action is a new tool with nothing to write here. The tool runs the step kind's own `execute`,
 * so it goes through the same client, rate limiter and input checks as a workflow step. Its
 * toolset follows from the action's group (toolsets.ts); its listed schema is the compact one
 * (schema.ts); a list answer is shaped and capped, with a cursor to continue (shape.ts).
 */
import { z } from "zod";
import { type ActionKind, action, validateActionInput } from "../catalog/index.ts";
import { parseInput } from "../catalog/inputs.ts";
import { stepKinds } from "../steps/registry.ts";
import type { StepKind } from "../steps/types.ts";
import { compactInputSchema } from "./schema.ts";
import {
  type CursorState,
  capArray,
  cursorInput,
  decodeCursor,
  encodeCursor,
  fieldsInput,
  LIST_SHAPE_PROPERTIES,
  MAX_BYTES,
  MAX_RECORDS,
  takeFitting,
} from "./shape.ts";
import type { McpTool, ToolContext, ToolEffect } from "./tool.ts";
import { toolsetOfGroup } from "./toolsets.ts";

/** Action kinds that remove or end something in Cliniko: refused unless allowed by name. */
const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(["delete", "archive", "cancel"]);

/** Every action's structured result is `{ result }`: a record, a list or null alike. */
export const RESULT_SCHEMA: Record<string, unknown> = {
  type: "object",
  properties: { result: { description: "A record, null, or { records, total_entries, next_cursor }." } },
  required: ["result"],
};

function effectOf(kind: StepKind): ToolEffect {
  if (kind.safety({ id: kind.key, action: kind.key }) === "read") return "read";
  return DESTRUCTIVE.has(action(kind.key).kind) ? "destructive" : "write";
}

const shapeArgs = z.object({ fields: fieldsInput, cursor: cursorInput });

/** Runs the step kind on literal arguments: no `{{ }}` of an assistant's text is ever evaluated. */
async function execute(kind: StepKind, ctx: ToolContext, args: unknown): Promise<unknown> {
  const result = await kind.execute(
    {
      step: { id: kind.key, action: kind.key, ...(ctx.connection ? { connection: ctx.connection } : {}) },
      path: `tool ${kind.key}`,
      scope: { trigger: null, steps: {}, env: {} },
      // Literal arguments: nothing is evaluated, so no workflow's turn is taken.
      evaluation: { workflow: "mcp" },
      clients: ctx.clients,
      now: () => Date.now(),
    },
    args,
  );
  return result ?? null;
}

interface Page {
  records: unknown[];
  total_entries: number;
  next_page: number | null;
}

/**
 * A list read in Cliniko's pages, from the cursor's page and record on: one page unless `all`,
 * and never more than fits (shape.ts).
 */
async function pagedList(kind: StepKind, ctx: ToolContext, state: CursorState) {
  const {
    fields,
    all,
    limit,
    page: _page,
    ...rest
  } = state.args as Record<string, unknown> & {
    fields?: string[];
    limit?: number;
  };
  const given = state.given ?? 0;
  const max = Math.min(MAX_RECORDS, limit !== undefined ? limit - given : MAX_RECORDS);
  const perPage = (rest.per_page as number | undefined) ?? (all ? 100 : undefined);
  const records: unknown[] = [];
  let bytes = 0;
  let page = state.page ?? (state.args.page as number | undefined) ?? 1;
  let skip = state.skip;
  let total = 0;
  let next: Omit<CursorState, "args"> | null = null;
  for (;;) {
    const res = (await execute(kind, ctx, { ...rest, page, ...(perPage ? { per_page: perPage } : {}) })) as Page;
    total = res.total_entries;
    const left = res.records.slice(skip);
    const fit = takeFitting(left, fields, max - records.length, MAX_BYTES - bytes, records.length === 0);
    records.push(...fit.taken);
    bytes += fit.bytes;
    const more = fit.taken.length < left.length;
    if (more) next = { page, skip: skip + fit.taken.length };
    else if (res.next_page !== null) next = { page: page + 1, skip: 0 };
    if (more || res.next_page === null || !all || records.length >= max) break;
    page += 1;
    skip = 0;
  }
  const done = given + records.length;
  if (next && limit !== undefined && done >= limit) next = null;
  return {
    records,
    total_entries: total,
    next_cursor: next ? encodeCursor({ args: state.args, ...next, given: done }) : null,
  };
}

/** A result that is not paged by Cliniko: its arrays capped the same way, continued by skipping. */
function cappedWhole(result: unknown, state: CursorState): unknown {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return result;
  const r = result as Record<string, unknown>;
  const key = Object.keys(r).find((k) => Array.isArray(r[k]));
  if (!key) return result;
  const fields = state.args.fields as string[] | undefined;
  const { records, next_cursor } = capArray(r[key] as unknown[], state, fields);
  return { ...r, [key]: records, next_cursor };
}

export function catalogTool(kind: StepKind): McpTool {
  const def = action(kind.key);
  const safety = kind.safety({ id: kind.key, action: kind.key });
  const schema = kind.inputSchema as { properties?: Record<string, unknown> };
  const paged = def.kind === "list" && schema.properties?.page !== undefined && schema.properties?.all !== undefined;
  // Answers holding a list (every list, and custom reads like available times) are shaped.
  const sample = def.outputSample as Record<string, unknown> | null;
  const holdsList = sample !== null && typeof sample === "object" && Object.values(sample).some(Array.isArray);
  const shaped = paged || (safety === "read" && def.kind !== "find" && holdsList);
  const compact = compactInputSchema(kind.key, kind.inputSchema);
  return {
    name: kind.key,
    title: kind.title,
    description: kind.description,
    inputSchema: shaped
      ? { ...compact, properties: { ...(compact.properties as object), ...LIST_SHAPE_PROPERTIES } }
      : compact,
    outputSchema: RESULT_SCHEMA,
    effect: effectOf(kind),
    toolset: toolsetOfGroup(def.group),
    idempotent: safety !== "write-once",
    cliniko: true,
    validate(args) {
      if (!shaped) return validateActionInput(def, args);
      const { fields, cursor, ...rest } = (args ?? {}) as Record<string, unknown>;
      parseInput(kind.key, shapeArgs, { fields, cursor });
      // With a cursor, the first call's arguments (inside it) are the ones used.
      if (cursor === undefined) validateActionInput(def, rest);
      return args;
    },
    async call(ctx, args) {
      if (!shaped) return { result: await execute(kind, ctx, args) };
      const { cursor, ...first } = args as Record<string, unknown>;
      const state: CursorState = cursor ? decodeCursor(cursor as string) : { args: first, skip: 0 };
      if (paged) return { result: await pagedList(kind, ctx, state) };
      const { fields: _f, ...input } = state.args;
      return { result: cappedWhole(await execute(kind, ctx, input), state) };
    },
  };
}

/** One tool per catalogue action that talks to Cliniko, in catalogue order. */
export function catalogTools(): McpTool[] {
  return stepKinds()
    .filter((k) => k.connection === "cliniko")
    .map(catalogTool);
}
