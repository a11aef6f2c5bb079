import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inspect } from "node:util";
import pino from "pino";
import { createClient } from "../../src/cliniko/client.ts";
import {
  ClinikoAuthError,
  ClinikoConfigError,
  ClinikoError,
  ClinikoForbiddenError,
  ClinikoHttpError,
  ClinikoNetworkError,
  ClinikoNotFoundError,
  ClinikoRateLimitError,
  ClinikoServerError,
  ClinikoValidationError,
} from "../../src/cliniko/errors.ts";
import { type Clock, LocalLimiters } from "../../src/cliniko/rate-limit.ts";
import { AllowList } from "../../src/net/address-policy.ts";
import { FakeClock, flush } from "./support/fake-clock.ts";
import { json, startServer, type TestServer, testKey } from "./support/server.ts";

const email = "ops@clinic.example";
const fast = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };
/** A port of this machine no fake server holds: reachable only as the operator's exception. */
const LOOPBACK = new AllowList("127.0.0.1");

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

function client(extra: Partial<Parameters<typeof createClient>[0]> = {}) {
  return createClient({ apiKey: testKey(), email, baseUrl: server.baseUrl, retry: fast, ...extra });
}

async function caught(promise: Promise<unknown>): Promise<ClinikoError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ClinikoError, `expected a ClinikoError, got ${inspect(err)}`);
    return err;
  }
  assert.fail("expected the request to fail");
}

describe("request pipeline: headers and auth", () => {
  it("sends Basic auth with the key as user name and an empty password, User-Agent and Accept", async () => {
    const apiKey = testKey();
    server.handle((_req, res) => json(res, 200, { id: "1" }));
    const c = createClient({ apiKey, email, baseUrl: server.baseUrl });
    const { status, body } = await c.request({ method: "GET", path: "/user" });
    assert.equal(status, 200);
    assert.deepEqual(body, { id: "1" });
    const [req] = server.requests;
    assert.equal(req?.path, "/v1/user");
    assert.equal(req?.headers.authorization, `Basic ${Buffer.from(`${apiKey}:`).toString("base64")}`);
    const decoded = Buffer.from(req!.headers.authorization!.slice(6), "base64").toString();
    assert.equal(decoded, `${apiKey}:`);
    assert.equal(req?.headers["user-agent"], "cliniko-flow (ops@clinic.example)");
    assert.equal(req?.headers.accept, "application/json");
    assert.equal(req?.headers["content-type"], undefined, "no body, no content type");
    assert.ok(!req?.url.includes(apiKey));
  });

  it("sends JSON bodies and reads 204 as no body", async () => {
    server.handle((req, res) =>
      req.path === "/v1/patients" ? json(res, 201, { id: "7", ...JSON.parse(req.body) }) : json(res, 204),
    );
    const c = client();
    const created = await c.resource("patients").create({ first_name: "Jo", last_name: "Bloggs" });
    assert.deepEqual(created, { id: "7", first_name: "Jo", last_name: "Bloggs" });
    assert.equal(server.requests[0]?.headers["content-type"], "application/json");
    assert.equal(await c.resource("patients").archive("7"), undefined);
    assert.equal(server.requests[1]?.method, "POST");
    assert.equal(server.requests[1]?.path, "/v1/patients/7/archive");
  });

  it("refuses to build a client without a plausible email or with a bad key", () => {
    assert.throws(() => createClient({ apiKey: "k", email: "" }), /needs a contact email/);
    assert.throws(() => createClient({ apiKey: "k", email: "not-an-email" }), ClinikoConfigError);
    assert.throws(() => createClient({ apiKey: "k", email: "a@b.c) evil (x" }), ClinikoConfigError);
    assert.throws(() => createClient({ apiKey: "", email }), /needs an API key/);
    assert.throws(() => createClient({ apiKey: "bad key\n", email }), /characters an API key never has/);
    assert.equal(createClient({ apiKey: "abc-uk2", email }).baseUrl, "https://api.uk2.cliniko.com/v1");
  });
});

describe("request pipeline: typed errors", () => {
  const cases: [number, new (...args: never[]) => ClinikoError, string, RegExp][] = [
    [401, ClinikoAuthError, "auth", /^Cliniko did not accept the API key/],
    [403, ClinikoForbiddenError, "forbidden", /^Cliniko refused access to this patient/],
    [404, ClinikoNotFoundError, "not_found", /^Cliniko could not find that patient \(\/v1\/patients\/42\)/],
    [422, ClinikoValidationError, "validation", /^Cliniko rejected the patient: /],
    [
      429,
      ClinikoRateLimitError,
      "rate_limited",
      /^Cliniko's limit of requests per minute for this API key was reached/,
    ],
    [500, ClinikoServerError, "server", /^Cliniko had a temporary problem \(HTTP 500\)/],
    [503, ClinikoServerError, "server", /HTTP 503/],
    [405, ClinikoHttpError, "http", /unexpected answer \(HTTP 405\)/],
  ];
  for (const [status, cls, code, message] of cases) {
    it(`maps ${status} to ${cls.name}`, async () => {
      server.handle((_req, res) =>
        json(res, status, { message: "nope" }, status === 429 ? { "X-RateLimit-Reset": "1" } : {}),
      );
      const err = await caught(
        client({ retry: { retries: 0 } })
          .resource("patients")
          .get("42", { q: ["archived_at:*"] }),
      );
      assert.ok(err instanceof cls);
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.equal(err.method, "GET");
      assert.equal(err.path, "/v1/patients/42", "path only, no query string");
      assert.match(err.message, message);
      assert.equal(err.message.split(/\.\s/).length, 1, `one sentence: ${err.message}`);
    });
  }

  it("carries Cliniko's 422 field errors and lists them in the message", async () => {
    server.handle((_req, res) =>
      json(res, 422, {
        message: "Validation failed",
        errors: { first_name: "can't be blank", email: ["is invalid", "is taken"] },
      }),
    );
    const err = await caught(client().resource("patients").create({}));
    assert.ok(err instanceof ClinikoValidationError);
    assert.deepEqual(err.fieldErrors, { first_name: "can't be blank", email: "is invalid and is taken" });
    assert.equal(
      err.message,
      "Cliniko rejected the patient: first_name can't be blank, email is invalid and is taken.",
    );
    assert.equal(server.requests.length, 1, "a 422 is never retried");
  });

  it("names the record a refusal is about (the innermost collection) and never Cliniko's `base`", () => {
    const rejected = (path: string, errors: Record<string, unknown>) =>
      new ClinikoValidationError({ path, detail: { message: "Validation failed", errors } }).message;
    assert.equal(
      rejected("/v1/businesses/1/practitioners/2/appointment_types/3/available_times", {
        base: ["from must not be before today"],
      }),
      "Cliniko rejected the available times: from must not be before today.",
    );
    assert.equal(
      rejected("/v1/individual_appointments/5/attendees", { patient: "must exist" }),
      "Cliniko rejected the attendee: patient must exist.",
    );
    assert.equal(
      rejected("/v1/patients/9/archive", { base: "has unpaid invoices" }),
      "Cliniko rejected the patient: has unpaid invoices.",
    );
    assert.equal(
      rejected("/v1/practitioners/inactive", { q: "is invalid" }),
      "Cliniko rejected the practitioner: q is invalid.",
    );
    // A 404 of a list under a record is about that record (the list itself always exists).
    assert.match(
      new ClinikoNotFoundError({ path: "/v1/patients/9/medical_alerts" }).message,
      /^Cliniko could not find that patient/,
    );
    assert.match(
      new ClinikoNotFoundError({ path: "/v1/businesses/1/practitioners/2/appointment_types/3/available_times" })
        .message,
      /^Cliniko could not find that appointment type \(or its practitioner or business\)/,
    );
  });

  it("reads the reset time of a 429 from X-RateLimit-Reset (Unix seconds)", async () => {
    server.handle((_req, res) => json(res, 429, {}, { "X-RateLimit-Reset": "1700000123" }));
    const err = await caught(client({ retry: { retries: 0 } }).request({ method: "GET", path: "/patients" }));
    assert.ok(err instanceof ClinikoRateLimitError);
    assert.equal(err.resetAt.getTime(), 1_700_000_123_000);
  });

  it("refuses to follow a redirect (the Authorization header stays with the API host)", async () => {
    const other = await startServer();
    try {
      server.handle((_req, res) => {
        res.writeHead(302, { location: `${other.baseUrl}/patients` });
        res.end();
      });
      const err = await caught(client().request({ method: "GET", path: "/patients" }));
      assert.ok(err instanceof ClinikoHttpError);
      assert.equal(err.status, 302);
      assert.equal(other.requests.length, 0);
    } finally {
      await other.close();
    }
  });

  it("refuses absolute URLs on another origin without sending anything there", async () => {
    const other = await startServer();
    try {
      const err = await caught(client().request({ method: "GET", path: `${other.baseUrl}/patients/1` }));
      assert.ok(err instanceof ClinikoConfigError);
      assert.match(err.message, /Refusing to send the Cliniko API key to http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(other.requests.length, 0);
      server.handle((_req, res) => json(res, 200, { id: "1" }));
      const ok = await client().request({ method: "GET", path: `${server.baseUrl}/patients/1` });
      assert.deepEqual(ok.body, { id: "1" });
    } finally {
      await other.close();
    }
  });

  it("never lets the API key into a message, detail, log line or URL", async () => {
    const apiKey = testKey();
    const basic = Buffer.from(`${apiKey}:`).toString("base64");
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
    // A hostile or buggy server echoing the credentials back in every answer.
    server.handle((req, res, n) => {
      const statuses = [401, 403, 404, 422, 429, 500, 405, 200];
      const status = statuses[(n - 1) % statuses.length]!;
      const echo = { message: `bad key ${apiKey}`, errors: { api_key: `${apiKey} / ${req.headers.authorization}` } };
      if (status === 200) return void res.writeHead(200).end(`not json ${apiKey} ${basic}`);
      json(res, status, echo, status === 429 ? { "X-RateLimit-Reset": "1" } : {});
    });
    const c = createClient({ apiKey, email, baseUrl: server.baseUrl, retry: { retries: 0 }, logger });
    const errors: ClinikoError[] = [];
    for (let i = 0; i < 8; i++)
      errors.push(await caught(c.request({ method: "POST", path: "/patients", body: { a: 1 } })));
    // Network and timeout errors, config errors.
    const closed = await startServer();
    const closedUrl = closed.baseUrl;
    await closed.close();
    errors.push(
      await caught(
        createClient({ apiKey, email, baseUrl: closedUrl, retry: { retries: 0 }, network: LOOPBACK }).request({
          method: "GET",
          path: "/x",
        }),
      ),
    );
    server.handle(() => undefined);
    errors.push(
      await caught(
        createClient({ apiKey, email, baseUrl: server.baseUrl, timeoutMs: 50, retry: { retries: 0 } }).request({
          method: "GET",
          path: "/x",
        }),
      ),
    );
    // Including the key pasted into the wrong field of a connection form.
    const misplaced = [{ email: apiKey }, { region: apiKey }, { baseUrl: apiKey }];
    for (const bad of [{ region: "uk1" }, { email: "nope" }, { baseUrl: "ftp://x" }, ...misplaced]) {
      try {
        createClient({ apiKey: `${apiKey}`, email, ...bad });
      } catch (err) {
        errors.push(err as ClinikoError);
      }
    }
    errors.push(await caught(c.request({ method: "GET", path: "https://evil.example/v1/patients" })));
    assert.equal(errors.length, 17);
    const kinds = new Set(errors.map((e) => e.constructor.name));
    for (const name of [
      "ClinikoAuthError",
      "ClinikoForbiddenError",
      "ClinikoNotFoundError",
      "ClinikoValidationError",
      "ClinikoRateLimitError",
      "ClinikoServerError",
      "ClinikoHttpError",
      "ClinikoNetworkError",
      "ClinikoConfigError",
    ]) {
      assert.ok(kinds.has(name), `covers ${name}`);
    }
    for (const err of errors) {
      const texts = [
        err.message,
        JSON.stringify(err.detail ?? null),
        JSON.stringify(err),
        inspect(err, { depth: 8 }),
        err.stack ?? "",
      ];
      for (const text of texts) {
        assert.ok(!text.includes(apiKey), `${err.name} leaks the key: ${text.slice(0, 300)}`);
        assert.ok(!text.includes(basic), `${err.name} leaks the Basic header`);
      }
    }
    assert.ok(lines.length >= 8, "debug lines were written");
    for (const line of lines) {
      assert.ok(!line.includes(apiKey) && !line.includes(basic), `log line leaks the key: ${line}`);
      assert.ok(!line.includes('"a":1'), "no bodies in logs");
    }
    const first = JSON.parse(lines[0]!);
    assert.equal(first.method, "POST");
    assert.equal(first.path, "/v1/patients");
    assert.equal(first.status, 401);
  });
});

describe("request pipeline: retries", () => {
  it("retries a GET on 503, then succeeds", async () => {
    server.handle((_req, res, n) => (n < 3 ? json(res, 503, {}) : json(res, 200, { id: "1" })));
    const body = await client().call("GetPatient-Get", { params: { id: "1" } });
    assert.deepEqual(body, { id: "1" });
    assert.equal(server.requests.length, 3);
  });

  it("retries PATCH and DELETE on 5xx, and gives up after the configured retries", async () => {
    server.handle((_req, res) => json(res, 502, {}));
    const err = await caught(client().resource("patients").update("1", { notes: "x" }));
    assert.ok(err instanceof ClinikoServerError);
    assert.equal(err.maybeSent, true);
    assert.equal(server.requests.length, 3, "1 + 2 retries");
    server.handle((_req, res, n) => (n === 1 ? json(res, 500, {}) : json(res, 204)));
    await client().resource("appointment_type_products").delete("5");
    assert.equal(server.requests.length, 2);
  });

  it("does not retry a POST that got a 500 (it may have been applied)", async () => {
    server.handle((_req, res) => json(res, 500, { message: "boom" }));
    const err = await caught(client().resource("patients").create({ first_name: "Jo" }));
    assert.ok(err instanceof ClinikoServerError);
    assert.equal(err.maybeSent, true);
    assert.equal(server.requests.length, 1);
  });

  it("does not retry a POST that timed out, and says it may have been made", async () => {
    server.handle(() => undefined); // never answers
    const err = await caught(client({ timeoutMs: 150 }).resource("patients").create({ first_name: "Jo" }));
    assert.ok(err instanceof ClinikoNetworkError);
    assert.equal(err.code, "timeout");
    assert.equal(err.timeout, true);
    assert.equal(err.maybeSent, true);
    assert.match(err.message, /did not answer within 0\.2 seconds, so the change may or may not have been made/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requests.length, 1);
  });

  it("does not claim a read that timed out may have changed something", async () => {
    server.handle(() => undefined); // never answers
    const err = await caught(
      client({ timeoutMs: 100, retry: { retries: 0 } })
        .resource("patients")
        .get("1"),
    );
    assert.ok(err instanceof ClinikoNetworkError);
    assert.equal(err.code, "timeout");
    assert.equal(err.message, "Cliniko did not answer within 0.1 seconds.");
  });

  it("retries a GET that timed out", async () => {
    server.handle((_req, res, n) => (n === 1 ? undefined : json(res, 200, { id: "2" })));
    const res = await client({ timeoutMs: 150 }).request({ method: "GET", path: "/patients/2" });
    assert.deepEqual(res.body, { id: "2" });
    assert.equal(server.requests.length, 2);
  });

  it("retries a POST whose connection was refused, once the server is up", async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.close();
    let late: TestServer | undefined;
    const sleeps: number[] = [];
    // The backoff wait is where the server comes up: the first attempt was certainly refused.
    const clock: Clock = {
      now: () => Date.now(),
      sleep: async (ms) => {
        sleeps.push(ms);
        late ??= await startServer(port);
        late.handle((req, res) => json(res, 201, { id: "9", ...JSON.parse(req.body) }));
      },
    };
    try {
      const c = createClient({
        apiKey: testKey(),
        email,
        baseUrl: `http://127.0.0.1:${port}/v1`,
        retry: fast,
        clock,
        network: LOOPBACK,
      });
      const created = await c.resource("patients").create({ first_name: "Jo" });
      assert.deepEqual(created, { id: "9", first_name: "Jo" });
      assert.equal(sleeps.length, 1, "one refused attempt, then one that reached the server");
      assert.equal(late?.requests.length, 1);
      assert.equal(late?.requests[0]?.method, "POST");
    } finally {
      await late?.close();
    }
  });

  it("reports a refused connection as certainly not sent once retries run out", async () => {
    const probe = await startServer();
    const url = probe.baseUrl;
    await probe.close();
    const err = await caught(
      createClient({ apiKey: testKey(), email, baseUrl: url, retry: fast, network: LOOPBACK })
        .resource("patients")
        .create({}),
    );
    assert.ok(err instanceof ClinikoNetworkError);
    assert.equal(err.code, "network");
    assert.equal(err.maybeSent, false);
    assert.equal(err.timeout, false);
    assert.match(err.message, /^Could not connect to Cliniko/);
  });

  it("stops at once, without retrying, when the caller aborts", async () => {
    server.handle(() => undefined); // never answers
    const controller = new AbortController();
    const pending = client().request({ method: "GET", path: "/patients", signal: controller.signal });
    while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("user cancelled"));
    await assert.rejects(pending, /user cancelled/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.requests.length, 1);
  });

  it("retries a POST on 429 (Cliniko refused it before doing anything)", async () => {
    const past = String(Math.floor(Date.now() / 1000) - 1);
    server.handle((_req, res, n) =>
      n === 1 ? json(res, 429, {}, { "X-RateLimit-Reset": past }) : json(res, 201, { id: "3" }),
    );
    const c = client();
    assert.deepEqual(await c.resource("patients").create({ first_name: "Jo" }), { id: "3" });
    assert.equal(server.requests.length, 2);
    assert.equal(c.limiter.stats().rateLimited, 1);
  });
});

describe("rate limit over the wire", () => {
  it("after a 429, no request on that key starts before X-RateLimit-Reset", async () => {
    const apiKey = testKey();
    let resetSeconds = 0;
    server.handle((req, res, n) => {
      if (n === 1) {
        resetSeconds = Math.floor(Date.now() / 1000) + 2; // 1–2 s ahead
        return json(res, 429, {}, { "X-RateLimit-Reset": String(resetSeconds) });
      }
      json(res, 200, req.path.endsWith("/user") ? { id: "u" } : { id: "p" });
    });
    const limiters = new LocalLimiters(); // the registry a client provider owns
    const a = createClient({ apiKey, email, baseUrl: server.baseUrl, retry: fast, limiters });
    const b = createClient({ apiKey, email, baseUrl: server.baseUrl, retry: fast, limiters }); // same key: same budget
    const first = a.request({ method: "GET", path: "/patients/1" });
    while (a.limiter.stats().rateLimited < 1) await new Promise((r) => setTimeout(r, 5)); // the 429 was read
    const second = b.request({ method: "GET", path: "/user" });
    const [ra, rb] = await Promise.all([first, second]);
    assert.deepEqual(ra.body, { id: "p" });
    assert.deepEqual(rb.body, { id: "u" });
    assert.equal(server.requests.length, 3);
    for (const req of server.requests.slice(1)) {
      assert.ok(req.at >= resetSeconds * 1000, `request at ${req.at} started before the reset ${resetSeconds * 1000}`);
    }
    assert.equal(a.limiter, b.limiter);
    assert.equal(a.limiter.stats().rateLimited, 1);
  });

  it("honours X-RateLimit-Reset even when pacing is off (rateLimit: false)", async () => {
    const clock = new FakeClock(Date.now());
    const reset = Math.ceil(clock.now() / 1000) + 30;
    server.handle((_req, res, n) =>
      n === 1 ? json(res, 429, {}, { "X-RateLimit-Reset": String(reset) }) : json(res, 200, { id: "u" }),
    );
    const c = client({ clock, rateLimit: false });
    const pending = c.request({ method: "GET", path: "/user" });
    while (c.limiter.stats().rateLimited < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.requests.length, 1, "no retry before the reset");
    assert.equal(c.limiter.stats().blockedUntil, reset * 1000);
    await clock.advance(reset * 1000 - clock.now() - 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.requests.length, 1, "still held 1 ms before the reset");
    await clock.advance(1);
    assert.deepEqual((await pending).body, { id: "u" });
    assert.equal(server.requests.length, 2);
  });

  it("paces requests through the key's limiter (fake clock, limit 3 per minute)", async () => {
    const clock = new FakeClock(Date.now());
    server.handle((_req, res) => json(res, 200, {}));
    const c = client({ clock, rateLimit: { limit: 3, marginMs: 0 } });
    const all = Array.from({ length: 5 }, () => c.request({ method: "GET", path: "/user" }));
    for (let i = 0; i < 20 && server.requests.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.requests.length, 3, "the 4th waits for the window");
    await clock.advance(60_000);
    await Promise.all(all);
    assert.equal(server.requests.length, 5);
    assert.equal(c.limiter.stats().waits, 2);
    await flush();
  });
});
