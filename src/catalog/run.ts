/**
 * What running an action means for each kind: one call of the row's operation (lists: one page,
 * or every page with `all`). The client fills the operation's path and checks its `q[]`; nothing
 * here builds a path. Custom handlers (handlers.ts) reuse these pieces.
 */
import { type ResourceName, resource, STATE_FIELDS } from "../cliniko/resources.ts";
import type { OperationSpec } from "../cliniko/spec.ts";
import type { ClinikoClient, ClinikoRecord } from "../cliniko/types.ts";
import type { ActionKind } from "./types.ts";

/** How a Find action may look a record up besides its id: a `q[]` filter, or matched on our side. */
/**
 * How a find action matches a field: `filter` asks Cliniko (`q[]=f:=v`); `client` matches on our
 * side; `caseless` narrows with Cliniko's contains filter (`q[]=f:~v`) and matches the whole value
 * regardless of case on our side (an email typed Ada@Clinic.com is ada@clinic.com).
 */
export type SearchMode = "filter" | "client" | "caseless";

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
  /** The Cliniko operation the action calls (for custom handlers: its main one). */
  op: OperationSpec;
  resource?: ResourceName;
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
  const op = ctx.op;
  switch (kind) {
    case "create":
      return client.call<ClinikoRecord>(op, { body: input });
    case "update": {
      if (isScoped(op)) {
        const { params, rest } = splitPathParams(op, input);
        return client.call<ClinikoRecord>(op, { params, body: rest });
      }
      const { id, ...body } = input;
      const rid = ctx.id(client, "id", id as string);
      await keepDuration(ctx, client, rid, body);
      return client.call<ClinikoRecord>(op, { params: { id: rid }, body });
    }
    case "find": {
      if (op.pathParams.length === 0) return client.call<ClinikoRecord>(op, {});
      if (isScoped(op)) return client.call<ClinikoRecord>(op, splitPathParams(op, input));
      if (input.id !== undefined || !ctx.search) {
        const rid = ctx.id(client, "id", input.id as string);
        return client.call<ClinikoRecord>(op, { params: { id: rid }, q: revealFilters(op) });
      }
      return findBySearch(ctx, client, input);
    }
    case "list":
      return listRecords(ctx, client, input);
    case "archive":
    case "delete": {
      const rid = ctx.id(client, "id", input.id as string);
      await client.call(op, { params: { id: rid } });
      return kind === "archive" ? { id: rid, archived: true } : { id: rid, deleted: true };
    }
    case "unarchive": {
      const rid = ctx.id(client, "id", input.id as string);
      return client.call<ClinikoRecord>(op, { params: { id: rid } });
    }
    case "cancel": {
      const { id, ...body } = input;
      const rid = ctx.id(client, "id", id as string);
      await client.call(op, { params: { id: rid }, body });
      return { id: rid, cancelled: true };
    }
    default:
      throw new Error(`${ctx.key} has no generic behaviour`);
  }
}

/**
 * A booking (appointment, availability or unavailable block) moved by its start alone keeps its
 * length, as when it is dragged in Cliniko's diary: `ends_at` is set from the stored duration.
 * Without it, Cliniko keeps the old end and refuses a start after it.
 */
async function keepDuration(ctx: RunContext, client: ClinikoClient, id: string, body: Record<string, unknown>) {
  if (typeof body.starts_at !== "string" || body.ends_at !== undefined || !ctx.resource) return;
  const get = resource(ctx.resource).ops.get;
  if (!get) return;
  const current = await client.call<ClinikoRecord>(get, { params: { id }, q: revealFilters(get) });
  const start = Date.parse(String(current.starts_at));
  const end = Date.parse(String(current.ends_at));
  const moved = Date.parse(body.starts_at);
  if (Number.isNaN(start) || Number.isNaN(end) || Number.isNaN(moved)) return;
  body.ends_at = new Date(moved + (end - start)).toISOString().replace(/\.000Z$/, "Z");
}

/** Find by other fields: `q[]` filters (AND), or matched on our side for fields Cliniko cannot filter. */
async function findBySearch(ctx: RunContext, client: ClinikoClient, input: Record<string, unknown>): Promise<unknown> {
  const res = resource(ctx.resource!);
  const q: string[] = [];
  const local: [string, (v: unknown) => boolean][] = [];
  for (const [field, mode] of Object.entries(ctx.search!)) {
    const value = input[field];
    if (value === undefined) continue;
    if (mode === "filter") q.push(`${field}:=${value}`);
    else if (mode === "caseless") {
      const want = String(value).toLowerCase();
      q.push(`${field}:~${value}`);
      local.push([field, (v) => typeof v === "string" && v.toLowerCase() === want]);
    } else local.push([field, (v) => v === String(value)]);
  }
  const list = res.ops.list;
  if (!list) throw new Error(`${ctx.key} searches ${res.name}, which Cliniko cannot list`);
  if (local.length === 0) {
    const page = await client.pageOf(list, { q, sort: "created_at:desc", perPage: 1 });
    return page.records[0] ?? null;
  }
  for await (const page of client.pagesOf(list, { q, sort: "created_at:desc", perPage: 100 })) {
    const hit = page.records.find((r) => local.every(([f, matches]) => matches(r[f])));
    if (hit) return hit;
  }
  return null;
}

/** An operation whose path names something other than the record's own id (`{patient_id}`, `{patient_form_id}`). */
export function isScoped(op: OperationSpec): boolean {
  return op.pathParams.some((p) => p !== "id");
}

/** The path parameters of a scoped operation, and the rest of the input (its body). */
function splitPathParams(
  op: OperationSpec,
  input: Record<string, unknown>,
): { params: Record<string, string>; rest: Record<string, unknown> } {
  const params: Record<string, string> = {};
  const rest = { ...input };
  for (const p of op.pathParams) {
    params[p] = String(input[p]);
    delete rest[p];
  }
  return { params, rest };
}

/** One page, or every page with `all` (up to `limit`). */
export async function listRecords(
  ctx: RunContext,
  client: ClinikoClient,
  input: Record<string, unknown>,
): Promise<{ records: ClinikoRecord[]; total_entries: number; next_page: number | null; truncated: boolean }> {
  const op = ctx.op;
  const params: Record<string, string> = {};
  for (const p of op.pathParams) params[p] = input[p] as string;
  const q = [...((input.q as string[] | undefined) ?? [])];
  if (ctx.parent) q.unshift(`${ctx.parent}:=${input[ctx.parent]}`);
  const sort = input.sort as string | undefined;
  if (!input.all) {
    const page = (input.page as number | undefined) ?? 1;
    const res = await client.pageOf(op, { params, q, sort, page, perPage: input.per_page as number | undefined });
    const next_page = res.next ? page + 1 : null;
    return { records: res.records, total_entries: res.totalEntries, next_page, truncated: next_page !== null };
  }
  const limit = (input.limit as number | undefined) ?? 10000;
  const records: ClinikoRecord[] = [];
  let total = 0;
  for await (const page of client.pagesOf(op, { params, q, sort, perPage: (input.per_page as number) ?? 100 })) {
    total = page.totalEntries;
    for (const r of page.records) {
      if (records.length >= limit) break;
      records.push(r);
    }
    if (records.length >= limit) break;
  }
  // With `all`, there is no next page to offer: `truncated` says that `limit` cut the list short.
  return { records, total_entries: total, next_page: null, truncated: records.length < total };
}
