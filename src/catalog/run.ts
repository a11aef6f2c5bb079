/**
 * What running an action means for each kind: one request built from the row's operation (lists:
 * one page, or every page with `all`). Custom handlers (handlers.ts) reuse these pieces.
 */
import { type ResourceName, resource, STATE_FIELDS } from "../cliniko/resources.ts";
import type { OperationSpec } from "../cliniko/spec.ts";
import type { ClinikoClient, ClinikoRecord, HttpMethod } from "../cliniko/types.ts";
import type { ActionKind } from "./types.ts";

/** How a Find action may look a record up besides its id: a `q[]` filter, or matched on our side. */
export type SearchMode = "filter" | "client";

/** Path with its parameters filled in (ids are digits, so no escaping is needed; encode anyway). */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
}

/**
 * `q[]=<state>:*` for every hidden state a single-record GET documents, so a record found by id is
 * returned whatever its state (an archived patient, a cancelled appointment) rather than a 404.
 */
export function revealFilters(op: OperationSpec | undefined): string[] {
  const table = op?.filters ?? {};
  return STATE_FIELDS.filter((s) => s in table).map((s) => `${s}:*`);
}

/** Context a generic or custom runner receives: the row's facts plus the validated input. */
export interface RunContext {
  key: string;
  op?: OperationSpec;
  resource?: ResourceName;
  path: string;
  method: HttpMethod;
  search?: Record<string, SearchMode>;
  parent?: string;
  /** Resolves an `id`-like input (id or URL) to digits, checking the URL's host. */
  id(client: ClinikoClient, field: string, value: string): string;
}

/** The generic behaviour of each kind: one request (lists: one page, or all pages with `all`). */
export async function runGeneric(
  kind: ActionKind,
  ctx: RunContext,
  client: ClinikoClient,
  input: Record<string, unknown>,
): Promise<unknown> {
  const op = ctx.op!;
  switch (kind) {
    case "create": {
      const res = await client.request<ClinikoRecord>({ method: op.method, path: op.path, body: input });
      return res.body;
    }
    case "update": {
      const { id, ...body } = input;
      const rid = ctx.id(client, "id", id as string);
      const res = await client.request<ClinikoRecord>({
        method: op.method,
        path: fillPath(op.path, { id: rid }),
        body,
      });
      return res.body;
    }
    case "find": {
      if (input.id !== undefined || !ctx.search) {
        const rid = ctx.id(client, "id", input.id as string);
        const path = fillPath(op.path, { id: rid });
        return (await client.request<ClinikoRecord>({ method: "GET", path, q: revealFilters(op) })).body;
      }
      return findBySearch(ctx, client, input);
    }
    case "list":
      return listRecords(ctx, client, input);
    case "archive":
    case "delete": {
      const rid = ctx.id(client, "id", input.id as string);
      await client.request({ method: op.method, path: fillPath(op.path, { id: rid }) });
      return kind === "archive" ? { id: rid, archived: true } : { id: rid, deleted: true };
    }
    case "cancel": {
      const { id, ...body } = input;
      const rid = ctx.id(client, "id", id as string);
      await client.request({ method: op.method, path: fillPath(op.path, { id: rid }), body });
      return { id: rid, cancelled: true };
    }
    default:
      throw new Error(`${ctx.key} has no generic behaviour`);
  }
}

/** Find by other fields: `q[]` filters (AND), or matched on our side for fields Cliniko cannot filter. */
async function findBySearch(ctx: RunContext, client: ClinikoClient, input: Record<string, unknown>): Promise<unknown> {
  const res = resource(ctx.resource!);
  const q: string[] = [];
  const local: [string, string][] = [];
  for (const [field, mode] of Object.entries(ctx.search!)) {
    const value = input[field];
    if (value === undefined) continue;
    if (mode === "filter") q.push(`${field}:=${value}`);
    else local.push([field, String(value)]);
  }
  const listPath = res.path;
  if (local.length === 0) {
    const page = await client.listPage(listPath, { q, sort: "created_at:desc", perPage: 1, key: res.name });
    return page.records[0] ?? null;
  }
  for await (const page of client.pages(listPath, { q, sort: "created_at:desc", perPage: 100, key: res.name })) {
    const hit = page.records.find((r) => local.every(([f, v]) => r[f] === v));
    if (hit) return hit;
  }
  return null;
}

/** One page, or every page with `all` (up to `limit`). */
export async function listRecords(
  ctx: RunContext,
  client: ClinikoClient,
  input: Record<string, unknown>,
): Promise<{ records: ClinikoRecord[]; total_entries: number; next_page: number | null }> {
  const op = ctx.op!;
  const params: Record<string, string> = {};
  for (const p of op.pathParams) params[p] = input[p] as string;
  const q = [...((input.q as string[] | undefined) ?? [])];
  if (ctx.parent) q.unshift(`${ctx.parent}:=${input[ctx.parent]}`);
  const key = op.response.kind === "list" ? op.response.key : (ctx.resource ?? "");
  const path = fillPath(op.path, params);
  const sort = input.sort as string | undefined;
  if (!input.all) {
    const page = (input.page as number | undefined) ?? 1;
    const res = await client.listPage(path, { q, sort, page, perPage: input.per_page as number | undefined, key });
    return { records: res.records, total_entries: res.totalEntries, next_page: res.next ? page + 1 : null };
  }
  const limit = (input.limit as number | undefined) ?? 10000;
  const records: ClinikoRecord[] = [];
  let total = 0;
  for await (const page of client.pages(path, { q, sort, perPage: (input.per_page as number) ?? 100, key })) {
    total = page.totalEntries;
    for (const r of page.records) {
      if (records.length >= limit) break;
      records.push(r);
    }
    if (records.length >= limit) break;
  }
  // With `all`, there is no next page to offer: fewer records than total_entries means `limit` cut it.
  return { records, total_entries: total, next_page: null };
}
