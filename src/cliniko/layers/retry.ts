/**
 * Retry policy: GET/PUT/PATCH/DELETE are retried on 429, 5xx and network errors (including
 * timeouts). A POST creates or archives something, so it is retried only when it certainly did not
 * reach Cliniko: connection refused, or a 429 (Cliniko refused it before doing anything). A POST
 * that timed out, lost its connection or got a 5xx surfaces `maybeSent: true` instead.
 * Backoff doubles from `baseDelayMs` with jitter; a 429 needs none (the limiter holds until reset).
 */
import { ClinikoError } from "../errors.ts";
import type { Clock } from "../rate-limit.ts";
import type { HttpMethod } from "../types.ts";
import type { DebugLogger, Layer } from "./types.ts";

export interface RetryOptions {
  /** Extra attempts after the first (default 3). */
  retries?: number;
  /** First backoff delay in ms (default 500); doubles each attempt, with jitter. */
  baseDelayMs?: number;
  /** Ceiling of one backoff delay in ms (default 30 000). */
  maxDelayMs?: number;
}

export function isRetriable(method: HttpMethod, error: ClinikoError): boolean {
  if (error.code === "rate_limited") return true;
  if (method === "POST") return error.code === "network" && !error.maybeSent;
  return error.code === "server" || error.code === "network" || error.code === "timeout";
}

export function retry(options: {
  policy: Required<RetryOptions>;
  clock: Clock;
  /** Random source for jitter (tests may pin it). */
  random?: () => number;
  logger?: DebugLogger;
}): Layer {
  const { policy, clock } = options;
  const random = options.random ?? Math.random;
  return (next) =>
    async function retried<T>(request: Parameters<typeof next>[0]) {
      for (let n = 0; ; n++) {
        try {
          return await next<T>(request);
        } catch (err) {
          if (n >= policy.retries || !(err instanceof ClinikoError) || !isRetriable(request.method, err)) throw err;
          if (err.code !== "rate_limited") {
            const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
            await clock.sleep(Math.round(ceiling / 2 + (random() * ceiling) / 2));
          }
          options.logger?.debug(
            { method: request.method, path: request.url.pathname, retry: n + 1, code: err.code },
            "cliniko retry",
          );
        }
      }
    };
}
