/**
 * SSRF through the connections: an SMTP connection, a vendor call or a Cliniko connection's base
 * URL aimed inside the network is refused by the same address policy as http.request, with the
 * same spellings, before any byte is sent (no login, no message, no API key), and a connection
 * test answers one sentence whatever kept it from connecting.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { testAppConnection } from "../../src/apps/connections.ts";
import { AppError } from "../../src/apps/errors.ts";
import { appRequest } from "../../src/apps/http.ts";
import { createClient } from "../../src/cliniko/client.ts";
import { ClinikoBaseUrlError } from "../../src/cliniko/errors.ts";
import { checkBaseUrlToSave } from "../../src/cliniko/network.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { AllowList } from "../../src/net/address-policy.ts";
import { UNREACHABLE } from "../../src/net/outbound.ts";
import { startSandbox } from "../../src/sandbox/index.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import { type Stack, startStack } from "../server/harness.ts";
import { loopbackSpellings, REFUSED, resolvesTo } from "../support/ssrf-spellings.ts";
import type { FakeVendor } from "./fake-vendor.ts";
import { webhookFake } from "./fakes.ts";
import { addApp, runStep } from "./helpers.ts";
import { startSmtpServer } from "./smtp-server.ts";

const PASSWORD = "s3cret-smtp-pass-42";
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let hook: FakeVendor;
let h: Harness;
/** The provider as a default install has it: no CLINIKO_FLOW_HTTP_ALLOW. */
let strict: ClientProvider;

before(async () => {
  smtp = await startSmtpServer(PASSWORD);
  hook = await webhookFake({ status: 200, body: "ok" });
  h = await harness();
  strict = new ClientProvider(h.store, { env: { ...h.env, CLINIKO_FLOW_HTTP_ALLOW: "" } });
});
after(async () => {
  await smtp.close();
  await hook.close();
  await h.close();
});

/** The host exactly as written in the URL (not as a URL parser normalises it). */
const hostAsWritten = (url: string) => /^https?:\/\/(\[[^\]]+\]|[^:/]+)/.exec(url)![1]!;
const targets = () => [
  ...loopbackSpellings(smtp.port).map(hostAsWritten),
  ...REFUSED.map(([url]) => hostAsWritten(url)),
  "metadata.google.internal",
];
const SMTP_SENTENCE = UNREACHABLE("Email (SMTP)");

test("SMTP: every spelling of an inside address is refused — no connection, no login, no message — and the test answers one sentence", async () => {
  let n = 0;
  for (const host of targets()) {
    const name = `smtp-${n++}`;
    await addApp(h.store, name, "smtp", {
      host,
      port: smtp.port,
      from: "a@clinic.test",
      tls: "none",
      user: "clinic",
      password: PASSWORD,
    });
    const connection = await strict.app(name, ["smtp"]);
    await assert.rejects(testAppConnection(connection), (err: AppError) => {
      assert.equal(err.message, SMTP_SENTENCE, host);
      return true;
    });
    await assert.rejects(
      runStep(strict, "email.send", { to: "jo@example.test", subject: "Hi", text: "x" }, name),
      (err: AppError) => {
        assert.ok(err instanceof AppError, host);
        assert.match(err.message, /address policy refuses|could not be reached/, host);
        assert.equal(err.maybeSent, false, host);
        return true;
      },
      host,
    );
  }
  assert.deepEqual(smtp.seen, { connections: 0, logins: 0 }, "nothing reached the server");
  assert.equal(smtp.received.length, 0);
});

test("SMTP: a closed port, an unknown host and a refused address all answer the same sentence", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const allowLoopback = new ClientProvider(h.store, { env: h.env }); // CLINIKO_FLOW_HTTP_ALLOW=127.0.0.1
  const cases: [string, string, number, ClientProvider][] = [
    ["closed", "127.0.0.1", closedPort, allowLoopback],
    ["nohost", "no-such-host.invalid", 25, allowLoopback],
    ["refused", "10.0.0.5", 25, strict],
    ["metadata", "169.254.169.254", 25, allowLoopback],
  ];
  const answers = new Set<string>();
  for (const [name, host, port, clients] of cases) {
    await addApp(h.store, name, "smtp", { host, port, from: "a@clinic.test", tls: "none" });
    await assert.rejects(testAppConnection(await clients.app(name, ["smtp"])), (err: Error) => {
      answers.add(err.message);
      return true;
    });
  }
  assert.deepEqual([...answers], [SMTP_SENTENCE]);
  // Allowed and listening, it works (the policy is not in the way of the real server).
  await addApp(h.store, "allowed", "smtp", {
    host: "127.0.0.1",
    port: smtp.port,
    from: "a@clinic.test",
    tls: "starttls",
    allowInvalidCertificate: true,
    user: "clinic",
    password: PASSWORD,
  });
  assert.match(await testAppConnection(await allowLoopback.app("allowed", ["smtp"])), /accepted the login/);
});

test("vendor calls: every spelling is refused before a request is sent, metadata even when allowed", async () => {
  const calls = hook.calls.length;
  for (const url of [...loopbackSpellings(new URL(hook.url).port as unknown as number), ...REFUSED.map(([u]) => u)]) {
    await assert.rejects(
      appRequest({ app: "Slack", method: "POST", url, body: { text: "x" }, network: new AllowList(undefined) }),
      (err: AppError) => {
        assert.match(err.message, /^Slack was not called: the address policy refuses /, url);
        assert.equal(err.maybeSent, false);
        return true;
      },
      url,
    );
  }
  for (const url of ["http://169.254.169.254/", "http://metadata.google.internal/", "http://[fd00:ec2::254]/"])
    await assert.rejects(
      appRequest({ app: "Slack", method: "POST", url, network: new AllowList(undefined, true) }),
      /cloud metadata endpoints are never allowed/,
    );
  // The steps themselves: a Slack or Teams webhook URL aimed at loopback (possible only in tests).
  await addApp(h.store, "inside-hook", "slack-webhook", { url: `${hook.url}/services/T1/B1/x` });
  await addApp(h.store, "inside-teams", "teams", { url: `${hook.url}/workflows/x` });
  await assert.rejects(runStep(strict, "slack.post_message", { text: "x" }, "inside-hook"), /address policy refuses/);
  await assert.rejects(runStep(strict, "teams.post_message", { text: "x" }, "inside-teams"), /address policy refuses/);
  assert.equal(hook.calls.length, calls, "no request reached the receiver");
});

// --- A Cliniko connection's base URL -------------------------------------------------------------

const KEY = "MS0cliniko-ssrf-test-key-au1";
const EMAIL = "ops@clinic.test";
const none = new AllowList(undefined);
const BASE_URL_REFUSED = /The Cliniko base URL points where this server may not connect: /;
/** Every spelling, aimed at a port of this machine that is not the sandbox (the hook receiver). */
const clinikoTargets = () => [
  ...loopbackSpellings(Number(new URL(hook.url).port)).map((url) => [url, /./] as [string, RegExp]),
  ...REFUSED,
];

test("Cliniko: every spelling of an inside address as a base URL is refused when saved and when a client is built, nothing sent", async () => {
  const calls = hook.calls.length;
  for (const [url, why] of clinikoTargets()) {
    const refused = (err: unknown) => {
      assert.ok(err instanceof ClinikoBaseUrlError, `${url}: ${err}`);
      assert.match(err.message, BASE_URL_REFUSED, url);
      assert.match(err.message, why, url);
      assert.equal(err.field, "baseUrl");
      assert.ok(!err.message.includes(KEY));
      return true;
    };
    assert.throws(() => createClient({ apiKey: KEY, email: EMAIL, baseUrl: url, network: none }), refused, url);
    await assert.rejects(checkBaseUrlToSave(url, none), refused, url);
  }
  // A connection stored before (or behind the API's back): its runs fail before a request.
  await h.store.connections.save({ name: "inside", apiKey: KEY, email: EMAIL, baseUrl: "http://10.0.0.5/v1" });
  await assert.rejects(strict.resolve("inside"), BASE_URL_REFUSED);
  assert.equal(hook.calls.length, calls, "no request reached the receiver");
});

test("Cliniko: a name that resolves inside is refused on the address connected to, also after a rebinding", async () => {
  const innocent = "http://cliniko.innocent.example/v1";
  for (const [url, why] of REFUSED) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (!/^[\d.]+$|:/.test(host)) continue; // an IP address, in the form a resolver answers it
    const address = host.includes(":") ? host : new URL(`http://${host}/`).hostname;
    const resolve = resolvesTo(address) as never;
    await assert.rejects(checkBaseUrlToSave(innocent, none, resolve), BASE_URL_REFUSED, address);
    const client = createClient({ apiKey: KEY, email: EMAIL, baseUrl: innocent, network: none, lookup: resolve });
    await assert.rejects(client.request({ method: "GET", path: "/user" }), (err: ClinikoBaseUrlError) => {
      assert.ok(err instanceof ClinikoBaseUrlError, `${address}: ${err}`);
      assert.match(err.message, /^Cliniko was not called: the address policy refuses /, address);
      assert.match(err.message, why, address);
      assert.equal(err.maybeSent, false);
      return true;
    });
  }
  // Public when saved, loopback when called: the request is decided on the address it connects to.
  let answer = "93.184.216.34";
  const rebinding = ((_h: string, _o: object, cb: (e: null, a: { address: string; family: number }[]) => void) =>
    cb(null, [{ address: answer, family: 4 }])) as never;
  await checkBaseUrlToSave(innocent, none, rebinding);
  answer = "127.0.0.1";
  const client = createClient({ apiKey: KEY, email: EMAIL, baseUrl: innocent, network: none, lookup: rebinding });
  await assert.rejects(client.request({ method: "GET", path: "/user" }), /the address policy refuses .*loopback/);
});

test("Cliniko: metadata is refused even when allowed; an inside target only with CLINIKO_FLOW_HTTP_ALLOW; the sandbox by its exact origin", async () => {
  for (const network of [new AllowList(undefined, true), new AllowList("169.254.169.254,metadata.google.internal")])
    for (const url of ["http://169.254.169.254/v1", "http://metadata.google.internal/v1", "http://[fd00:ec2::254]/v1"])
      assert.throws(
        () => createClient({ apiKey: KEY, email: EMAIL, baseUrl: url, network }),
        /cloud metadata endpoints are never allowed/,
      );
  // The sandbox this process serves: reached with no exception at all.
  const sandboxClient = createClient({
    apiKey: h.sandbox.apiKey,
    email: EMAIL,
    baseUrl: h.sandbox.baseUrl,
    network: none,
  });
  assert.equal((await sandboxClient.request({ method: "GET", path: "/user" })).status, 200);
  // Another port of the same address is not the sandbox: refused, unless the operator allows it.
  const other = `${hook.url}/v1`;
  assert.throws(() => createClient({ apiKey: KEY, email: EMAIL, baseUrl: other, network: none }), BASE_URL_REFUSED);
  const calls = hook.calls.length;
  const allowed = createClient({ apiKey: KEY, email: EMAIL, baseUrl: other, network: new AllowList("127.0.0.1") });
  await assert.rejects(allowed.request({ method: "GET", path: "/user" }), /not JSON/); // it answers "ok"
  assert.equal(hook.calls.length, calls + 1, "allowed, the request went out");
  // A sandbox that stopped is no exception any more.
  const gone = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
  await gone.stop();
  assert.throws(
    () => createClient({ apiKey: gone.apiKey, email: EMAIL, baseUrl: gone.baseUrl, network: none }),
    BASE_URL_REFUSED,
  );
});

test("Cliniko: the API refuses such a base URL with one sentence at the field; the connection test answers one sentence", async () => {
  const stack: Stack = await startStack();
  try {
    const cookie = await stack.login();
    const post = (name: string, baseUrl: string) =>
      stack.call("POST", "/api/connections", {
        cookie,
        headers: { "x-cliniko-flow": "1" },
        body: { name, apiKey: KEY, email: EMAIL, baseUrl },
      });
    let n = 0;
    for (const [url, why] of clinikoTargets()) {
      const res = await post(`refused-${n++}`, url);
      assert.equal(res.status, 400, url);
      const body = res.json as { message: string; details: { path: string; message: string }[] };
      assert.match(body.message, BASE_URL_REFUSED, url);
      assert.match(body.message, why, url);
      assert.deepEqual(body.details, [{ path: "baseUrl", message: body.message }], url);
    }
    assert.equal((await stack.store.connections.list()).length, 0, "none was stored");
    // Editing a connection to such a base URL is refused the same way.
    await stack.connectSandbox(cookie, "clinic");
    const edit = await stack.call("PUT", "/api/connections/clinic", {
      cookie,
      headers: { "x-cliniko-flow": "1" },
      body: { baseUrl: "http://0x7f000001/v1" },
    });
    assert.equal(edit.status, 400);
    assert.deepEqual((edit.json as { details: unknown[] }).details, [
      { path: "baseUrl", message: (edit.json as { message: string }).message },
    ]);
    // A connection stored behind the API's back, and one at a closed port the operator allows:
    // the test says the same sentence, so it cannot tell a refused address from a closed port.
    await stack.store.connections.save({ name: "inside", apiKey: KEY, email: EMAIL, baseUrl: "http://10.0.0.5/v1" });
    const test = await stack.call("POST", "/api/connections/inside/test", {
      cookie,
      headers: { "x-cliniko-flow": "1" },
    });
    assert.deepEqual(test.json, { ok: false, message: UNREACHABLE("Cliniko") });
  } finally {
    await stack.stop();
  }
});
