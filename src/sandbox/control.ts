/**
 * What tests and demos can do to a running sandbox, programmatically (`sandbox.control`) and over
 * HTTP under `/__sandbox` (never under `/v1`, never rate limited or logged): reset and seed, move
 * the clock, read, touch and write records directly, inject faults, read the request log. Code
 * outside the sandbox uses this (and the exports of index.ts), never the store behind it.
 */
import type { FastifyInstance } from "fastify";
import { resources } from "../cliniko/resources.ts";
import { cancelRow, setArchived } from "./api.ts";
import type { SandboxClock } from "./clock.ts";
import type { FaultInjector, FaultRule } from "./faults.ts";
import { model } from "./model.ts";
import { Prng } from "./prng.ts";
import type { RollingRateLimiter } from "./rate-limit.ts";
import { computedFields, isHidden, render } from "./records.ts";
import { type SeedName, seedDemo, seedOwner } from "./seed.ts";
import type { Row, SandboxStore } from "./store.ts";
import { generateValue } from "./values.ts";

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  status: number;
  /** The API key's suffix (its shard, e.g. `au1`); never the key. Null when no key was sent. */
  keySuffix: string | null;
  durationMs: number;
}

export class RequestLog {
  #entries: RequestLogEntry[] = [];
  readonly max: number;
  constructor(max = 10_000) {
    this.max = max;
  }
  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.max) this.#entries.splice(0, this.#entries.length - this.max);
  }
  entries(): RequestLogEntry[] {
    return [...this.#entries];
  }
  clear(): void {
    this.#entries = [];
  }
}

export class ControlError extends Error {
  override name = "ControlError";
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

export interface ControlDeps {
  store: SandboxStore;
  clock: SandboxClock;
  faults: FaultInjector;
  limiter: RollingRateLimiter;
  requestLog: RequestLog;
}

export class SandboxControl {
  readonly deps: ControlDeps;
  seed: { name: SeedName; seedNumber: number } = { name: "demo", seedNumber: 1 };
  ownerUserId = "";
  /** Persists now (set by the server when it has a data file). */
  persist: () => void = () => {};

  constructor(deps: ControlDeps) {
    this.deps = deps;
  }

  /** Empties the sandbox and seeds it again; clears faults, the log and the rate-limit windows. */
  reset(name: SeedName = this.seed.name, seedNumber = this.seed.seedNumber): void {
    if (name !== "demo" && name !== "empty")
      throw new ControlError(`Unknown seed "${String(name)}" (use demo or empty)`);
    const { store } = this.deps;
    store.clear();
    this.ownerUserId = name === "demo" ? seedDemo(store, seedNumber).ownerUserId : seedOwner(store).id;
    this.seed = { name, seedNumber };
    this.deps.faults.clear();
    this.deps.requestLog.clear();
    this.deps.limiter.reset();
  }

  #table(resource: string): string {
    if (!(resource in resources) || resource === "bookings")
      throw new ControlError(`Unknown resource "${resource}" (bookings live in their own collections)`, 404);
    return resource;
  }

  #row(resource: string, id: string): Row {
    const row = this.deps.store.get(this.#table(resource), id);
    if (!row) throw new ControlError(`No ${resource} with id ${id}`, 404);
    return row;
  }

  /** The sandbox's now, in ms (its clock may be frozen or moved). */
  nowMs(): number {
    return this.deps.clock.nowMs();
  }

  /** Every stored row of a collection, hidden ones included, as copies (changes go through update). */
  records(resource: string): Row[] {
    return this.deps.store.rows(this.#table(resource)).map((r) => ({ ...r }));
  }

  /** One stored row, as a copy; undefined when there is none. */
  record(resource: string, id: string): Row | undefined {
    const row = this.deps.store.get(this.#table(resource), id);
    return row ? { ...row } : undefined;
  }

  /** Rows per collection. */
  counts(): Record<string, number> {
    return this.deps.store.counts();
  }

  /**
   * Bumps `updated_at` of `count` live records (oldest first) or of the given ids. With
   * `sameTimestamp` (default true) they all get the same second, as a bulk edit does; otherwise
   * they get consecutive seconds ending now.
   */
  touch(options: { resource: string; count?: number; ids?: string[]; sameTimestamp?: boolean; at?: string }): {
    ids: string[];
    updated_at: string[];
  } {
    const table = this.#table(options.resource);
    const { store, clock } = this.deps;
    const rows = options.ids
      ? options.ids.map((id) => this.#row(table, id))
      : store
          .rows(table)
          .filter((r) => !isHidden(r))
          .slice(0, options.count ?? 1);
    const base = options.at ? Date.parse(options.at) : clock.nowMs();
    if (Number.isNaN(base)) throw new ControlError(`"at" is not a date-time: ${options.at}`);
    const same = options.sameTimestamp ?? true;
    const stamps = rows.map((_, i) =>
      new Date(same ? base : base - (rows.length - 1 - i) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    );
    for (const [i, row] of rows.entries()) store.update(table, row.id, { updated_at: stamps[i] }, { touch: true });
    return { ids: rows.map((r) => r.id), updated_at: stamps };
  }

  /** Inserts a record directly (no validation); fields not given get realistic values. */
  create(resource: string, values: Record<string, unknown> = {}): Row {
    const table = this.#table(resource);
    const { store, clock } = this.deps;
    const rng = new Prng(Number(BigInt(store.newId()) % 4294967295n));
    const generated: Record<string, unknown> = {};
    for (const [field, node] of model(table).plain) {
      if (field === "id" || field === "created_at" || field === "updated_at") continue;
      generated[field] = generateValue(field, node, { rng, nowMs: clock.nowMs() });
    }
    const row = store.insert(table, { ...generated, ...values });
    Object.assign(row, computedFields(store, table, row));
    return row;
  }

  /** Patches a record directly, state fields and timestamps included. */
  update(resource: string, id: string, values: Record<string, unknown>): Row {
    const table = this.#table(resource);
    this.#row(table, id);
    const row = this.deps.store.update(table, id, values, { touch: true });
    Object.assign(row, computedFields(this.deps.store, table, row));
    return row;
  }

  archive(resource: string, id: string): Row {
    this.#row(resource, id);
    return setArchived(this.deps.store, resource, id, true);
  }

  unarchive(resource: string, id: string): Row {
    this.#row(resource, id);
    return setArchived(this.deps.store, resource, id, false);
  }

  cancel(resource: string, id: string, body: { cancellation_reason?: number; cancellation_note?: string } = {}): Row {
    this.#row(resource, id);
    cancelRow(this.deps.store, resource, id, body);
    return this.#row(resource, id);
  }

  remove(resource: string, id: string): void {
    this.#row(resource, id);
    this.deps.store.remove(resource, id);
  }

  addFault(rule: FaultRule) {
    try {
      return this.deps.faults.add(rule);
    } catch (err) {
      throw new ControlError((err as Error).message);
    }
  }

  clock(change: { freeze?: boolean; set?: string; advanceMs?: number; advanceSeconds?: number }) {
    const { clock } = this.deps;
    try {
      if (change.freeze === false) clock.unfreeze();
      if (change.freeze === true) clock.freeze(change.set);
      else if (change.set !== undefined) clock.set(change.set);
      if (change.advanceMs !== undefined) clock.advance(Number(change.advanceMs));
      if (change.advanceSeconds !== undefined) clock.advance(Number(change.advanceSeconds) * 1000);
    } catch (err) {
      throw new ControlError((err as Error).message);
    }
    return clock.state();
  }
}

/** The HTTP face of `SandboxControl`. `base(req)` is the sandbox's `/v1` URL as the caller sees it. */
export function registerControlRoutes(
  app: FastifyInstance,
  control: SandboxControl,
  info: () => Record<string, unknown>,
  base: (host: string | undefined) => string,
): void {
  const { store, faults, requestLog, limiter } = control.deps;
  type Req = { params: Record<string, string>; body: unknown; query: unknown; headers: { host?: string } };
  const body = (req: Req) => (req.body ?? {}) as Record<string, unknown>;
  const wire = (req: Req, resource: string, row: Row) => render(store, resource, row, base(req.headers.host));

  app.get("/__sandbox", async () => info());
  app.post("/__sandbox/reset", async (req) => {
    const b = body(req as Req);
    control.reset(
      (b.seed as SeedName | undefined) ?? control.seed.name,
      Number(b.seedNumber ?? control.seed.seedNumber),
    );
    return info();
  });
  app.post("/__sandbox/persist", async () => {
    control.persist();
    return { ok: true };
  });
  app.get("/__sandbox/requests", async (req) => {
    const limit = Number((req.query as Record<string, string>).limit ?? 0);
    const entries = requestLog.entries();
    return { requests: limit > 0 ? entries.slice(-limit) : entries };
  });
  app.delete("/__sandbox/requests", async (_req, reply) => {
    requestLog.clear();
    return reply.code(204).send();
  });
  app.get("/__sandbox/faults", async () => ({ faults: faults.list() }));
  app.post("/__sandbox/faults", async (req, reply) =>
    reply.code(201).send(control.addFault(body(req as Req) as unknown as FaultRule)),
  );
  app.delete("/__sandbox/faults", async (_req, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
  app.delete("/__sandbox/faults/:id", async (req, reply) => {
    if (!faults.remove(Number((req.params as Record<string, string>).id))) throw new ControlError("No such fault", 404);
    return reply.code(204).send();
  });
  app.get("/__sandbox/clock", async () => control.deps.clock.state());
  app.post("/__sandbox/clock", async (req) => control.clock(body(req as Req)));
  app.post("/__sandbox/rate-limit", async (req) => {
    const b = body(req as Req);
    if (b.limit !== undefined) {
      const n = Number(b.limit);
      if (!Number.isInteger(n) || n < 0) throw new ControlError("limit must be a whole number (0 = off)");
      limiter.limit = n;
    }
    if (b.reset !== false) limiter.reset();
    return { limit: limiter.limit };
  });
  app.post("/__sandbox/touch", async (req) => {
    const b = body(req as Req);
    return control.touch({
      resource: String(b.resource ?? ""),
      count: b.count === undefined ? undefined : Number(b.count),
      ids: b.ids as string[] | undefined,
      sameTimestamp: b.sameTimestamp as boolean | undefined,
      at: b.at as string | undefined,
    });
  });
  app.get("/__sandbox/records/:resource", async (req) => {
    const { resource } = (req as Req).params;
    const rows = resource === "bookings" ? [] : store.has(resource!) ? store.rows(resource!) : undefined;
    if (!rows) throw new ControlError(`Unknown resource "${resource}"`, 404);
    return { [resource!]: rows.map((r) => wire(req as Req, resource!, r)), total_entries: rows.length };
  });
  app.get("/__sandbox/records/:resource/:id", async (req) => {
    const { resource, id } = (req as Req).params;
    const row = store.has(resource!) ? store.get(resource!, id!) : undefined;
    if (!row) throw new ControlError(`No ${resource} with id ${id}`, 404);
    return wire(req as Req, resource!, row);
  });
  app.post("/__sandbox/records/:resource", async (req, reply) => {
    const { resource } = (req as Req).params;
    return reply.code(201).send(wire(req as Req, resource!, control.create(resource!, body(req as Req))));
  });
  app.patch("/__sandbox/records/:resource/:id", async (req) => {
    const { resource, id } = (req as Req).params;
    return wire(req as Req, resource!, control.update(resource!, id!, body(req as Req)));
  });
  app.delete("/__sandbox/records/:resource/:id", async (req, reply) => {
    const { resource, id } = (req as Req).params;
    control.remove(resource!, id!);
    return reply.code(204).send();
  });
  app.post("/__sandbox/records/:resource/:id/:action", async (req) => {
    const { resource, id, action } = (req as Req).params;
    const r = resource!;
    const i = id!;
    if (action === "archive") return wire(req as Req, r, control.archive(r, i));
    if (action === "unarchive") return wire(req as Req, r, control.unarchive(r, i));
    if (action === "cancel") return wire(req as Req, r, control.cancel(r, i, body(req as Req)));
    throw new ControlError(`Unknown action "${action}" (use archive, unarchive or cancel)`, 404);
  });
}
