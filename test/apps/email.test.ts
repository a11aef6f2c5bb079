/** email.send against a real SMTP server (smtp-server, in process) with STARTTLS and a login. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AppError } from "../../src/apps/errors.ts";
import { activationIssues } from "../../src/engine/activation.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import { addApp, runStep } from "./helpers.ts";
import { startSmtpServer } from "./smtp-server.ts";

const PASSWORD = "s3cret-smtp-pass-42";
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let port: number;
let h: Harness;
let clients: ClientProvider;

before(async () => {
  smtp = await startSmtpServer(PASSWORD);
  port = smtp.port;
  h = await harness();
  clients = new ClientProvider(h.store, { env: h.env });
  const base = {
    host: "127.0.0.1",
    port,
    from: "Harbour Physio <reception@harbour.test>",
    tls: "starttls",
    allowInvalidCertificate: true,
  };
  await addApp(h.store, "mail", "smtp", { ...base, user: "clinic", password: PASSWORD });
  await addApp(h.store, "bad-login", "smtp", { ...base, user: "clinic", password: "wrong-password-123" });
});
after(async () => {
  await smtp.close();
  await h.close();
});

const header = (raw: string, name: string) =>
  new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, "mi").exec(raw)?.[1]?.replace(/\r\n[ \t]/g, " ");

test("email.send delivers over STARTTLS with a login: headers, both bodies, every recipient", async () => {
  const out = (await runStep(
    clients,
    "email.send",
    {
      to: "jo@example.test",
      cc: ["sam@example.test"],
      bcc: "audit@harbour.test",
      replyTo: "frontdesk@harbour.test",
      subject: "Welcome to the clinic, Jo",
      text: "Hi Jo, welcome (plain).",
      html: "<p>Hi Jo, welcome (html).</p>",
    },
    "mail",
  )) as { messageId: string; accepted: string[] };
  assert.equal(smtp.received.length, 1);
  const { session, raw } = smtp.received[0]!;
  assert.equal(session.secure, true, "the session was upgraded with STARTTLS");
  assert.equal(session.user, "clinic");
  assert.deepEqual(session.envelope.rcptTo.map((r) => r.address).sort(), [
    "audit@harbour.test",
    "jo@example.test",
    "sam@example.test",
  ]);
  const mailFrom = session.envelope.mailFrom;
  assert.ok(mailFrom, "the envelope has a sender");
  assert.equal(mailFrom.address, "reception@harbour.test");
  assert.equal(header(raw, "Subject"), "Welcome to the clinic, Jo");
  assert.equal(header(raw, "From"), "Harbour Physio <reception@harbour.test>");
  assert.equal(header(raw, "To"), "jo@example.test");
  assert.equal(header(raw, "Cc"), "sam@example.test");
  assert.equal(header(raw, "Reply-To"), "frontdesk@harbour.test");
  assert.equal(header(raw, "Bcc"), undefined, "bcc is in the envelope only");
  assert.match(header(raw, "Content-Type") ?? "", /multipart\/alternative/);
  assert.match(raw, /Content-Type: text\/plain[\s\S]*Hi Jo, welcome \(plain\)\./);
  assert.match(raw, /Content-Type: text\/html[\s\S]*<p>Hi Jo, welcome \(html\)\.<\/p>/);
  assert.equal(header(raw, "Message-ID"), out.messageId);
  assert.deepEqual(out.accepted.sort(), ["audit@harbour.test", "jo@example.test", "sam@example.test"]);
});

test("a refused login is a final AppError that names the server's reply, never the password", async () => {
  const before = smtp.received.length;
  await assert.rejects(
    runStep(clients, "email.send", { to: "jo@example.test", subject: "x", text: "y" }, "bad-login"),
    (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.transient, false);
      assert.match(err.message, /refused the login.*Invalid username or password/);
      assert.doesNotMatch(err.message, /wrong-password/);
      return true;
    },
  );
  assert.equal(smtp.received.length, before);
});

test("input without a body, or a connection of another kind, fails before anything is sent", async () => {
  await assert.rejects(
    runStep(clients, "email.send", { to: "jo@example.test", subject: "x" }, "mail"),
    /give text, html or both/,
  );
  await assert.rejects(
    runStep(clients, "sms.send", { to: "+61412345678", body: "x" }, "mail"),
    /is a smtp connection; this needs a twilio connection/,
  );
});

test("the connection's test call logs in (and reports a refused login)", async () => {
  const { appConnectionKind } = await import("../../src/apps/connections.ts");
  const smtp = appConnectionKind("smtp");
  assert.match(await smtp.test(await clients.app("mail", ["smtp"])), /accepted the login/);
  await assert.rejects(smtp.test(await clients.app("bad-login", ["smtp"])), /refused the login/);
});

test("a plain relay without STARTTLS: the test call says STARTTLS was the cause and what to set", async () => {
  const { SMTPServer } = await import("smtp-server");
  const relay = new SMTPServer({ logger: false, disabledCommands: ["STARTTLS", "AUTH"], authOptional: true });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  try {
    const relayPort = (relay.server.address() as { port: number }).port;
    const settings = { host: "127.0.0.1", port: relayPort, from: "reception@harbour.test", tls: "starttls" };
    await addApp(h.store, "relay", "smtp", settings);
    const { appConnectionKind } = await import("../../src/apps/connections.ts");
    await assert.rejects(
      appConnectionKind("smtp").test(await clients.app("relay", ["smtp"])),
      /does not offer STARTTLS.*set Security to none/,
    );
    await addApp(h.store, "relay", "smtp", { ...settings, tls: "none" });
    assert.match(await appConnectionKind("smtp").test(await clients.app("relay", ["smtp"])), /accepted the connection/);
  } finally {
    relay.close();
  }
});

test("activation finds an email step's SMTP connection by name, and names a missing one", async () => {
  // Regression: the check once looked every step's connection up as a Cliniko one.
  const ctx = clients.activationContext();
  const workflow = (connection: string) =>
    ({
      name: "Welcome",
      trigger: { key: "webhook" },
      steps: [
        {
          id: "mail",
          action: "email.send",
          connection,
          input: { to: "jo@example.test", subject: "Hi", text: "Hello" },
        },
      ],
    }) as WorkflowDefinition;
  assert.deepEqual(await activationIssues(workflow("mail"), ctx), []);
  const issues = await activationIssues(workflow("post"), ctx);
  assert.deepEqual(
    issues.map((i) => i.path),
    ["steps[0].connection"],
  );
  assert.match(issues[0]!.message, /no connection named "post"/);
});
