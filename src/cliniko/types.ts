/**
 * The client's public contract. `createClient` (client.ts) implements it; the catalogue, the
 * engine and the sandbox tests program against these types only.
 */
import type { ResourceName } from "./resources.ts";
import type { OperationSpec } from "./spec-types.ts";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** `q[]` operators Cliniko accepts (which ones fit a field depends on its type; see query.ts). */
export type FilterOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "~~" | "?" | "!?" | "*";

/** One `q[]=field:OPvalue` filter. A raw string (`"email:=a@b.c"`) is accepted too and parsed. */
export type Filter = { field: string; op: FilterOp; value?: string | number | boolean | (string | number)[] } | string;

export type QueryValue = string | number | boolean | undefined | null;

/** A Cliniko record as returned on the wire (ids are strings: they are int64). */
export type ClinikoRecord = Record<string, unknown> & { id?: string };

export interface RequestOptions {
  method: HttpMethod;
  /** Path below the base URL (`/patients/1`), or an absolute URL on the connection's own API host. */
  path: string;
  query?: Record<string, QueryValue>;
  q?: Filter[];
  /** `sort=field[:desc]`, comma-separated. */
  sort?: string;
  body?: unknown;
  signal?: AbortSignal;
}

export interface ClinikoResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for 204 / empty bodies. */
  body: T;
}

export interface ListOptions {
  q?: Filter[];
  sort?: string;
  page?: number;
  /** 1–100 (Cliniko's maximum); default 100 when paginating, 50 (Cliniko's default) for one page. */
  perPage?: number;
  /** Extra query parameters (e.g. `from`/`to` of available times). */
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

export interface ListPage<T = ClinikoRecord> {
  records: T[];
  totalEntries: number;
  /** Absolute URL of the next page; absent on the last page. */
  next?: string;
  /**
   * Cliniko's clock no later than when it read the listing (its `Date` header less the request's
   * time and the header's rounding to the second), when it sent one.
   */
  answeredAt?: number;
}

export interface ResourceClient {
  readonly name: ResourceName;
  list(options?: ListOptions): Promise<ListPage>;
  /** Every record of every page, following `links.next`; stops after `limit` records if given. */
  all(options?: ListOptions & { limit?: number }): AsyncIterable<ClinikoRecord>;
  get(id: string, options?: { q?: Filter[] }): Promise<ClinikoRecord>;
  create(body: Record<string, unknown>): Promise<ClinikoRecord>;
  update(id: string, body: Record<string, unknown>): Promise<ClinikoRecord>;
  archive(id: string): Promise<void>;
  unarchive(id: string): Promise<ClinikoRecord>;
  cancel(id: string, body: Record<string, unknown>): Promise<void>;
  delete(id: string): Promise<void>;
}

/** An operation of the catalogue: its spec (what actions and triggers hold), or its operationId. */
export type OperationRef = OperationSpec | string;

/** What `call` fills an operation with: path parameters, query parameters, `q[]`, sort and body. */
export interface CallArgs {
  /** Path parameters by name (`{ id: "12" }`); the client fills and checks them. */
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  /** Checked against the operation's own `q[]` table before anything is sent. */
  q?: Filter[];
  sort?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** What `pageOf`/`pagesOf` fill a list operation with. */
export interface PageArgs extends Omit<CallArgs, "body"> {
  page?: number;
  /** 1–100 (Cliniko's maximum); default 100 when walking pages, 50 (Cliniko's default) for one page. */
  perPage?: number;
}

export interface ClinikoClient {
  /** e.g. `https://api.au1.cliniko.com/v1` or a sandbox's `http://127.0.0.1:4010/v1`. */
  readonly baseUrl: string;
  readonly shard: string;
  /**
   * One request by path or URL through the pipeline (auth, User-Agent, rate limit, retries, typed
   * errors): for addresses that are not an operation, such as a record's URL or a `links.next`.
   * Everything the catalogue does goes through `call`, `pageOf` and `pagesOf` instead.
   */
  request<T = unknown>(options: RequestOptions): Promise<ClinikoResponse<T>>;
  /** One page of a list; `key` is the envelope key (defaults to the path's last collection segment). */
  listPage<T = ClinikoRecord>(path: string, options?: ListOptions & { key?: string }): Promise<ListPage<T>>;
  /** Every page, following `links.next` (only on the same host); for callers that need `totalEntries` or page counts. */
  pages<T = ClinikoRecord>(path: string, options?: ListOptions & { key?: string }): AsyncIterable<ListPage<T>>;
  /** Records of every page, following `links.next` (only on the same host). */
  paginate<T = ClinikoRecord>(path: string, options?: ListOptions & { key?: string; limit?: number }): AsyncIterable<T>;
  /**
   * Runs one operation: fills its path parameters (refusing missing or path-breaking values),
   * checks query parameters, sort and `q[]` against the operation's own tables, then sends it.
   */
  call<T = unknown>(op: OperationRef, args?: CallArgs): Promise<T>;
  /** One page of a list operation, checked like `call`. */
  pageOf<T = ClinikoRecord>(op: OperationRef, args?: PageArgs): Promise<ListPage<T>>;
  /** Every page of a list operation, following `links.next` (only on the same host). */
  pagesOf<T = ClinikoRecord>(op: OperationRef, args?: PageArgs): AsyncIterable<ListPage<T>>;
  /** The generic client of one catalogue resource. */
  resource(name: ResourceName): ResourceClient;
}
