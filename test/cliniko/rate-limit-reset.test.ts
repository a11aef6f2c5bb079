import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rateLimitReset } from "../../src/cliniko/http.ts";

const now = Date.parse("2026-11-27T12:00:00Z");
const headers = (h: Record<string, string>) => new Headers(h);

describe("rateLimitReset", () => {
  it("reads X-RateLimit-Reset as Unix seconds", () => {
    assert.equal(rateLimitReset(headers({ "X-RateLimit-Reset": String(now / 1000 + 42) }), now), now + 42_000);
  });

  it("caps a reset further than two minutes away (clock skew) instead of stalling the key", () => {
    const skewed = headers({ "X-RateLimit-Reset": String(now / 1000 + 3600) });
    assert.equal(rateLimitReset(skewed, now), now + 120_000);
  });

  it("falls back to Retry-After, then to Cliniko's one-minute window", () => {
    assert.equal(rateLimitReset(headers({ "Retry-After": "5" }), now), now + 5_000);
    assert.equal(rateLimitReset(headers({}), now), now + 60_000);
  });
});
