import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../src/log.ts";

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => lines.push(s) } });
  return { logger, text: () => lines.join("") };
}

test("credentials are censored wherever a log call could carry them", () => {
  const { logger, text } = capture();
  const secret = (n: number) => `SECRET-${n}-do-not-log`;
  logger.info({ apiKey: secret(1) }, "top level");
  logger.info({ connection: { name: "main", apiKey: secret(2) } }, "a connection");
  logger.info({ job: { connection: { settings: { apiKey: secret(3) } } } }, "a connection inside a job");
  logger.info({ options: { headers: { Authorization: `Basic ${secret(4)}` } } }, "request options");
  logger.info({ req: { headers: { authorization: `Bearer ${secret(5)}`, cookie: secret(6) } } }, "a request");
  logger.info({ res: { headers: { "set-cookie": secret(7) } } }, "a response");
  const err = Object.assign(new Error("failed"), {
    detail: { password: secret(8) },
    options: { headers: { "x-api-key": secret(9) } },
  });
  logger.error({ err }, "error details");
  logger.info({ env: { DATABASE_URL: `postgres://u:${secret(10)}@db/x`, CLINIKO_FLOW_SECRET: secret(11) } }, "env");
  logger.info({ hook: { token: secret(12) }, stored: { api_key_enc: secret(13) } }, "tokens");
  const out = text();
  for (let n = 1; n <= 13; n++) assert.ok(!out.includes(secret(n)), `secret ${n} reached the log:\n${out}`);
  assert.equal((out.match(/\[redacted\]/g) ?? []).length, 13);
  assert.match(out, /"name":"main"/, "other fields stay readable");
});

test("an error's input and the URLs in its text never reach the log whole", () => {
  const { logger, text } = capture();
  const hook = "https://hooks.slack.com:99999/services/T000/B000/SECRETPATHxyz";
  let parseError: unknown;
  try {
    new URL(hook);
  } catch (err) {
    parseError = err;
  }
  assert.equal((parseError as { input?: string }).input, hook, "Node's TypeError carries the whole URL");
  logger.error({ err: parseError }, "request failed");
  logger.error({ err: new Error(`POST ${hook.replace(":99999", "")}?patient=Jo failed: ECONNRESET`) }, "send failed");
  logger.warn({ request: { url: hook } }, "a request");
  const out = text();
  assert.ok(!out.includes("SECRETPATH"), out);
  assert.ok(!out.includes("patient=Jo"), out);
  assert.match(out, /https:\/\/hooks\.slack\.com\/\[redacted\]/, "the origin stays, to tell what failed");
});
