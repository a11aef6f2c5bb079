/**
 * What one poll reads of a resource, and how much of it that settles.
 *
 * A change can commit late: stamped up to the overlap before it becomes visible. So a stamp range
 * is final once Cliniko's clock (or a visible stamp) is one overlap past it, and only a read made
 * after that is sure to hold every change of the range. Re-reading the whole overlap window on
 * every poll (what earlier versions did) reads each change overlap / interval + 1 times: three
 * times at the default 1-minute interval and 2-minute overlap, 3–5 pages a poll on a busy clinic.
 * Here a change is read when it is new and once more when its range is final, and the range in
 * between, already read and not yet final, is skipped when skipping saves pages:
 *
 *   1. `updated_at >= settled` newest first, page by page, on each list operation of the resource.
 *      Newest-first paging can repeat a record when the listing moves but never skip one: a record
 *      that changes jumps to the front, above the pages still to come. A window that fits in one
 *      page (an idle resource, a quiet clinic) is read whole, in one request, as before.
 *   2. The final line is the newest stamp seen, or Cliniko's clock when it answered (its Date
 *      header) if later, minus the overlap. Once a page ends below the cursor (every new change is
 *      read) and at or above the final line, the rest of the listing is the not-yet-final middle
 *      plus the final range [settled, final line). When a read of the final range alone costs
 *      fewer pages (estimated from total_entries), the listing stops there and that range is read
 *      instead. The middle is read in a later poll, once it is final.
 *   3. Everything below the final line has now been read after it was final: it is the new
 *      settled mark (the caller stores it with the poll's commit). Once a resource has been quiet
 *      for an overlap, the mark passes its last change and each poll is one near-empty page.
 *
 * A change first seen in a settling read may be up to one overlap older than the settled mark at
 * that time: see the seen floor in src/store/polling.ts (`pollWindow`).
 */
import type { TriggerRecord } from "../catalog/index.ts";
import { compareChanges, listsOf, stateFiltersOf } from "../catalog/triggers.ts";
import type { ResourceName } from "../cliniko/resources.ts";
import type { ClinikoClient, ListPage } from "../cliniko/types.ts";
import type { PollWindow } from "../store/index.ts";

/** Cliniko's largest per_page. */
const PER_PAGE = 100;

const stamp = (r: TriggerRecord | undefined): number =>
  typeof r?.updated_at === "string" ? Date.parse(r.updated_at) : Number.NaN;
/** Cliniko stamps whole seconds: filters on whole seconds keep `>=` and `<` exact. */
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
const isoSecond = (ms: number) => new Date(second(ms)).toISOString().replace(".000Z", "Z");

export interface WindowRead {
  /** Every record read, in updated_at order (id breaks ties), each version once. */
  records: TriggerRecord[];
  pages: number;
  /** The settled mark this read earns (ms). */
  settled: number;
}

export async function readWindow(
  client: ClinikoClient,
  name: ResourceName,
  window: Pick<PollWindow, "settled"> & { cursor: number; overlapMs: number },
  options: { signal?: AbortSignal; onPage?(n: number, records: number): void } = {},
): Promise<WindowRead> {
  const settled = second(window.settled);
  const states = stateFiltersOf(name);
  const records: TriggerRecord[] = [];
  let pages = 0;
  const took = (page: ListPage<TriggerRecord>) => {
    records.push(...page.records);
    options.onPage?.(++pages, records.length);
  };
  const newestFirst = (list: ReturnType<typeof listsOf>[number], q: string[]) =>
    client
      .pagesOf<TriggerRecord>(list, {
        q: [...q, ...states],
        sort: "updated_at:desc",
        perPage: PER_PAGE,
        signal: options.signal,
      })
      [Symbol.asyncIterator]();

  // 1. The first page of every list, so the final line counts the newest stamp of all of them.
  const listings = [];
  for (const list of listsOf(name)) {
    const pages = newestFirst(list, [`updated_at:>=${isoSecond(settled)}`]);
    const first = await pages.next();
    if (first.done) continue;
    took(first.value);
    listings.push({ list, pages, page: first.value, read: first.value.records.length });
  }
  // Newest stamp seen, or Cliniko's clock when it answered if later (a quiet spell).
  let newest = window.cursor;
  for (const r of records) if (stamp(r) > newest) newest = stamp(r);
  for (const l of listings) if ((l.page.answeredAt ?? 0) > newest) newest = l.page.answeredAt!;
  const finalLine = second(newest - window.overlapMs);

  // 2. The rest of each listing, or only its final range when that is cheaper.
  for (const l of listings) {
    let skipMiddle = false;
    while (l.page.next) {
      const last = stamp(l.page.records.at(-1));
      // Below the cursor's second: every change not read before is on the pages read so far.
      if (finalLine > settled && last < second(window.cursor) && last >= finalLine) {
        const remaining = Math.max(0, l.page.totalEntries - l.read);
        // Assume the remaining records spread evenly over [settled, last].
        const finalShare = (finalLine - settled) / (last - settled + 1000);
        const finalPages = Math.max(1, Math.ceil((remaining * finalShare) / PER_PAGE));
        if (finalPages < Math.ceil(remaining / PER_PAGE)) {
          skipMiddle = true;
          break;
        }
      }
      const next = await l.pages.next();
      if (next.done) break;
      l.page = next.value;
      l.read += next.value.records.length;
      took(next.value);
    }
    if (!skipMiddle) continue;
    await l.pages.return?.();
    const finalRange = newestFirst(l.list, [
      `updated_at:>=${isoSecond(settled)}`,
      `updated_at:<${isoSecond(finalLine)}`,
    ]);
    for (let p = await finalRange.next(); !p.done; p = await finalRange.next()) took(p.value);
  }

  // A record read twice in the same version (the listing moved, or two lists) counts once.
  const versions = new Map<string, TriggerRecord>();
  for (const r of records) versions.set(`${r.id}@${r.updated_at}`, r);
  return {
    records: [...versions.values()].sort(compareChanges),
    pages,
    settled: Math.max(settled, finalLine),
  };
}
