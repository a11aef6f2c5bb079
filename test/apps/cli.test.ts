/** `connections add NAME --kind smtp …` with the password from standard input; list and test never show it. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
const PASSWORD = "cli-smtp-password-31";
let dir: string;
let smtp: SMTPServer;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cf-apps-cli-"));
  smtp = new SMTPServer({
    logger: false,
    onAuth: (auth, _s, cb) => (auth.password === PASSWORD ? cb(null, { user: "u" }) : cb(new Error("bad login"))),
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  port = (smtp.server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], stdin = ""): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH,
        CLINIKO_FLOW_TEST: "1",
        DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
        CLINIKO_FLOW_SECRET: "test-secret-of-sufficient-length",
        CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
      },
    });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    child.stdin.end(stdin);
    child.on("close", (status) => resolve({ status: status ?? 1, out }));
  });
}

test("add an SMTP connection, list it without the password, test it against the server", async () => {
  const add = await cli(
    [
      "connections",
      "add",
      "mail",
      "--kind",
      "smtp",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--from",
      "a@b.test",
    ].concat(["--user", "u", "--password", "-", "--tls", "starttls", "--allow-invalid-certificate", "true"]),
    `${PASSWORD}\n`,
  );
  assert.equal(add.status, 0, add.out);
  assert.match(add.out, /Connection "mail" \(smtp\) added/);
  const list = await cli(["connections", "list", "--json"]);
  assert.ok(!list.out.includes(PASSWORD));
  const mail = (JSON.parse(list.out) as { name: string; kind: string; settings: Record<string, unknown> }[])[0]!;
  assert.equal(mail.kind, "smtp");
  assert.equal(mail.settings.port, port, "the port is stored as a number");
  const tested = await cli(["connections", "test", "mail"]);
  assert.equal(tested.status, 0, tested.out);
  assert.match(tested.out, /accepted the login/);
  const bad = await cli(["connections", "add", "x", "--kind", "smtp", "--host", "h"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.out, /settings are not valid: port/);
});

test("a Twilio connection without a sender is refused: every SMS would fail at Twilio", async () => {
  const sid = `AC${"0".repeat(32)}`;
  const args = ["connections", "add", "sms", "--kind", "twilio", "--account-sid", sid, "--auth-token", "-"];
  const none = await cli(args, "twilio-token-123\n");
  assert.notEqual(none.status, 0);
  assert.match(none.out, /give a sender: the number to send from, or a Messaging Service SID/);
  const withSender = await cli([...args, "--from", "+61400000000"], "twilio-token-123\n");
  assert.equal(withSender.status, 0, withSender.out);
});
