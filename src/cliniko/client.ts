/**
 * `createClient`: the Cliniko client every other layer uses. It wires the connection (regions),
 * the pipeline (http), the key's limiter (rate-limit), filter checks (query) and lists (paginate)
 * together. Callers name an operation (`call`, `pageOf`, `pagesOf`: a spec or an operationId) and
 * the client fills its path and checks its parameters and `q[]` against that operation; each
 * resource's methods are derived from the catalogue's operations the same way. `request` and the
 * path-based list helpers remain for addresses that are not an operation (a record URL, a next link).
 */
import type { lookup as dnsLookup } from "node:dns";
import { log } from "../log.ts";
import { type AllowList, allowListFromEnv } from "../net/address-policy.ts";
import { ClinikoConfigError, ClinikoFilterError, ClinikoUnsupportedError, pathOnly } from "./errors.ts";
import { createPipeline, type RetryOptions, type WireRequest } from "./http.ts";
import { checkBaseUrl } from "./network.ts";
import { envelopeKey, fetchPage, paginatePages, paginateRecords } from "./paginate.ts";
import { buildFilters, buildSort, buildUncheckedFilters } from "./query.ts";
import {
  type Clock,
  type LimiterRegistry,
  type RateLimiter,
  type RateLimitOptions,
  SlidingWindowLimiter,
  systemClock,
  UnlimitedLimiter,
} from "./rate-limit.ts";
import { resolveConnection } from "./regions.ts";
import { type OperationRole, type Resource, type ResourceName, resource as resourceOf } from "./resources.ts";
import { findOperation, type OperationSpec, operation as operationOf } from "./spec.ts";
import type {
  CallArgs,
  ClinikoClient,
  ClinikoRecord,
  ClinikoResponse,
  Filter,
  ListOptions,
  ListPage,
  OperationRef,
  PageArgs,
  QueryValue,
  RequestOptions,
  ResourceClient,
} from "./types.ts";

export interface ClientOptions {
  apiKey: string;
  /** Contact email sent in the User-Agent, as Cliniko requires. */
  email: string;
  /** AU1–AU5, CA1, UK1–UK3, EU1 (any case); must match the key's suffix. */
  region?: string | null;
  /** Full base URL override (sandbox, tests), e.g. `http://127.0.0.1:4010/v1`. */
  baseUrl?: string | null;
  /**
   * The address policy's exceptions the client connects under (default: CLINIKO_FLOW_HTTP_ALLOW
   * of the process environment). A base URL the policy refuses fails here, before any request.
   */
  network?: AllowList;
  /** The DNS lookup whose answers the policy checks (tests give a hostile one). */
  lookup?: typeof dnsLookup;
  /** Per-request timeout (default 30 000 ms). */
  timeoutMs?: number | null;
  retry?: RetryOptions;
  /**
   * Where the key's limiter comes from, so that every client on a key shares one budget: the
   * registry of whoever builds clients (engine/clients.ts). Without one, `rateLimit` decides.
   */
  limiters?: LimiterRegistry;
  /**
   * Without `limiters`: pacing options for a limiter of this client alone, a limiter instance
   * (e.g. a Redis-backed one), or `false` to not pace (a local sandbox, a one-off check).
   */
  rateLimit?: RateLimitOptions | RateLimiter | false;
  clock?: Clock;
  logger?: { child(bindings: Record<string, unknown>): { debug(obj: object, msg?: string): void } };
}

export interface ClinikoClientWithStats extends ClinikoClient {
  /** The key's limiter (its `stats()` feed metrics and benchmarks). */
  readonly limiter: RateLimiter;
  readonly email: string;
}

const EMAIL = /^[^\s@()<>,;:"\\]+@[^\s@()<>,;:"\\]+\.[^\s@()<>,;:"\\]+$/;
const PATH_PARAM = /^[A-Za-z0-9_-]+$/;

function isLimiter(value: unknown): value is RateLimiter {
  return typeof (value as RateLimiter | undefined)?.acquire === "function";
}

/** How filter messages name an endpoint: the resource's plural ("patients"), else the path. */
function nameOf(path: string): string {
  const root = path.split("/")[1] ?? "";
  return root ? root.replace(/_/g, " ") : path;
}

function checkPerPage(perPage: number | undefined): number | undefined {
  if (perPage === undefined) return undefined;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    throw new ClinikoFilterError(`per_page must be a whole number from 1 to 100, not ${perPage}.`);
  }
  return perPage;
}

/** Fills `{name}` path parameters, refusing missing or path-breaking values. */
function fillPath(op: OperationSpec, params: Record<string, string> = {}): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || String(value) === "") {
      throw new ClinikoConfigError(`The Cliniko operation ${op.operationId} needs a value for ${name}.`, {
        method: op.method,
        path: op.path,
      });
    }
    if (!PATH_PARAM.test(String(value))) {
      throw new ClinikoConfigError(`"${value}" is not a valid Cliniko id for ${name}.`, {
        method: op.method,
        path: op.path,
      });
    }
    return String(value);
  });
}

export function createClient(options: ClientOptions): ClinikoClientWithStats {
  const apiKey = options.apiKey?.trim() ?? "";
  if (!apiKey) throw new ClinikoConfigError("A Cliniko connection needs an API key.");
  if (/[\s:]/.test(apiKey) || /[^\x21-\x7e]/.test(apiKey)) {
    throw new ClinikoConfigError("The Cliniko API key contains spaces or characters an API key never has.");
  }
  const email = options.email?.trim() ?? "";
  if (!EMAIL.test(email)) {
    throw new ClinikoConfigError(
      // Echoed only when it has an @: a key pasted into the email field must not end up in a message.
      email.includes("@")
        ? `"${email}" does not look like an email address; Cliniko requires a contact email in every request.`
        : email
          ? "The contact email does not look like an email address; Cliniko requires one in every request."
          : "A Cliniko connection needs a contact email; Cliniko requires one in every request's User-Agent.",
    );
  }
  const { shard, baseUrl } = resolveConnection({ apiKey, region: options.region, baseUrl: options.baseUrl });
  const network = options.network ?? allowListFromEnv();
  checkBaseUrl(baseUrl, network);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(timeoutMs > 0)) throw new ClinikoConfigError("The Cliniko request timeout must be a positive number of ms.");
  const limiter = options.limiters
    ? options.limiters.forKey(apiKey)
    : isLimiter(options.rateLimit)
      ? options.rateLimit
      : options.rateLimit === false
        ? new UnlimitedLimiter({ clock })
        : new SlidingWindowLimiter({ ...options.rateLimit, clock });
  const logger = (options.logger ?? log).child({ module: "cliniko", shard });
  const send = createPipeline({
    baseUrl,
    apiKey,
    email,
    timeoutMs,
    network,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    retry: { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000, ...options.retry },
    limiter,
    clock,
    logger,
  });
  const basePath = new URL(baseUrl).pathname.replace(/\/$/, "");

  /** The API path of a relative path or absolute URL (`https://…/v1/patients?page=2` → `/patients`). */
  function apiPath(path: string): string {
    const p = pathOnly(path);
    return /^https?:\/\//i.test(path) && basePath && p.startsWith(basePath) ? p.slice(basePath.length) : p;
  }

  /**
   * Filters of a request by path or URL, checked against the q[] table of the operation serving
   * it when the path is one (a caller's own path); operations are checked in `prepare` instead.
   */
  function filtersFor(method: string, path: string, q: Filter[] | undefined): string[] {
    if (!q || q.length === 0) return [];
    const p = apiPath(path);
    const target = findOperation(method, p);
    return target ? buildFilters(q, target.filters, nameOf(p)) : buildUncheckedFilters(q);
  }

  async function request<T = unknown>(req: RequestOptions): Promise<ClinikoResponse<T>> {
    return send<T>({
      method: req.method,
      path: req.path,
      query: req.query,
      q: filtersFor(req.method, req.path, req.q),
      sort: buildSort(req.sort),
      body: req.body,
      signal: req.signal,
    });
  }

  function listRequest(path: string, opts: ListOptions, defaultPerPage?: number): WireRequest {
    const query: Record<string, QueryValue> = { ...opts.query };
    if (opts.page !== undefined) query.page = opts.page;
    const perPage = checkPerPage(opts.perPage) ?? defaultPerPage;
    if (perPage !== undefined) query.per_page = perPage;
    return {
      method: "GET",
      path,
      query,
      q: filtersFor("GET", path, opts.q),
      sort: buildSort(opts.sort),
      signal: opts.signal,
    };
  }

  function listPage<T = ClinikoRecord>(path: string, opts: ListOptions & { key?: string } = {}): Promise<ListPage<T>> {
    return fetchPage<T>(send, listRequest(path, opts), opts.key ?? envelopeKey(apiPath(path)));
  }

  function pages<T = ClinikoRecord>(
    path: string,
    opts: ListOptions & { key?: string } = {},
  ): AsyncIterable<ListPage<T>> {
    // Built lazily so a bad filter surfaces on iteration like any other request failure.
    return {
      [Symbol.asyncIterator]: () =>
        paginatePages<T>(send, listRequest(path, opts, 100), opts.key ?? envelopeKey(apiPath(path))),
    };
  }

  function paginate<T = ClinikoRecord>(
    path: string,
    opts: ListOptions & { key?: string; limit?: number } = {},
  ): AsyncIterable<T> {
    // Built lazily so a bad filter surfaces on iteration like any other request failure.
    return {
      [Symbol.asyncIterator]: () =>
        paginateRecords<T>(send, listRequest(path, opts, 100), opts.key ?? envelopeKey(apiPath(path)), opts.limit),
    };
  }

  /** The spec of an operation reference, or the "unsupported" error naming it. */
  function resolveOp(ref: OperationRef): OperationSpec {
    if (typeof ref !== "string") return ref;
    try {
      return operationOf(ref);
    } catch {
      throw new ClinikoUnsupportedError(`Cliniko has no operation called ${ref}.`);
    }
  }

  /** The wire request of an operation: path filled, query, sort and `q[]` checked against it. */
  function prepare(op: OperationSpec, args: CallArgs): WireRequest {
    const path = fillPath(op, args.params);
    const known = new Set(op.query.map((p) => p.name));
    const query = { ...args.query };
    for (const name of Object.keys(query)) {
      if (!known.has(name)) {
        const allowed = [...known];
        throw new ClinikoFilterError(
          allowed.length > 0
            ? `${op.method} ${op.path} does not take the parameter ${name}; it takes ${allowed.join(", ")}.`
            : `${op.method} ${op.path} does not take the parameter ${name}.`,
          { method: op.method, path: op.path, field: name, allowed },
        );
      }
    }
    for (const p of op.query) {
      if (p.required && (query[p.name] === undefined || query[p.name] === null || query[p.name] === "")) {
        throw new ClinikoFilterError(`${op.method} ${op.path} needs the parameter ${p.name}.`, {
          method: op.method,
          path: op.path,
          field: p.name,
        });
      }
    }
    if (query.per_page !== undefined) checkPerPage(Number(query.per_page));
    if (args.sort !== undefined && !known.has("sort")) {
      throw new ClinikoFilterError(`${op.method} ${op.path} cannot be sorted.`, { method: op.method, path: op.path });
    }
    return {
      method: op.method,
      path,
      query,
      // A list is named by what it lists ("practitioners" for /businesses/{id}/practitioners).
      q:
        args.q && args.q.length > 0
          ? buildFilters(
              args.q,
              op.filters,
              op.response.kind === "list" ? nameOf(`/${op.response.key}`) : nameOf(op.path),
            )
          : [],
      sort: buildSort(args.sort),
      body: args.body,
      signal: args.signal,
    };
  }

  /** A list operation's first-page request and its envelope key. */
  function listOf(ref: OperationRef, args: PageArgs, defaultPerPage?: number): { request: WireRequest; key: string } {
    const op = resolveOp(ref);
    if (op.response.kind !== "list") {
      throw new ClinikoUnsupportedError(`The Cliniko operation ${op.operationId} does not answer with a list.`);
    }
    const { page, perPage, ...rest } = args;
    const query: Record<string, QueryValue> = { ...rest.query };
    if (page !== undefined) query.page = page;
    const size = checkPerPage(perPage) ?? defaultPerPage;
    if (size !== undefined) query.per_page = size;
    return { request: prepare(op, { ...rest, query }), key: op.response.key };
  }

  async function call<T = unknown>(ref: OperationRef, args: CallArgs = {}): Promise<T> {
    const { body } = await send<T>(prepare(resolveOp(ref), args));
    return body;
  }

  async function pageOf<T = ClinikoRecord>(ref: OperationRef, args: PageArgs = {}): Promise<ListPage<T>> {
    const { request, key } = listOf(ref, args);
    return fetchPage<T>(send, request, key);
  }

  function pagesOf<T = ClinikoRecord>(ref: OperationRef, args: PageArgs = {}): AsyncIterable<ListPage<T>> {
    // Built lazily so a bad filter surfaces on iteration like any other request failure.
    return {
      [Symbol.asyncIterator]: () => {
        const { request, key } = listOf(ref, args, 100);
        return paginatePages<T>(send, request, key);
      },
    };
  }

  function resourceClient(name: ResourceName): ResourceClient {
    let r: Resource;
    try {
      r = resourceOf(name);
    } catch {
      throw new ClinikoUnsupportedError(`"${name}" is not a Cliniko resource this client knows.`);
    }
    const plural = r.name.replace(/_/g, " ");
    /** The operation of a role, or the "unsupported" error naming the resource. */
    const opFor = (role: OperationRole): OperationSpec => {
      const op = r.ops[role];
      if (!op) {
        throw new ClinikoUnsupportedError(
          `Cliniko's API cannot ${role} ${plural}; the ${r.name} resource has no ${role} operation.`,
        );
      }
      return op;
    };
    const run = async <T>(role: OperationRole, args: CallArgs) => call<T>(opFor(role), args);
    return {
      name: r.name,
      list: async (opts = {}) => {
        const { request, key } = listOf(opFor("list"), opts);
        return fetchPage(send, request, key);
      },
      all: (opts = {}) => ({
        [Symbol.asyncIterator]: () => {
          const { request, key } = listOf(opFor("list"), opts, 100);
          return paginateRecords<ClinikoRecord>(send, request, key, opts.limit);
        },
      }),
      get: (id, opts = {}) => run<ClinikoRecord>("get", { params: { id }, q: opts.q }),
      create: (body) => run<ClinikoRecord>("create", { body }),
      update: (id, body) => run<ClinikoRecord>("update", { params: { id }, body }),
      archive: async (id) => {
        await run("archive", { params: { id } });
      },
      unarchive: (id) => run<ClinikoRecord>("unarchive", { params: { id } }),
      cancel: async (id, body) => {
        await run("cancel", { params: { id }, body });
      },
      delete: async (id) => {
        await run("delete", { params: { id } });
      },
    };
  }

  return {
    baseUrl,
    shard,
    email,
    limiter,
    request,
    listPage,
    pages,
    paginate,
    call,
    pageOf,
    pagesOf,
    resource: resourceClient,
  };
}
