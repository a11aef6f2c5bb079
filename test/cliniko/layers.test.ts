/**
 * Each layer of the Cliniko pipeline on its own, over a real local HTTP server: the transport
 * alone, then one layer at a time on top of it, so a layer's job is proven without the others.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Agent } from "undici";
import {
  ClinikoConfigError,
  ClinikoError,
  ClinikoHttpError,
  ClinikoNetworkError,
  ClinikoNotFoundError,
  ClinikoRateLimitError,
  ClinikoServerError,
} from "../../src/cliniko/errors.ts";
import { authHeaders } from "../../src/cliniko/layers/auth.ts";
import { mapErrors } from "../../src/cliniko/layers/errors.ts";
import { rateLimit } from "../../src/cliniko/layers/rate-limit.ts";
import { redirectGuard } from "../../src/cliniko/layers/redirect-guard.ts";
import { retry } from "../../src/cliniko/layers/retry.ts";
import { httpTransport } from "../../src/cliniko/layers/transport.ts";
import { compose, type PipelineRequest, TransportError } from "../../src/cliniko/layers/types.ts";
import { SlidingWindowLimiter, systemClock } from "../../src/cliniko/rate-limit.ts";
import { FakeClock } from "./support/fake-clock.ts";
import { json, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

// The transport alone, on a plain agent (the guarded one is network.ts's, tested in ssrf.test.ts).
const dispatcher = new Agent();
const transport = httpTransport({ timeoutMs: 1_000, dispatcher });
const typed = () => mapErrors({ apiKey: "secret-key-au1", timeoutMs: 1_000, clock: systemClock })(transport);
const req = (path: string, extra: Partial<PipelineRequest> = {}): PipelineRequest => ({
  method: "GET",
  url: new URL(`${server.baseUrl}${path}`),
  headers: {},
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

describe("transport", () => {
  it("sends one request with a JSON body and returns status and text, nothing more", async () => {
    server.handle((_r, res) => json(res, 404, { errors: "x" }));
    const raw = await transport(req("/patients", { method: "POST", body: { a: 1 } }));
    assert.equal(raw.status, 404, "statuses are not errors at this level");
    assert.equal(raw.text, '{"errors":"x"}');
    assert.equal(server.requests[0]?.body, '{"a":1}');
    assert.equal(server.requests[0]?.headers["content-type"], "application/json");
    assert.equal(server.requests[0]?.headers.authorization, undefined, "no auth below the auth layer");
  });

  it("reports a timeout as a TransportError, and the caller's abort as the caller's reason", async () => {
    server.handle(() => undefined); // never answers
    const err = await rejection(httpTransport({ timeoutMs: 50, dispatcher })(req("/slow")));
    assert.ok(err instanceof TransportError && err.timedOut);
    const stop = new AbortController();
    const pending = transport(req("/slow", { signal: stop.signal }));
    stop.abort(new Error("mine"));
    assert.match(String(await rejection(pending)), /mine/);
  });
});

describe("auth and headers layer", () => {
  it("adds Basic auth (key, empty password), User-Agent with the email and Accept", async () => {
    server.handle((_r, res) => json(res, 200, {}));
    await authHeaders({ apiKey: "k-au1", email: "ops@clinic.example" })(transport)(req("/user"));
    const h = server.requests[0]!.headers;
    assert.equal(h.authorization, `Basic ${Buffer.from("k-au1:").toString("base64")}`);
    assert.equal(h["user-agent"], "cliniko-flow (ops@clinic.example)");
    assert.equal(h.accept, "application/json");
  });
});

describe("error-mapping layer", () => {
  it("parses JSON answers and maps statuses to typed errors, scrubbing the key from details", async () => {
    server.handle((r, res) =>
      r.path.endsWith("/ok") ? json(res, 200, { id: "1" }) : json(res, 404, { echo: "secret-key-au1" }),
    );
    assert.deepEqual((await typed()(req("/ok"))).body, { id: "1" });
    const err = await rejection(typed()(req("/patients/9")));
    assert.ok(err instanceof ClinikoNotFoundError);
    assert.equal(err.path, "/v1/patients/9");
    assert.doesNotMatch(JSON.stringify(err.detail), /secret-key/);
  });

  it("refuses a 2xx that is not JSON, and explains a refused connection as not sent", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>");
    });
    assert.ok((await rejection(typed()(req("/x")))) instanceof ClinikoHttpError);
    const closed = await startServer();
    const url = new URL(`${closed.baseUrl}/user`);
    await closed.close();
    const err = await rejection(typed()({ method: "POST", url, headers: {} }));
    assert.ok(err instanceof ClinikoNetworkError);
    assert.equal(err.maybeSent, false);
  });

  it("gives a 429 its reset time", async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    server.handle((_r, res) => json(res, 429, {}, { "X-RateLimit-Reset": String(reset) }));
    const err = await rejection(typed()(req("/user")));
    assert.ok(err instanceof ClinikoRateLimitError);
    assert.equal(err.resetAt.getTime(), reset * 1000);
  });
});

describe("retry layer", () => {
  const fastRetry = retry({ policy: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 }, clock: systemClock });

  it("retries a GET on 5xx until it succeeds, and gives up after the policy's retries", async () => {
    server.handle((_r, res, n) => (n < 3 ? json(res, 503, {}) : json(res, 200, { ok: true })));
    assert.deepEqual((await compose(typed(), fastRetry)(req("/user"))).body, { ok: true });
    assert.equal(server.requests.length, 3);
    server.handle((_r, res) => json(res, 503, {}));
    assert.ok((await rejection(compose(typed(), fastRetry)(req("/user")))) instanceof ClinikoServerError);
    assert.equal(server.requests.length, 3, "1 attempt + 2 retries");
  });

  it("never repeats a POST that may have landed (5xx), but does repeat it after a 429", async () => {
    server.handle((_r, res) => json(res, 500, {}));
    const err = await rejection(compose(typed(), fastRetry)(req("/patients", { method: "POST", body: {} })));
    assert.ok(err instanceof ClinikoError && err.maybeSent);
    assert.equal(server.requests.length, 1);
    const past = String(Math.floor(Date.now() / 1000) - 1);
    server.handle((_r, res, n) => (n === 1 ? json(res, 429, {}, { "X-RateLimit-Reset": past }) : json(res, 201, {})));
    assert.equal((await compose(typed(), fastRetry)(req("/patients", { method: "POST", body: {} }))).status, 201);
    assert.equal(server.requests.length, 2);
  });
});

describe("rate-limit layer", () => {
  it("waits for the limiter before each attempt, and holds the key until a 429's reset", async () => {
    const clock = new FakeClock(Date.now());
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, marginMs: 0, clock });
    const paced = compose(typed(), rateLimit(limiter));
    server.handle((_r, res) => json(res, 200, {}));
    await paced(req("/a"));
    const second = paced(req("/b"));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.requests.length, 1, "the second waits for the window");
    await clock.advance(1_000);
    await second;
    assert.equal(server.requests.length, 2);
    const reset = Math.floor(clock.now() / 1000) + 20;
    server.handle((_r, res) => json(res, 429, {}, { "X-RateLimit-Reset": String(reset) }));
    await clock.advance(1_000);
    assert.ok((await rejection(paced(req("/c")))) instanceof ClinikoRateLimitError);
    assert.equal(limiter.stats().blockedUntil, reset * 1000);
  });
});

describe("redirect guard layer", () => {
  it("never follows a redirect and never sends a request to another origin", async () => {
    const other = await startServer();
    try {
      server.handle((_r, res) => {
        res.writeHead(302, { location: `${other.baseUrl}/patients` });
        res.end();
      });
      const guarded = compose(typed(), redirectGuard({ baseUrl: server.baseUrl }));
      const err = await rejection(guarded(req("/patients")));
      assert.ok(err instanceof ClinikoHttpError && err.status === 302);
      const elsewhere = await rejection(guarded({ method: "GET", url: new URL(`${other.baseUrl}/x`), headers: {} }));
      assert.ok(elsewhere instanceof ClinikoConfigError);
      assert.match(elsewhere.message, /^Refusing to send the Cliniko API key to/);
      assert.equal(other.requests.length, 0);
    } finally {
      await other.close();
    }
  });
});
