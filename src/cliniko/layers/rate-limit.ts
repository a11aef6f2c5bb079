/**
 * Pacing: every attempt waits for a slot of the key's limiter (whose owner decides who shares it;
 * see engine/clients.ts), and a 429 holds the whole key until Cliniko's reset before the error
 * travels on (to the retry layer, which then tries again once the limiter lets it).
 */
import { ClinikoRateLimitError } from "../errors.ts";
import type { RateLimiter } from "../rate-limit.ts";
import type { Layer } from "./types.ts";

export function rateLimit(limiter: RateLimiter): Layer {
  return (next) =>
    async function paced<T>(request: Parameters<typeof next>[0]) {
      await limiter.acquire(request.signal);
      try {
        return await next<T>(request);
      } catch (err) {
        if (err instanceof ClinikoRateLimitError) await limiter.blockUntil(err.resetAt.getTime());
        throw err;
      }
    };
}
