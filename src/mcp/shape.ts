/**
 * Answers that fit a context window. A list answer carries a compact summary of each record by
 * default (the fields a person reads), the fields asked for with `fields`, at most 50 records and
 * 40 KB, and a cursor that continues where it stopped. Its text is a short reading of the same
 * records, one line each, not a second copy of the JSON.
 */
import { z } from "zod";
import { ToolRefusal } from "./refusal.ts";

/** Records per answer unless the caller asks for fewer. */
export const MAX_RECORDS = 50;
/** Bytes of records per answer (JSON). */
export const MAX_BYTES = 40_000;

/**
 * The fields a person reads, in the order they are shown: names, contact, when, what, status, and
 * the ids of the related records. A record shows those it has (others: `fields`).
 */
const SUMMARY_FIELDS = [
  "id",
  "title",
  "first_name",
  "preferred_first_name",
  "last_name",
  "name",
  "business_name",
  "display_name",
  "label",
  "email",
  "date_of_birth",
  "starts_at",
  "ends_at",
  "appointment_start",
  "issue_date",
  "number",
  "status_description",
  "total_amount",
  "outstanding_amount",
  "duration_in_minutes",
  "price",
  "did_not_arrive",
  "patient_arrived",
  "cancelled_at",
  "archived_at",
  "patient_id",
  "practitioner_id",
  "appointment_type_id",
  "business_id",
  "invoice_id",
  "created_at",
] as const;

const PHONES = "patient_phone_numbers";

export const fieldsInput = z
  .array(z.string().min(1))
  .min(1)
  .optional()
  .describe('Fields to return per record instead of the summary (["*"]: every field).');

export const cursorInput = z
  .string()
  .min(1)
  .optional()
  .describe("The cursor of an earlier answer: continues where it stopped (other arguments are ignored).");

/** The JSON Schema properties every list tool adds to its own. */
export const LIST_SHAPE_PROPERTIES = {
  fields: {
    type: "array",
    items: { type: "string" },
    description: 'Fields per record instead of the summary (["*"]: all).',
  },
  cursor: { type: "string", description: "An earlier answer's cursor: continues there (other arguments ignored)." },
};

/** A record as the answer shows it: the summary, the fields asked for, or all of it. */
export function shapeRecord(record: unknown, fields?: readonly string[]): unknown {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return record;
  const r = record as Record<string, unknown>;
  if (fields?.includes("*")) return r;
  const out: Record<string, unknown> = {};
  if (fields) {
    if (r.id !== undefined) out.id = r.id;
    for (const f of fields) if (f in r) out[f] = r[f];
    return out;
  }
  for (const f of SUMMARY_FIELDS) {
    const v = r[f];
    if (v === undefined || v === null || v === "") continue;
    out[f] = v;
  }
  const phones = r[PHONES];
  if (Array.isArray(phones) && phones.length > 0)
    out.phones = phones.map((p) => (p as { number?: unknown }).number).filter((n) => typeof n === "string");
  return out;
}

/** How far an answer got, to continue from: opaque to the caller. */
export interface CursorState {
  /** The arguments of the first call (without cursor). */
  args: Record<string, unknown>;
  /** Cliniko's page to read next (paged lists), from 1. */
  page?: number;
  /** Records of that page (or of the whole result) already returned. */
  skip: number;
  /** Records returned by the answers before (for `limit`). */
  given?: number;
}

/** The first call's arguments, or the ones its cursor carries. */
export function cursorState<A extends { cursor?: string }>(args: A): CursorState & { args: Omit<A, "cursor"> } {
  if (args.cursor) return decodeCursor(args.cursor) as CursorState & { args: Omit<A, "cursor"> };
  const { cursor: _c, ...first } = args;
  return { args: first, skip: 0 };
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString("base64url");
}

export function decodeCursor(cursor: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as CursorState;
    if (state && typeof state.args === "object" && Number.isInteger(state.skip)) return state;
  } catch {
    // falls through to the refusal
  }
  throw new ToolRefusal("That cursor is not one this server gave (pass the cursor of the previous answer as it was).");
}

/**
 * Takes shaped records while they fit: at most `max` records and MAX_BYTES of JSON. Returns how
 * many were taken (the rest go to the next answer).
 */
export function takeFitting(
  records: readonly unknown[],
  fields: readonly string[] | undefined,
  max: number,
  budget = MAX_BYTES,
  forceFirst = true,
): { taken: unknown[]; bytes: number } {
  const taken: unknown[] = [];
  let bytes = 0;
  for (const r of records) {
    if (taken.length >= max) break;
    const shaped = shapeRecord(r, fields);
    const size = JSON.stringify(shaped).length + 1;
    // The first record of an answer always goes, so an answer always moves forward.
    if ((taken.length > 0 || !forceFirst) && bytes + size > budget) break;
    taken.push(shaped);
    bytes += size;
  }
  return { taken, bytes };
}

/** Caps an array of an answer taken whole (a result that is not paged by Cliniko). */
export function capArray(
  records: readonly unknown[],
  state: CursorState,
  fields: readonly string[] | undefined,
  max = MAX_RECORDS,
): { records: unknown[]; next_cursor: string | null } {
  const rest = records.slice(state.skip);
  const { taken } = takeFitting(rest, fields, max);
  const done = state.skip + taken.length;
  return {
    records: taken,
    next_cursor: done < records.length ? encodeCursor({ args: state.args, skip: done }) : null,
  };
}

const scalar = (v: unknown): string =>
  v === null || typeof v !== "object" ? String(v) : Array.isArray(v) ? v.map(scalar).join(", ") : JSON.stringify(v);

/** One line for a record: `key: value; key: value`. */
export function recordLine(record: unknown): string {
  if (record === null || typeof record !== "object") return String(record);
  return Object.entries(record as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${scalar(v)}`)
    .join("; ");
}

/**
 * The text of an answer: for a list (an array of records under `records` or another key), a
 * heading and one line per record; otherwise one line per field. Either way a reading of the
 * structured content, not a second copy of its JSON.
 */
export function answerText(result: Record<string, unknown>): string {
  const listKey = Object.keys(result).find((k) => Array.isArray(result[k]) && k !== "q");
  if (!listKey)
    return Object.entries(result)
      .map(([k, v]) => `${k}: ${scalar(v)}`)
      .join("\n");
  const list = result[listKey] as unknown[];
  const head = Object.entries(result)
    .filter(([k, v]) => k !== listKey && k !== "next_cursor" && v !== undefined && !Array.isArray(v))
    .map(([k, v]) => `${k}: ${scalar(v)}`);
  const lines = [`${list.length} ${listKey}${head.length ? ` (${head.join("; ")})` : ""}:`];
  for (const r of list) lines.push(`- ${recordLine(r)}`);
  if (typeof result.next_cursor === "string") lines.push(`More: call again with {"cursor": "${result.next_cursor}"}.`);
  return lines.join("\n");
}
