/**
 * The sandbox's state: one table per catalogue collection, rows as Cliniko stores them (plain
 * fields as on the wire, links as `<field>_id`). Ids are int64 strings from one counter shared by
 * all tables (so a booking id names exactly one appointment or block), starting above 2^53 so a
 * client that turns ids into numbers breaks here rather than in production.
 */
import { resourceNames } from "../cliniko/resources.ts";
import type { SandboxClock } from "./clock.ts";
import { BOOKING_KINDS } from "./model.ts";

export type Row = Record<string, unknown> & { id: string; created_at: string; updated_at: string };

export interface StoreSnapshot {
  version: 1;
  nextId: string;
  tables: Record<string, Row[]>;
}

const FIRST_ID = 1_000_000_000_000_000_001n;

export class SandboxStore {
  readonly clock: SandboxClock;
  #tables = new Map<string, Map<string, Row>>();
  #nextId = FIRST_ID;
  /** Called after every change (persistence hooks here). */
  onChange: () => void = () => {};

  constructor(clock: SandboxClock) {
    this.clock = clock;
    this.clear();
  }

  clear(): void {
    this.#tables = new Map(resourceNames.filter((n) => n !== "bookings").map((n) => [n, new Map()]));
    this.#nextId = FIRST_ID;
    this.onChange();
  }

  newId(): string {
    const id = this.#nextId;
    this.#nextId += 1n;
    return id.toString();
  }

  #table(name: string): Map<string, Row> {
    const t = this.#tables.get(name);
    if (!t) throw new Error(`The sandbox has no table ${name}`);
    return t;
  }

  has(name: string): boolean {
    return this.#tables.has(name);
  }

  /** Rows in insertion order (live objects: treat as read-only). */
  rows(name: string): Row[] {
    return [...this.#table(name).values()];
  }

  get(name: string, id: string): Row | undefined {
    return this.#table(name).get(id);
  }

  /** The appointment or unavailable block a booking id names. */
  booking(id: string): { kind: (typeof BOOKING_KINDS)[number]; row: Row } | undefined {
    for (const kind of BOOKING_KINDS) {
      const row = this.get(kind, id);
      if (row) return { kind, row };
    }
    return undefined;
  }

  /** Inserts a row; id and timestamps are assigned unless given (seeds back-date them). */
  insert(name: string, values: Record<string, unknown>): Row {
    const now = this.clock.iso();
    const row = {
      ...values,
      id: (values.id as string | undefined) ?? this.newId(),
      created_at: (values.created_at as string | undefined) ?? now,
      updated_at: (values.updated_at as string | undefined) ?? (values.created_at as string | undefined) ?? now,
    } as Row;
    this.#table(name).set(row.id, row);
    this.onChange();
    return row;
  }

  /**
   * Applies a patch; `updated_at` moves to now when a value really changed (as Rails does), or
   * always with `touch`.
   */
  update(name: string, id: string, patch: Record<string, unknown>, options: { touch?: boolean } = {}): Row {
    const row = this.get(name, id);
    if (!row) throw new Error(`No ${name} ${id}`);
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (JSON.stringify(row[k]) !== JSON.stringify(v)) changed = true;
      row[k] = v;
    }
    if ((changed || options.touch) && !("updated_at" in patch)) row.updated_at = this.clock.iso();
    if (changed || options.touch) this.onChange();
    return row;
  }

  remove(name: string, id: string): boolean {
    const removed = this.#table(name).delete(id);
    if (removed) this.onChange();
    return removed;
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.#tables].map(([k, t]) => [k, t.size]));
  }

  snapshot(): StoreSnapshot {
    return {
      version: 1,
      nextId: this.#nextId.toString(),
      tables: Object.fromEntries([...this.#tables].map(([k, t]) => [k, [...t.values()]])),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`Unsupported sandbox data version ${String(snapshot.version)}`);
    this.clear();
    for (const [name, rows] of Object.entries(snapshot.tables)) {
      if (!this.#tables.has(name)) continue;
      const t = this.#table(name);
      for (const row of rows) t.set(row.id, row);
    }
    this.#nextId = BigInt(snapshot.nextId);
    this.onChange();
  }
}
