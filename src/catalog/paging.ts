import type { ClinikoClient, ListOptions, ListPage } from "../cliniko/types.ts";

/**
 * Every page of a list, following Cliniko's `links.next` (never computed from total_entries, which
 * moves while records change). `key` is the envelope key, given explicitly because nested paths
 * such as `/practitioners/inactive` do not end in it.
 */
export async function* pages(
  client: ClinikoClient,
  path: string,
  options: ListOptions & { key: string },
): AsyncGenerator<ListPage> {
  let page = await client.listPage(path, options);
  yield page;
  while (page.next) {
    options.signal?.throwIfAborted();
    page = await client.listPage(page.next, { key: options.key, signal: options.signal });
    yield page;
  }
}

/** HTTP status carried by a client error, if any (the client's typed errors expose `status`). */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}
