/**
 * Finding a trigger or an action by the words a clinic uses: "no show", "no-show", "noshow" and
 * "DNA" all find Appointment Marked Did Not Arrive, and find it first.
 */

export interface Searchable {
  title: string;
  key: string;
  group: string;
  keywords?: string[];
  /** A trigger's event: a state a record reaches (cancelled, did_not_arrive…) ranks above a mere change. */
  event?: string;
  groupRank?: number;
}

/** Lower case, hyphens and underscores as spaces, one space between words. */
const normal = (s: string) =>
  s
    .toLowerCase()
    .replace(/[-_/]+/g, " ")
    .replace(/[^\p{L}\p{N} ]+/gu, "")
    .replace(/\s+/g, " ")
    .trim();
const compact = (s: string) => s.replace(/ /g, "");
/** `phrase` as whole words within `text` (both normalised). */
const hasPhrase = (text: string, phrase: string) => ` ${text} `.includes(` ${phrase} `);

/** Events a record changes into, as opposed to being created or edited. */
const CHANGE_EVENTS = new Set(["new", "updated"]);

/**
 * How well `entry` answers `query`: 0 when it does not match at all. A whole-phrase match in the
 * title or a keyword beats words found here and there; a state trigger beats a change trigger.
 */
export function score(entry: Searchable, query: string): number {
  const q = normal(query);
  if (!q) return 1;
  const title = normal(entry.title);
  const keywords = (entry.keywords ?? []).map(normal);
  const all = `${title} ${normal(entry.key)} ${normal(entry.group)} ${keywords.join(" ")}`;
  // "noshow" is "no show", "followup" "follow up": a keyword typed without its spaces still counts whole.
  const c = compact(q);
  let s = 0;
  if (title === q) s = 10;
  else if (hasPhrase(title, q) || keywords.some((k) => k === q || compact(k) === c)) s = 6;
  else if (keywords.some((k) => hasPhrase(k, q))) s = 4;
  else if (q.split(" ").every((w) => all.includes(w))) s = 2;
  else if (compact(all).includes(c)) s = 1;
  if (s === 0) return 0;
  const state = entry.event !== undefined && !CHANGE_EVENTS.has(entry.event);
  return s + (state && s >= 4 ? 1 : 0);
}

/** Whether `entry` matches `query` at all. */
export const matches = (entry: Searchable, query: string): boolean => score(entry, query) > 0;

/** The entries matching `query`, best first (among equals, the groups clinics use most, then catalogue order). */
export function search<T extends Searchable>(items: readonly T[], query: string): T[] {
  if (!normal(query)) return [...items];
  return items
    .map((item, i) => ({ item, i, s: score(item, query), g: item.groupRank ?? Number.MAX_SAFE_INTEGER }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.g - b.g || a.i - b.i)
    .map((x) => x.item);
}

/**
 * Items by group. Without a query, the groups clinics use most first (the server's groupRank);
 * with one, groups in the order of their best result, so the first button is the best match.
 */
export function groupBy<T extends { group: string; groupRank?: number }>(items: T[], ranked = false): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
  const entries = [...groups.entries()];
  if (ranked) return entries;
  const rank = (list: T[]) => list[0]?.groupRank ?? Number.MAX_SAFE_INTEGER;
  return entries.sort((a, b) => rank(a[1]) - rank(b[1]));
}
