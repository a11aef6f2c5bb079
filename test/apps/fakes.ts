/**
 * Local fakes of the vendors' APIs, written from their public references: the paths, auth
 * schemes, body encodings and success/error shapes the real services use. Test tree only.
 */
import { type FakeCall, type FakeVendor, fakeVendor } from "./fake-vendor.ts";

export const TWILIO_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const TWILIO_TOKEN = "twilio-auth-token-9f8e7d";

/** Twilio: POST /2010-04-01/Accounts/{Sid}/Messages.json, form-encoded, Basic SID:token; 201 with the message. */
export function twilioFake(): Promise<FakeVendor> {
  const basic = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString("base64")}`;
  let n = 0;
  return fakeVendor((call: FakeCall) => {
    if (call.headers.authorization !== basic)
      return {
        status: 401,
        body: {
          code: 20003,
          message: "Authenticate",
          more_info: "https://www.twilio.com/docs/errors/20003",
          status: 401,
        },
      };
    if (call.method === "GET" && call.path === `/2010-04-01/Accounts/${TWILIO_SID}.json`)
      return { body: { sid: TWILIO_SID, friendly_name: "Harbour Physio", status: "active" } };
    if (call.method === "POST" && call.path === `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`) {
      const form = call.body as Record<string, string>;
      if (form.To === "+15005550001")
        return {
          status: 400,
          body: {
            code: 21211,
            message: `The 'To' number ${form.To} is not a valid phone number.`,
            more_info: "https://www.twilio.com/docs/errors/21211",
            status: 400,
          },
        };
      n++;
      return {
        status: 201,
        body: {
          sid: `SM${String(n).padStart(32, "0")}`,
          status: "queued",
          to: form.To,
          from: form.From ?? null,
          body: form.Body,
          messaging_service_sid: form.MessagingServiceSid ?? null,
        },
      };
    }
    return { status: 404, body: { code: 20404, message: "The requested resource was not found", status: 404 } };
  });
}

export const SLACK_TOKEN = "xoxb-1111-2222-secretslacktoken";

/** Slack Web API: POST /api/{method} with a Bearer token; always 200, `ok: false` with an error code on failure. */
export function slackFake(): Promise<FakeVendor> {
  let ts = 1712345678;
  return fakeVendor((call) => {
    if (call.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return { body: { ok: false, error: "invalid_auth" } };
    const body = call.body as Record<string, string>;
    if (call.path === "/api/auth.test")
      return { body: { ok: true, team: "Harbour Physio", user: "flowbot", team_id: "T1" } };
    if (call.path === "/api/chat.postMessage") {
      if (body.channel === "#nowhere") return { body: { ok: false, error: "channel_not_found" } };
      return { body: { ok: true, channel: "C0FRONTDESK", ts: `${ts++}.000100`, message: { text: body.text } } };
    }
    return { body: { ok: false, error: "unknown_method" } };
  });
}

/** Slack/Teams incoming webhooks: POST JSON to the URL; Slack answers "ok" (text), Teams 202. */
export function webhookFake(answer: { status: number; body: string }): Promise<FakeVendor> {
  return fakeVendor(() => answer);
}

export const HUBSPOT_TOKEN = "pat-na1-secret-hubspot-token";

/** HubSpot CRM v3: Bearer token; POST a contact answers 409 when the email exists; PATCH by email with idProperty. */
export function hubspotFake(): Promise<FakeVendor> {
  const contacts = new Map<string, { id: string; properties: Record<string, unknown> }>();
  let next = 100;
  return fakeVendor((call) => {
    if (call.headers.authorization !== `Bearer ${HUBSPOT_TOKEN}`)
      return {
        status: 401,
        body: { status: "error", message: "Authentication credentials not found.", category: "INVALID_AUTHENTICATION" },
      };
    const body = call.body as { properties: Record<string, string> };
    if (call.method === "GET" && call.path === "/crm/v3/objects/contacts") return { body: { results: [] } };
    if (call.method === "POST" && call.path === "/crm/v3/objects/contacts") {
      const existing = contacts.get(body.properties.email!);
      if (existing)
        return {
          status: 409,
          body: {
            status: "error",
            message: `Contact already exists. Existing ID: ${existing.id}`,
            category: "CONFLICT",
          },
        };
      const c = { id: String(next++), properties: body.properties };
      contacts.set(body.properties.email!, c);
      return { status: 201, body: c };
    }
    const byEmail = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(call.path);
    if (byEmail && call.query.get("idProperty") === "email") {
      const c = contacts.get(decodeURIComponent(byEmail[1]!));
      if (!c)
        return { status: 404, body: { status: "error", message: "Object not found.", category: "OBJECT_NOT_FOUND" } };
      if (call.method === "PATCH") Object.assign(c.properties, body.properties);
      return { body: c };
    }
    if (call.method === "POST" && call.path === "/crm/v3/objects/notes") return { status: 201, body: { id: "9001" } };
    return { status: 404, body: { status: "error", message: "Not found" } };
  });
}

export const MAILCHIMP_KEY = `${"ab12".repeat(8)}-us21`;

/** Mailchimp Marketing API 3.0: Basic any:key; PUT members/{md5}; POST …/tags answers 204; errors are problem documents. */
export function mailchimpFake(): Promise<FakeVendor> {
  return fakeVendor((call) => {
    const basic = `Basic ${Buffer.from(`cliniko-flow:${MAILCHIMP_KEY}`).toString("base64")}`;
    if (call.headers.authorization !== basic)
      return {
        status: 401,
        body: {
          type: "https://mailchimp.com/developer/marketing/docs/errors/",
          title: "API Key Invalid",
          status: 401,
          detail: "Your API key may be invalid.",
        },
      };
    if (call.path === "/3.0/ping") return { body: { health_status: "Everything's Chimpy!" } };
    const member = /^\/3\.0\/lists\/([^/]+)\/members\/([0-9a-f]{32})(\/tags)?$/.exec(call.path);
    if (member && member[1] !== "aud123")
      return {
        status: 404,
        body: { title: "Resource Not Found", status: 404, detail: "The requested resource could not be found." },
      };
    if (member && call.method === "PUT") {
      const b = call.body as { email_address: string; status_if_new: string };
      return { body: { id: member[2], email_address: b.email_address, status: b.status_if_new } };
    }
    if (member?.[3] && call.method === "POST") return { status: 204, body: "" };
    return { status: 404, body: { title: "Resource Not Found", status: 404 } };
  });
}
