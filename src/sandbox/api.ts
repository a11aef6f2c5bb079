/**
 * The `/v1` API, generated from the catalogue: every operation of `spec.operations` that belongs
 * to a catalogue resource (plus `GET /user`) becomes a route whose handler is chosen by the
 * operation's shape — list, get, create, update, archive, unarchive, cancel, delete. Only where
 * Cliniko's semantics differ is there a custom piece: the scopes of nested and variant lists
 * (`/practitioners/inactive`, `/patient_cases/{id}/invoices`, ...), bookings (a union of
 * appointments and unavailable blocks), cancel, and available times.
 */
import { type OperationRole, type Resource, resources, schemaFields } from "../cliniko/resources.ts";
import { type OperationSpec, spec } from "../cliniko/spec.ts";
import { availableTimes, nextAvailableTime } from "./available-times.ts";
import { isoSeconds } from "./clock.ts";
import { computedHandler } from "./computed.ts";
import { BOOKING_KINDS } from "./model.ts";
import {
  compareValues,
  matchesFilter,
  type ParsedFilter,
  parseFilter,
  parsePaging,
  parseSort,
  QueryError,
} from "./query.ts";
import { computedFields, fieldValue, isHidden, newRowValues, render } from "./records.ts";
import { checkRule, repeatsOf } from "./repeats.ts";
import type { Row, SandboxStore } from "./store.ts";
import { ValidationError, validateBody } from "./validate.ts";

export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly status = 404;
}

export interface ApiRequest {
  params: Record<string, string>;
  search: URLSearchParams;
  body: unknown;
  /** `http://host:port/v1`: every link is absolute on the host the client called. */
  base: string;
  /** Path below the base (`/patients`), for `links.self`. */
  path: string;
  apiKey: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

export interface ApiContext {
  store: SandboxStore;
  /** The user who owns an API key (`GET /user`). */
  userIdForKey(apiKey: string): string | undefined;
}

export interface RouteDef {
  op: OperationSpec;
  kind: OperationRole | "scoped-list" | "available-times" | "next-available-time" | "user" | "computed";
  /** Collection whose rows the route serves. */
  collection: string;
  handle(req: ApiRequest): ApiResponse;
}

/** One item of a list: the row and the collection it lives in (bookings mix three). */
interface Item {
  kind: string;
  row: Row;
}

type Scope = (req: ApiRequest, store: SandboxStore) => (item: Item) => boolean;

const includes = (list: unknown, id: string) => Array.isArray(list) && list.map(String).includes(id);
const isActive = (row: Row) => row.active !== false;

/** Which rows a nested or variant list returns (the parent's existence is checked generically). */
const SCOPES: Record<string, Scope> = {
  "/practitioners": () => (i) => isActive(i.row),
  "/practitioners/inactive": () => (i) => !isActive(i.row),
  "/businesses/{business_id}/practitioners": (r) => (i) =>
    isActive(i.row) && includes(i.row.business_ids, r.params.business_id!),
  "/businesses/{business_id}/practitioners/inactive": (r) => (i) =>
    !isActive(i.row) && includes(i.row.business_ids, r.params.business_id!),
  "/appointment_types/{appointment_type_id}/practitioners": (r, s) => {
    const type = s.get("appointment_types", r.params.appointment_type_id!);
    return (i) => isActive(i.row) && includes(type?.practitioner_ids, i.row.id);
  },
  "/appointment_types/{appointment_type_id}/practitioners/inactive": (r, s) => {
    const type = s.get("appointment_types", r.params.appointment_type_id!);
    return (i) => !isActive(i.row) && includes(type?.practitioner_ids, i.row.id);
  },
  "/practitioners/{practitioner_id}/appointment_types": (r) => (i) =>
    includes(i.row.practitioner_ids, r.params.practitioner_id!),
  // Active: neither closed nor past its expiry date (the day it expires still counts).
  "/patient_cases/active": (_r, s) => {
    const today = s.clock.iso().slice(0, 10);
    return (i) =>
      i.row.closed !== true &&
      i.row.closed_at == null &&
      (typeof i.row.expiry_date !== "string" || i.row.expiry_date.slice(0, 10) >= today);
  },
  "/group_appointments/{group_appointment_id}/attendees": (r) => (i) =>
    i.row.booking_id === r.params.group_appointment_id,
  "/individual_appointments/{individual_appointment_id}/attendees": (r) => (i) =>
    i.row.booking_id === r.params.individual_appointment_id,
};

/** Default scope of `/{parent}/{x_id}/{child}`: the child's stored `x_id` equals the parameter. */
function parentScope(op: OperationSpec): Scope | undefined {
  const param = op.pathParams[0];
  if (!param) return undefined;
  return (r) => (i) => String(i.row[param] ?? "") === r.params[param];
}

/** The record a path's first parameter names (`/patients/{patient_id}/...` → that patient). */
function parentExists(op: OperationSpec, req: ApiRequest, store: SandboxStore): boolean {
  const [, root, param] = op.path.split("/");
  const key = /^\{(.+)\}$/.exec(param ?? "")?.[1];
  if (!root || !key) return true;
  const id = req.params[key]!;
  if (root === "appointments" || root === "bookings") return store.booking(id) !== undefined;
  return store.has(root) ? store.get(root, id) !== undefined : true;
}

function rowsOf(store: SandboxStore, collection: string): Item[] {
  const kinds = collection === "bookings" ? BOOKING_KINDS : [collection];
  return kinds.flatMap((kind) => store.rows(kind).map((row) => ({ kind, row })));
}

function findItem(store: SandboxStore, collection: string, id: string): Item | undefined {
  if (collection === "bookings") {
    const b = store.booking(id);
    return b && { kind: b.kind, row: b.row };
  }
  const row = store.get(collection, id);
  return row && { kind: collection, row };
}

function notFound(label: string, id: string): NotFoundError {
  return new NotFoundError(`Not found: no ${label} with id ${id}`);
}

function filtersOf(req: ApiRequest, op: OperationSpec): ParsedFilter[] {
  const raw = req.search.getAll("q[]");
  if (raw.length && !op.filters) throw new QueryError(`${op.path} does not accept q[] filters`);
  return raw.map((r) => parseFilter(r, op.filters ?? {}));
}

function pageUrl(req: ApiRequest, page: number): string {
  const q = new URLSearchParams(req.search);
  q.set("page", String(page));
  return `${req.base}${req.path}?${q.toString()}`;
}

function listHandler(ctx: ApiContext, op: OperationSpec, collection: string, scope?: Scope) {
  const resource = resources[collection as keyof typeof resources] as Resource;
  const sortable = new Set([...Object.keys(resource.fields), ...Object.keys(op.filters ?? {})]);
  return (req: ApiRequest): ApiResponse => {
    const { store } = ctx;
    if (!parentExists(op, req, store)) throw new NotFoundError("Not found");
    const filters = filtersOf(req, op);
    const sort = parseSort(req.search.get("sort") ?? undefined, req.search.get("order") ?? undefined, sortable);
    const { page, perPage } = parsePaging(req.search.get("page") ?? undefined, req.search.get("per_page") ?? undefined);
    const revealed = new Set(filters.map((f) => f.field));
    const inScope = scope?.(req, store) ?? (() => true);
    const value = (i: Item, field: string) => fieldValue(store, i.kind, i.row, field);
    const matching = rowsOf(store, collection).filter(
      (i) => inScope(i) && !isHidden(i.row, revealed) && filters.every((f) => matchesFilter(f, value(i, f.field))),
    );
    matching.sort((a, b) => {
      for (const k of sort) {
        const c = compareValues(value(a, k.field), value(b, k.field));
        if (c !== 0) return k.desc ? -c : c;
      }
      return 0;
    });
    const start = (page - 1) * perPage;
    const records = matching.slice(start, start + perPage).map((i) => render(store, i.kind, i.row, req.base));
    const links: Record<string, string> = { self: pageUrl(req, page) };
    if (start + perPage < matching.length) links.next = pageUrl(req, page + 1);
    if (page > 1) links.previous = pageUrl(req, page - 1);
    const key = op.response.kind === "list" ? op.response.key : collection;
    return { status: 200, body: { [key]: records, total_entries: matching.length, links } };
  };
}

function member(ctx: ApiContext, collection: string, req: ApiRequest): Item {
  const id = req.params.id!;
  const item = findItem(ctx.store, collection, id);
  if (!item) throw notFound(resources[collection as keyof typeof resources]?.label ?? collection, id);
  return item;
}

/** Fields that must hold a value when present in an update (the create's required fields). */
function checkNotBlanked(resource: Resource, body: Record<string, unknown>): void {
  const errors: Record<string, string> = {};
  for (const f of resource.requiredOnCreate) {
    if (!(f in body)) continue;
    const v = body[f];
    if (v === null || (typeof v === "string" && v.trim() === "")) errors[f] = "can't be blank";
  }
  if (Object.keys(errors).length) throw new ValidationError(errors, `${Object.keys(errors)[0]} can't be blank`);
}

function checkTimes(row: Record<string, unknown>): void {
  if (typeof row.starts_at === "string" && typeof row.ends_at === "string" && row.ends_at <= row.starts_at)
    throw new ValidationError({ ends_at: "must be after starts_at" }, "ends_at must be after starts_at");
}

/** Side effects Cliniko applies to related records. */
function afterWrite(store: SandboxStore, collection: string, row: Row, created: boolean): void {
  Object.assign(row, computedFields(store, collection, row));
  // Cliniko stamps the moment a note stops being a draft (Treatment Note Finalised polls for it).
  if (collection === "treatment_notes" && row.draft === false && row.finalized_at == null)
    row.finalized_at = row.updated_at;
  // A patient form's write-only `completed` flag sets or clears its completed_at (Patient Form Completed).
  if (collection === "patient_forms" && "completed" in row) {
    if (row.completed === true && row.completed_at == null) row.completed_at = row.updated_at;
    if (row.completed === false) row.completed_at = null;
    delete row.completed;
  }
  if (created && collection === "individual_appointments") {
    // Every appointment has an attendee row in Cliniko (the `/attendees` list shows them).
    store.insert("attendees", {
      ...newRowValues("attendees", {}),
      booking_id: row.id,
      patient_id: row.patient_id,
      patient_case_id: row.patient_case_id ?? null,
      created_at: row.created_at,
      updated_at: row.updated_at,
    });
  }
  if (created && (collection === "individual_appointments" || collection === "attendees")) {
    const patient = store.get("patients", String(row.patient_id));
    if (patient) patient.latest_booking_id = collection === "attendees" ? row.booking_id : row.id;
  }
}

/**
 * Fields Cliniko fills from the appointment type when a create leaves them out (or an update sets
 * `ends_at` to null): `ends_at` from its duration, a group's `max_attendees` from the type's.
 */
const FROM_APPOINTMENT_TYPE: Record<string, readonly string[]> = {
  individual_appointments: ["ends_at"],
  group_appointments: ["ends_at", "max_attendees"],
};

function fillFromType(store: SandboxStore, collection: string, row: Record<string, unknown>): void {
  const fields = FROM_APPOINTMENT_TYPE[collection];
  const type = fields && store.get("appointment_types", String(row.appointment_type_id));
  if (!fields || !type) return;
  if (fields.includes("ends_at") && row.ends_at == null && typeof row.starts_at === "string") {
    const minutes = Number(type.duration_in_minutes) || 30;
    row.ends_at = isoSeconds(Date.parse(row.starts_at) + minutes * 60_000);
  }
  if (fields.includes("max_attendees") && row.max_attendees == null) row.max_attendees = type.max_attendees ?? null;
}

/** Collections whose repeat rule Cliniko expands into records pointing back with `repeated_from_id`. */
const EXPANDS_REPEATS = new Set(["individual_appointments", "group_appointments", "unavailable_blocks"]);

function createHandler(ctx: ApiContext, op: OperationSpec, resource: Resource) {
  const fields = op.body ? schemaFields(op.body) : {};
  const derivable = FROM_APPOINTMENT_TYPE[resource.name] ?? [];
  const required = resource.requiredOnCreate.filter((f) => !derivable.includes(f));
  return (req: ApiRequest): ApiResponse => {
    const { store } = ctx;
    const body = validateBody(req.body, { resource: resource.name, fields, required, store });
    fillFromType(store, resource.name, body);
    checkTimes(body);
    checkRule(body.repeat_rule);
    if (resource.name === "attendees") {
      const booking = store.get("group_appointments", String(body.booking_id));
      if (!booking)
        throw new ValidationError(
          { booking_id: "must be a group appointment" },
          "booking_id must be a group appointment",
        );
    }
    const row = store.insert(resource.name, newRowValues(resource.name, body));
    afterWrite(store, resource.name, row, true);
    if (EXPANDS_REPEATS.has(resource.name)) {
      for (const occurrence of repeatsOf(row)) {
        const copy = store.insert(resource.name, {
          ...newRowValues(resource.name, body),
          ...occurrence,
          repeated_from_id: row.id,
        });
        afterWrite(store, resource.name, copy, true);
      }
      // The patient's latest booking stays the one just made, not its last repeat.
      const patient = resource.name === "individual_appointments" && store.get("patients", String(row.patient_id));
      if (patient) patient.latest_booking_id = row.id;
    }
    return { status: 201, body: render(store, resource.name, row, req.base) };
  };
}

function updateHandler(ctx: ApiContext, op: OperationSpec, resource: Resource) {
  const fields = op.body ? schemaFields(op.body) : {};
  return (req: ApiRequest): ApiResponse => {
    const { store } = ctx;
    const { row } = member(ctx, resource.name, req);
    // `ends_at: null` asks Cliniko to recompute it from the appointment type.
    const raw = req.body as Record<string, unknown> | undefined;
    const recompute = FROM_APPOINTMENT_TYPE[resource.name] !== undefined && raw?.ends_at === null;
    const input = recompute ? { ...raw, ends_at: undefined } : req.body;
    const body = validateBody(input, { resource: resource.name, fields, store });
    checkNotBlanked(resource, body);
    if (recompute) {
      const merged = { ...row, ...body, ends_at: null };
      fillFromType(store, resource.name, merged);
      body.ends_at = merged.ends_at;
    }
    checkTimes({ ...row, ...body });
    checkRule(body.repeat_rule);
    const updated = store.update(resource.name, row.id, body);
    const before = JSON.stringify(updated);
    afterWrite(store, resource.name, updated, false);
    if (JSON.stringify(updated) !== before) store.onChange();
    return { status: 200, body: render(store, resource.name, updated, req.base) };
  };
}

function cancelHandler(ctx: ApiContext, op: OperationSpec, resource: Resource) {
  const fields = op.body ? schemaFields(op.body) : {};
  return (req: ApiRequest): ApiResponse => {
    const { store } = ctx;
    const { row } = member(ctx, resource.name, req);
    const body = validateBody(req.body, { resource: resource.name, fields, required: ["cancellation_reason"], store });
    if (resource.name === "attendees" && !store.get("group_appointments", String(row.booking_id)))
      throw new ValidationError(
        { base: "only attendees of group appointments are cancelled here; cancel the individual appointment instead" },
        "Only attendees of group appointments can be cancelled",
      );
    cancelRow(store, resource.name, row.id, body);
    if (body.apply_to_repeats === true)
      for (const id of laterRepeats(store, resource.name, row)) cancelRow(store, resource.name, id, body);
    return { status: 204 };
  };
}

/** A booking's series: the first booking and every booking repeated from it. */
function seriesOf(store: SandboxStore, collection: string, booking: Row): Row[] {
  const root = String(booking.repeated_from_id ?? booking.id);
  return store.rows(collection).filter((r) => r.id === root || String(r.repeated_from_id ?? "") === root);
}

/**
 * What `apply_to_repeats` also cancels: the live bookings of the same series that start after this
 * one (for an attendee, the same patient's attendances of those group appointments).
 */
function laterRepeats(store: SandboxStore, collection: string, row: Row): string[] {
  const live = (r: Row) => r.cancelled_at == null && r.archived_at == null;
  if (collection === "attendees") {
    const booking = store.get("group_appointments", String(row.booking_id));
    if (!booking) return [];
    const later = new Set(
      seriesOf(store, "group_appointments", booking)
        .filter((b) => String(b.starts_at) > String(booking.starts_at))
        .map((b) => b.id),
    );
    return store
      .rows("attendees")
      .filter((a) => live(a) && a.patient_id === row.patient_id && later.has(String(a.booking_id)))
      .map((a) => a.id);
  }
  return seriesOf(store, collection, row)
    .filter((r) => live(r) && String(r.starts_at) > String(row.starts_at))
    .map((r) => r.id);
}

/** Cancels a row (and an individual appointment's attendee with it). */
export function cancelRow(store: SandboxStore, collection: string, id: string, body: Record<string, unknown>): void {
  const patch = {
    cancelled_at: store.clock.iso(),
    cancellation_reason: body.cancellation_reason ?? 50,
    cancellation_note: body.cancellation_note ?? null,
  };
  const row = store.update(collection, id, patch, { touch: true });
  Object.assign(row, computedFields(store, collection, row));
  if (collection === "individual_appointments") {
    for (const a of store.rows("attendees")) {
      if (a.booking_id === id && a.cancelled_at == null) {
        store.update("attendees", a.id, patch, { touch: true });
        Object.assign(a, computedFields(store, "attendees", a));
      }
    }
  }
}

export function setArchived(store: SandboxStore, collection: string, id: string, archived: boolean): Row {
  const row = store.get(collection, id)!;
  if ((row.archived_at != null) === archived) return row;
  return store.update(collection, id, { archived_at: archived ? store.clock.iso() : null }, { touch: true });
}

function handlerFor(ctx: ApiContext, op: OperationSpec, resource: Resource, role: OperationRole): RouteDef["handle"] {
  switch (role) {
    case "list":
      return listHandler(ctx, op, resource.name, SCOPES[op.path]);
    case "get":
      return (req) => {
        filtersOf(req, op); // accepted (and checked); a record is found whatever its state
        const item = member(ctx, resource.name, req);
        return { status: 200, body: render(ctx.store, item.kind, item.row, req.base) };
      };
    case "create":
      return createHandler(ctx, op, resource);
    case "update":
      return updateHandler(ctx, op, resource);
    case "archive":
      return (req) => {
        setArchived(ctx.store, resource.name, member(ctx, resource.name, req).row.id, true);
        return { status: 204 };
      };
    case "unarchive":
      return (req) => {
        const row = setArchived(ctx.store, resource.name, member(ctx, resource.name, req).row.id, false);
        return { status: 200, body: render(ctx.store, resource.name, row, req.base) };
      };
    case "cancel":
      return cancelHandler(ctx, op, resource);
    case "delete":
      return (req) => {
        ctx.store.remove(resource.name, member(ctx, resource.name, req).row.id);
        return { status: 204 };
      };
  }
}

/** The role of an operation by its shape; deprecated DELETE aliases archive (or delete for real). */
function roleOf(op: OperationSpec, resource: Resource): OperationRole | "scoped-list" | undefined {
  for (const [role, canonical] of Object.entries(resource.ops)) if (canonical === op) return role as OperationRole;
  if (op.method === "DELETE" && op.path === resource.memberPath)
    return resource.removal === "delete" ? "delete" : "archive";
  if (op.method === "GET" && op.response.kind === "list") return "scoped-list";
  return undefined;
}

/** Every route of the sandbox's `/v1`, generated from the catalogue. */
export function buildRoutes(ctx: ApiContext): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const op of spec.operations) {
    if (op.path === "/user") {
      routes.push({
        op,
        kind: "user",
        collection: "users",
        handle: (req) => {
          const id = ctx.userIdForKey(req.apiKey);
          const row = id ? ctx.store.get("users", id) : undefined;
          if (!row) throw new NotFoundError("Not found: this API key has no user in the sandbox");
          return { status: 200, body: render(ctx.store, "users", row, req.base) };
        },
      });
      continue;
    }
    if (op.path.endsWith("/available_times")) {
      routes.push({
        op,
        kind: "available-times",
        collection: "available_times",
        handle: (req) => availableTimes(ctx.store, req),
      });
      continue;
    }
    if (op.path.endsWith("/next_available_time")) {
      routes.push({
        op,
        kind: "next-available-time",
        collection: "available_times",
        handle: (req) => nextAvailableTime(ctx.store, req),
      });
      continue;
    }
    const listKey = op.response.kind === "list" ? op.response.key : undefined;
    const root = op.path.split("/")[1]!;
    const resource = (resources as Record<string, Resource>)[root];
    const listed = listKey ? (resources as Record<string, Resource>)[listKey] : undefined;
    if (resource) {
      const role = roleOf(op, resource);
      if (role === "scoped-list") {
        if (!listed) {
          // A list of something Cliniko computes (`/businesses/{business_id}/services`).
          if (!op.deprecated)
            routes.push({ op, kind: "computed", collection: root, handle: computedHandler(ctx.store, op) });
          continue;
        }
        routes.push({
          op,
          kind: role,
          collection: listed.name,
          handle: listHandler(ctx, op, listed.name, SCOPES[op.path] ?? parentScope(op)),
        });
      } else if (role) {
        routes.push({ op, kind: role, collection: resource.name, handle: handlerFor(ctx, op, resource, role) });
      } else if (!op.deprecated) {
        routes.push({ op, kind: "computed", collection: root, handle: computedHandler(ctx.store, op) });
      }
    } else if (listed && op.method === "GET") {
      // Lists under a parent the catalogue does not hold (`/appointments/{appointment_id}/invoices`).
      routes.push({
        op,
        kind: "scoped-list",
        collection: listed.name,
        handle: listHandler(ctx, op, listed.name, parentScope(op)),
      });
    } else if (!op.deprecated) {
      // Answers Cliniko computes under no resource of ours (`/settings`, `/services`).
      routes.push({ op, kind: "computed", collection: root, handle: computedHandler(ctx.store, op) });
    }
  }
  return routes;
}
