/**
 * The one request pipeline to Cliniko, on undici's request with keep-alive, composed here from small layers
 * (layers/, each wrapping `next(request)` like octokit's hooks), outermost first:
 *
 *   redirectGuard  the connection's own origin only; redirects never followed
 *   retry          GET/PUT/PATCH/DELETE on 429/5xx/network; POST only when it surely did not land
 *   rateLimit      waits for the key's limiter; a 429 holds the key until Cliniko's reset
 *   mapErrors      status and text → JSON or a typed ClinikoError; network trouble explained
 *   authHeaders    Basic auth, User-Agent with the contact email, Accept
 *   httpTransport  one request (keep-alive undici) with the per-request timeout, through an agent
 *                  that connects only where the address policy allows (network.ts)
 *
 * The client (client.ts) validates filters and fills paths before a request reaches `send`.
 */
import type { lookup as dnsLookup } from "node:dns";
import type { AllowList } from "../net/address-policy.ts";
import { ClinikoConfigError, pathOnly } from "./errors.ts";
import { authHeaders } from "./layers/auth.ts";
import { mapErrors } from "./layers/errors.ts";
import { rateLimit } from "./layers/rate-limit.ts";
import { redirectGuard } from "./layers/redirect-guard.ts";
import { type RetryOptions, retry } from "./layers/retry.ts";
import { httpTransport, KEEP_ALIVE } from "./layers/transport.ts";
import { compose, type DebugLogger } from "./layers/types.ts";
import { clinikoAgent } from "./network.ts";
import { encodeQuery } from "./query.ts";
import type { Clock, RateLimiter } from "./rate-limit.ts";
import type { ClinikoResponse, HttpMethod, QueryValue } from "./types.ts";

export { rateLimitReset } from "./layers/errors.ts";
export type { RetryOptions } from "./layers/retry.ts";

export interface PipelineOptions {
  baseUrl: string;
  apiKey: string;
  email: string;
  timeoutMs: number;
  /** Where requests may connect: the address policy's exceptions (CLINIKO_FLOW_HTTP_ALLOW). */
  network: AllowList;
  /** The DNS lookup whose answers the policy checks (default: the system's; tests give a hostile one). */
  lookup?: typeof dnsLookup;
  retry: Required<RetryOptions>;
  limiter: RateLimiter;
  clock: Clock;
  logger?: DebugLogger;
  /** Random source for jitter (tests may pin it). */
  random?: () => number;
}

/** A request whose query is already encoded (the client validates filters before this point). */
export interface WireRequest {
  method: HttpMethod;
  /** Path below the base URL, or an absolute URL (the redirect guard keeps it on the base URL's origin). */
  path: string;
  query?: Record<string, QueryValue>;
  q?: string[];
  sort?: string;
  body?: unknown;
  signal?: AbortSignal;
}

export type Send = <T = unknown>(request: WireRequest) => Promise<ClinikoResponse<T>>;

/** Builds the absolute URL of a path below the base URL, or of an absolute URL (a `links.next`). */
export function resolveUrl(baseUrl: string, request: Pick<WireRequest, "path" | "query" | "q" | "sort">): URL {
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(request.path)) {
    try {
      url = new URL(request.path);
    } catch {
      throw new ClinikoConfigError("The Cliniko link to follow is not a valid URL.");
    }
  } else {
    if (!request.path.startsWith("/")) {
      throw new ClinikoConfigError(`A Cliniko path must start with "/", not "${pathOnly(request.path)}".`);
    }
    url = new URL(`${baseUrl}${request.path}`);
  }
  const extra = encodeQuery(request.query, request.q, request.sort);
  if (extra) url.search = url.search ? `${url.search}&${extra}` : `?${extra}`;
  return url;
}

export function createPipeline(options: PipelineOptions): Send {
  const { apiKey, clock, logger } = options;
  const dispatcher = clinikoAgent(options.network, KEEP_ALIVE, options.lookup);
  const wire = authHeaders({ apiKey, email: options.email })(
    httpTransport({ timeoutMs: options.timeoutMs, dispatcher }),
  );
  const handle = compose(
    mapErrors({ apiKey, timeoutMs: options.timeoutMs, clock, logger })(wire),
    redirectGuard({ baseUrl: options.baseUrl }),
    retry({ policy: options.retry, clock, random: options.random, logger }),
    rateLimit(options.limiter),
  );
  return function send<T>(request: WireRequest): Promise<ClinikoResponse<T>> {
    let url: URL;
    try {
      url = resolveUrl(options.baseUrl, request);
    } catch (err) {
      return Promise.reject(err);
    }
    return handle<T>({ method: request.method, url, headers: {}, body: request.body, signal: request.signal });
  };
}
