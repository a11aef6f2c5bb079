/**
 * SSRF through the apps: an SMTP connection or a vendor call aimed inside the network is refused by
 * the same address policy as http.request, with the same spellings, before any byte is sent (no
 * login, no message), and a connection test answers one sentence whatever kept it from connecting.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { testAppConnection } from "../../src/apps/connections.ts";
import { AppError } from "../../src/apps/errors.ts";
import { appRequest } from "../../src/apps/http.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { AllowList } from "../../src/net/address-policy.ts";
import { UNREACHABLE } from "../../src/net/outbound.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import { loopbackSpellings, REFUSED } from "../support/ssrf-spellings.ts";
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
