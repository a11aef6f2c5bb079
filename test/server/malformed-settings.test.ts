/**
 * A malformed app setting is a 400 naming the field, never a 500, and the value (an incoming-webhook
 * URL is a credential) appears neither in the answer nor in the server's log.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };
const lines: string[] = [];
let s: Stack;
let cookie: string;
before(async () => {
  s = await startStack({ logLines: lines });
  cookie = await s.login();
});
after(() => s.stop());

test("a Slack or Teams webhook URL with an impossible port answers 400, and the URL is nowhere", async () => {
  for (const [kind, url] of [
    ["slack-webhook", "https://hooks.slack.com:99999/services/T000/B000/SECRETPATHxyz"],
    ["teams", "https://example.webhook.office.com:70000/webhookb2/SECRETPATHxyz"],
    ["slack-webhook", "https://[hooks.slack.com/services/SECRETPATHxyz"],
  ]) {
    const res = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: `bad-${kind}`, kind, settings: { url } },
    });
    assert.equal(res.status, 400, `${kind}: ${res.text}`);
    assert.match((res.json as { message: string }).message, /url/i);
    assert.ok(!res.text.includes("SECRETPATH"), res.text);
  }
  const log = lines.join("");
  assert.ok(!log.includes("SECRETPATH"), `the log holds the secret URL:\n${log}`);
  assert.ok(!/"statusCode":500|internal_error/.test(s.bodies.join("\n")));
});
