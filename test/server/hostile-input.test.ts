/**
 * Bad input gets a 4xx in the one error shape, never a 500 or a stack trace: JSON nested
 * thousands of levels deep (on /hooks/<token>, which needs no login, and on workflow create and
 * validate), and names carrying NUL bytes or control characters, refused at the field.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MAX_JSON_DEPTH } from "../../src/server/json-body.ts";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };
const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
const workflowBody = (condition: string, name = "Deep") =>
  `{"definition":{"name":"${name}","trigger":{"key":"webhook"},"steps":[{"id":"a","action":"filter","input":{"condition":${condition}}}]}}`;

type ErrorBody = { statusCode: number; error: string; message: string; details?: { path: string; message: string }[] };

function assertClear400(res: { status: number; json: unknown; text: string }, what: string) {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  const body = res.json as ErrorBody;
  assert.equal(body.statusCode, 400);
  assert.ok(!/\n\s+at /.test(res.text), `${what}: no stack trace`);
  assert.ok(body.message.length < 300, `${what}: one sentence`);
  return body;
}

describe("hostile input", () => {
  let s: Stack;
  let cookie: string;
  let hook: string;

  before(async () => {
    s = await startStack();
    cookie = await s.login();
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: {
        definition: {
          name: "Inbound",
          trigger: { key: "webhook" },
          steps: [{ id: "a", action: "filter", input: { condition: "{{ true }}" } }],
        },
        enabled: true,
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    hook = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;
  });
  after(() => s.stop());

  for (const levels of [4_500, 100_000]) {
    test(`JSON nested ${levels} levels deep: 400 on /hooks, workflow create and validate`, async () => {
      const onHook = assertClear400(await s.call("POST", hook, { body: `{"a":${nested(levels)}}` }), "webhook");
      assert.equal(onHook.error, "too_deeply_nested");
      assert.match(onHook.message, new RegExp(`more than ${MAX_JSON_DEPTH} levels`));
      // No login needed to be refused, and nothing was queued.
      assert.equal((await s.call("POST", "/hooks/not-a-token", { body: nested(levels) })).status, 400);
      for (const path of ["/api/workflows", "/api/workflows/validate"]) {
        const res = await s.call("POST", path, { cookie, headers: WRITE, body: workflowBody(nested(levels)) });
        assert.equal(assertClear400(res, path).error, "too_deeply_nested");
      }
      assert.equal((await s.store.runs.list()).length, 0);
    });
  }

  test("ordinary nesting still works: a webhook payload 50 levels deep queues a run", async () => {
    const res = await s.call("POST", hook, { body: `{"a":${nested(50)}}` });
    assert.equal(res.status, 202, res.text);
  });

  const badNames = ["bad\u0000name", "tab\there", "line\nbreak", "bell\u0007", "del\u007f", "c1\u0085", "ls\u2028"];

  test("workflow names with NUL or control characters: 400 at definition.name (create and update)", async () => {
    for (const name of badNames) {
      const body = {
        definition: {
          name,
          trigger: { key: "webhook" },
          steps: [{ id: "a", action: "filter", input: { condition: "{{ true }}" } }],
        },
      };
      const created = assertClear400(await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body }), name);
      assert.equal(created.error, "validation_failed");
      assert.deepEqual(
        created.details?.map((d) => d.path),
        ["body/definition/name"],
      );
      assert.match(created.message, /control characters/);
      const updated = await s.call("PUT", "/api/workflows/Inbound", { cookie, headers: WRITE, body });
      assert.equal(assertClear400(updated, name).details?.[0]?.path, "body/definition/name");
    }
    assert.deepEqual(
      (await s.store.workflows.list()).map((w) => w.name),
      ["Inbound"],
    );
  });

  test("connection and API token names with NUL or control characters: 400 at name", async () => {
    for (const name of badNames) {
      const connection = await s.call("POST", "/api/connections", {
        cookie,
        headers: WRITE,
        body: { name, apiKey: s.sandbox.apiKey, email: "ops@clinic.test", baseUrl: s.sandbox.baseUrl },
      });
      assert.equal(assertClear400(connection, name).details?.[0]?.path, "body/name");
      const token = await s.call("POST", "/api/tokens", { cookie, headers: WRITE, body: { name } });
      const body = assertClear400(token, name);
      assert.equal(body.details?.[0]?.path, "body/name");
      assert.match(body.message, /control characters/);
    }
    assert.equal((await s.store.connections.list()).length, 0);
    assert.equal((await s.call("GET", "/api/tokens", { cookie })).text, "[]");
  });
});
