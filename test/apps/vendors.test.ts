/** Each HTTP app's actions against a local fake of its vendor: what the fake received, and each error path. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appConnectionKind } from "../../src/apps/connections.ts";
import { AppError } from "../../src/apps/errors.ts";
import { subscriberHash } from "../../src/apps/mailchimp/steps.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import type { FakeVendor } from "./fake-vendor.ts";
import {
  HUBSPOT_TOKEN,
  hubspotFake,
  MAILCHIMP_KEY,
  mailchimpFake,
  SLACK_TOKEN,
  slackFake,
  TWILIO_SID,
  TWILIO_TOKEN,
  twilioFake,
  webhookFake,
} from "./fakes.ts";
import { addApp, runStep } from "./helpers.ts";

let h: Harness;
let clients: ClientProvider;
const fakes: Record<string, FakeVendor> = {};

before(async () => {
  h = await harness();
  clients = new ClientProvider(h.store, { env: h.env });
  fakes.twilio = await twilioFake();
  fakes.slack = await slackFake();
  fakes.slackHook = await webhookFake({ status: 200, body: "ok" });
  fakes.teams = await webhookFake({ status: 202, body: "" });
  fakes.hubspot = await hubspotFake();
  fakes.mailchimp = await mailchimpFake();
  await addApp(
    h.store,
    "sms",
    "twilio",
    { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: "+61400000000" },
    fakes.twilio.url,
  );
  await addApp(h.store, "slack", "slack", { token: SLACK_TOKEN }, fakes.slack.url);
  await addApp(h.store, "hook", "slack-webhook", { url: `${fakes.slackHook.url}/services/T1/B1/secretpath` });
  await addApp(h.store, "teams", "teams", { url: `${fakes.teams.url}/workflows/secret` });
  await addApp(h.store, "crm", "hubspot", { token: HUBSPOT_TOKEN }, fakes.hubspot.url);
  await addApp(h.store, "chimp", "mailchimp", { apiKey: MAILCHIMP_KEY }, fakes.mailchimp.url);
});
after(async () => {
  for (const f of Object.values(fakes)) await f.close();
  await h.close();
});

test("sms.send posts a form to Twilio's Messages resource with Basic auth; sid and status come back", async () => {
  const out = await runStep(clients, "sms.send", { to: "+61 412 345 678", body: "See you at 9am" });
  assert.deepEqual(out, { sid: `SM${"1".padStart(32, "0")}`, status: "queued", to: "+61412345678" });
  const call = fakes.twilio!.calls.at(-1)!;
  assert.equal(call.method, "POST");
  assert.equal(call.path, `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  assert.match(String(call.headers["content-type"]), /application\/x-www-form-urlencoded/);
  assert.deepEqual(call.body, { To: "+61412345678", Body: "See you at 9am", From: "+61400000000" });
});

test("sms.send refuses a number that is not E.164 before calling Twilio; Twilio's 400 keeps its message and code", async () => {
  const calls = fakes.twilio!.calls.length;
  await assert.rejects(runStep(clients, "sms.send", { to: "0412 345 678", body: "x" }), /international form/);
  assert.equal(fakes.twilio!.calls.length, calls);
  await assert.rejects(runStep(clients, "sms.send", { to: "+15005550001", body: "x" }), (err: unknown) => {
    assert.ok(err instanceof AppError && !err.transient);
    assert.match(
      err.message,
      /Twilio refused the request \(400\): The 'To' number \+15005550001 is not a valid phone number\. \(Twilio error 21211\)/,
    );
    return true;
  });
});

test("a 429 is transient and holds the connection's limiter for Retry-After; a 5xx is transient", async () => {
  fakes.twilio!.failNext({
    status: 429,
    headers: { "retry-after": "1" },
    body: { code: 20429, message: "Too Many Requests", status: 429 },
  });
  await assert.rejects(
    runStep(clients, "sms.send", { to: "+61412345678", body: "x" }),
    (err: unknown) => err instanceof AppError && err.transient && err.code === "rate_limited",
  );
  const t0 = Date.now();
  await runStep(clients, "sms.send", { to: "+61412345678", body: "after the wait" });
  assert.ok(Date.now() - t0 >= 900, "the next send waited for Retry-After");
  fakes.twilio!.failNext({ status: 503, body: { code: 20500, message: "Service unavailable", status: 503 } });
  await assert.rejects(
    runStep(clients, "sms.send", { to: "+61412345678", body: "x" }),
    (err: unknown) => err instanceof AppError && err.transient && !err.maybeSent,
  );
});

test("slack.post_message calls chat.postMessage with the bot token; ok:false with HTTP 200 fails with Slack's error", async () => {
  const out = await runStep(
    clients,
    "slack.post_message",
    { channel: "#front-desk", text: "Slot free at 3pm", threadTs: "1712345600.000100" },
    "slack",
  );
  assert.equal((out as { ok: boolean }).ok, true);
  const call = fakes.slack!.calls.at(-1)!;
  assert.equal(call.path, "/api/chat.postMessage");
  assert.equal(call.headers.authorization, `Bearer ${SLACK_TOKEN}`);
  const body = call.body as Record<string, string>;
  assert.equal(body.channel, "#front-desk");
  assert.equal(body.text, "Slot free at 3pm");
  assert.equal(body.thread_ts, "1712345600.000100");
  await assert.rejects(
    runStep(clients, "slack.post_message", { channel: "#nowhere", text: "x" }, "slack"),
    /Slack refused the message: channel_not_found/,
  );
});

test("Slack paces one message per second per channel", async () => {
  const t0 = Date.now();
  for (let i = 0; i < 3; i++)
    await runStep(clients, "slack.post_message", { channel: "#pace", text: `m${i}` }, "slack");
  assert.ok(Date.now() - t0 >= 1900, `3 messages to one channel took ${Date.now() - t0} ms`);
});

test("slack.post_message through an incoming webhook posts JSON to the webhook URL", async () => {
  await runStep(clients, "slack.post_message", { text: "Hello from the webhook" }, "hook");
  const call = fakes.slackHook!.calls.at(-1)!;
  assert.equal(call.method, "POST");
  assert.equal(call.path, "/services/T1/B1/secretpath");
  assert.deepEqual(call.body, { text: "Hello from the webhook" });
});

test("teams.post_message posts an Adaptive Card message", async () => {
  await runStep(clients, "teams.post_message", { title: "Cancelled", text: "Appointment 42 at 3pm" });
  const body = fakes.teams!.calls.at(-1)!.body as {
    type: string;
    attachments: { contentType: string; content: { body: { text: string }[] } }[];
  };
  assert.equal(body.type, "message");
  assert.equal(body.attachments[0]!.contentType, "application/vnd.microsoft.card.adaptive");
  assert.deepEqual(
    body.attachments[0]!.content.body.map((b) => b.text),
    ["Cancelled", "Appointment 42 at 3pm"],
  );
});

test("hubspot.upsert_contact creates, then on HubSpot's 409 updates by email; add_note associates the note", async () => {
  const first = await runStep(clients, "hubspot.upsert_contact", { email: "wren@example.test", firstName: "Wren" });
  assert.deepEqual(first, { id: "100", created: true });
  const second = await runStep(clients, "hubspot.upsert_contact", { email: "wren@example.test", lastName: "Welcome" });
  assert.deepEqual(second, { id: "100", created: false });
  const patch = fakes.hubspot!.calls.at(-1)!;
  assert.equal(patch.method, "PATCH");
  assert.equal(patch.path, "/crm/v3/objects/contacts/wren%40example.test");
  assert.equal(patch.query.get("idProperty"), "email");
  const note = await runStep(clients, "hubspot.add_note", { email: "wren@example.test", body: "Booked first visit" });
  assert.deepEqual(note, { id: "9001", contactId: "100" });
  const body = fakes.hubspot!.calls.at(-1)!.body as {
    associations: { to: { id: string }; types: { associationTypeId: number }[] }[];
  };
  assert.equal(body.associations[0]!.to.id, "100");
  assert.equal(body.associations[0]!.types[0]!.associationTypeId, 202);
});

test("mailchimp.upsert_member PUTs the member at the MD5 of the email and adds tags; 404 keeps Mailchimp's detail", async () => {
  const out = await runStep(clients, "mailchimp.upsert_member", {
    audienceId: "aud123",
    email: "Wren@Example.test",
    mergeFields: { FNAME: "Wren" },
    tags: ["new-patient"],
  });
  assert.deepEqual(out, { id: subscriberHash("wren@example.test"), status: "subscribed" });
  const [put, tags] = fakes.mailchimp!.calls.slice(-2);
  assert.equal(put!.method, "PUT");
  assert.equal(put!.path, `/3.0/lists/aud123/members/${subscriberHash("wren@example.test")}`);
  assert.deepEqual(put!.body, {
    email_address: "Wren@Example.test",
    status_if_new: "subscribed",
    merge_fields: { FNAME: "Wren" },
  });
  assert.deepEqual(tags!.body, { tags: [{ name: "new-patient", status: "active" }] });
  await assert.rejects(
    runStep(clients, "mailchimp.upsert_member", { audienceId: "nope", email: "a@b.test" }),
    /Mailchimp refused the request \(404\): Resource Not Found: The requested resource could not be found\./,
  );
});

test("each kind's test call talks to its vendor", async () => {
  assert.match(await appConnectionKind("twilio").test(await clients.app("sms", ["twilio"])), /Harbour Physio/);
  assert.match(await appConnectionKind("slack").test(await clients.app("slack", ["slack"])), /Harbour Physio/);
  assert.match(await appConnectionKind("hubspot").test(await clients.app("crm", ["hubspot"])), /read contacts/);
  assert.match(await appConnectionKind("mailchimp").test(await clients.app("chimp", ["mailchimp"])), /Chimpy/);
});

test("secrets are stored encrypted, and listings carry only the non-secret settings", async () => {
  const list = await h.store.connections.list();
  const text = JSON.stringify(list);
  for (const secret of [TWILIO_TOKEN, SLACK_TOKEN, HUBSPOT_TOKEN, MAILCHIMP_KEY, "secretpath"])
    assert.ok(!text.includes(secret), secret);
  assert.deepEqual(list.find((c) => c.name === "sms")!.settings, { accountSid: TWILIO_SID, from: "+61400000000" });
});
