/** Connections are editable: a key, password or token left blank keeps its stored value; none is returned. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };
const SMTP_PASSWORD = "smtp-app-password-77";

describe("editing connections", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack();
    cookie = await s.login();
    await s.connectSandbox(cookie, "clinic");
  });
  after(() => s.stop());

  test("an SMTP connection's port changes; its blank password keeps the stored one", async () => {
    const settings = {
      host: "127.0.0.1",
      port: 587,
      from: "reception@harbour.test",
      user: "clinic",
      password: SMTP_PASSWORD,
    };
    const created = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "mail", kind: "smtp", settings },
    });
    assert.equal(created.status, 201, created.text);
    const edited = await s.call("PUT", "/api/connections/mail", {
      cookie,
      headers: WRITE,
      body: { settings: { ...settings, port: 2525, password: "", tls: "none" } },
    });
    assert.equal(edited.status, 200, edited.text);
    assert.ok(!edited.text.includes(SMTP_PASSWORD));
    const stored = await s.store.connections.getApp("mail", ["smtp"]);
    assert.equal(stored.settings.port, 2525);
    assert.equal(stored.settings.tls, "none");
    assert.equal(stored.secrets.password, SMTP_PASSWORD, "a blank password keeps the stored one");
    const refused = await s.call("PUT", "/api/connections/mail", {
      cookie,
      headers: WRITE,
      body: { settings: { port: 0 } },
    });
    assert.equal(refused.status, 400, refused.text);
  });

  test("a Cliniko connection's email changes without giving the key again", async () => {
    const before = await s.store.connections.get("clinic");
    const edited = await s.call("PUT", "/api/connections/clinic", {
      cookie,
      headers: WRITE,
      body: { email: "frontdesk@clinic.test", apiKey: "" },
    });
    assert.equal(edited.status, 200, edited.text);
    const after = await s.store.connections.get("clinic");
    assert.equal(after.email, "frontdesk@clinic.test");
    assert.equal(after.apiKey, before.apiKey);
    const tested = await s.call("POST", "/api/connections/clinic/test", { cookie, headers: WRITE, body: {} });
    assert.equal((tested.json as { ok: boolean }).ok, true, tested.text);
    assert.equal((await s.call("PUT", "/api/connections/nope", { cookie, headers: WRITE, body: {} })).status, 404);
  });
});
