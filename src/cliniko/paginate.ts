/**
 * Lists: one page, or every record of every page. Pages are walked by following `links.next`
 * until it is absent — never by computing page numbers from `total_entries`, which goes stale
 * while records are created or archived between pages.
 */
import { ClinikoHttpError } from "./errors.ts";
import type { Send, WireRequest } from "./http.ts";
import { findOperation } from "./spec.ts";
import type { ListPage } from "./types.ts";

/**
 * The envelope key of a list path: the spec's response key when the path is one of its list
 * operations (`/practitioners/inactive` → practitioners, `…/available_times` → available_times),
 * else the last path segment that is not an id.
 */
export function envelopeKey(path: string): string {
  const op = findOperation("GET", path);
  if (op?.response.kind === "list") return op.response.key;
  const segments = path.split("/").filter((s) => s !== "" && !/^\d+$/.test(s));
  return segments.at(-1) ?? "";
}

interface ListBody {
  total_entries?: number;
  links?: { next?: string | null };
  [key: string]: unknown;
}

export async function fetchPage<T>(send: Send, request: WireRequest, key: string): Promise<ListPage<T>> {
  const sent = performance.now();
  const { body, headers } = await send<ListBody>({ ...request, method: "GET" });
  const took = performance.now() - sent;
  const records = body?.[key];
  if (!Array.isArray(records)) {
    throw new ClinikoHttpError({
      method: "GET",
      path: request.path,
      status: 200,
      reason: `Cliniko's answer did not contain the expected list of ${key.replace(/_/g, " ")}.`,
    });
  }
  const page: ListPage<T> = {
    records: records as T[],
    totalEntries: typeof body.total_entries === "number" ? body.total_entries : records.length,
  };
  const next = body.links?.next;
  if (typeof next === "string" && next !== "") page.next = next;
  // The Date header is when Cliniko answered, rounded down to the second; the listing was read
  // before that, at most this request's time plus the rounding earlier. The poller treats this
  // instant as "everything visible by then was in the answer", so it must not be later than the read.
  const answered = Date.parse(headers?.get("date") ?? "");
  if (!Number.isNaN(answered)) page.answeredAt = answered - Math.ceil(took) - 1000;
  return page;
}

/**
 * The first page and every page `links.next` leads to (the pipeline refuses a next link on another
 * origin). A link seen twice ends with an error instead of looping forever.
 */
export async function* paginatePages<T>(
  send: Send,
  first: WireRequest,
  key: string,
): AsyncGenerator<ListPage<T>, void, undefined> {
  let page = await fetchPage<T>(send, first, key);
  const seen = new Set<string>();
  for (;;) {
    yield page;
    if (!page.next) return;
    if (seen.has(page.next)) {
      throw new ClinikoHttpError({
        method: "GET",
        path: page.next,
        reason: "Cliniko's list pages link back to a page already read, so the listing was stopped.",
      });
    }
    seen.add(page.next);
    // The next link already carries page, per_page, q[] and sort.
    page = await fetchPage<T>(send, { method: "GET", path: page.next, signal: first.signal }, key);
  }
}

/** The records of `paginatePages`, stopping after `limit` records (no further page is fetched). */
export async function* paginateRecords<T>(
  send: Send,
  first: WireRequest,
  key: string,
  limit?: number,
): AsyncGenerator<T, void, undefined> {
  if (limit !== undefined && limit <= 0) return;
  let yielded = 0;
  for await (const page of paginatePages<T>(send, first, key)) {
    for (const record of page.records) {
      yield record;
      if (limit !== undefined && ++yielded >= limit) return;
    }
  }
}
