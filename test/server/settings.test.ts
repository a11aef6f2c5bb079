/**
 * Settings a practice manager sets in the web UI, read by templates as `env.FLOW_…`: a template
 * reading one nobody set cannot be switched on (the refusal names it) and can once it is saved;
 * a secret is stored encrypted, never listed, and cut out of run records; a run whose setting was
 * removed fails naming it; an environment variable of the same name wins.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };
const SECRET_PATH = "T0K3N-hooks-secret-path-4821";

describe("settings", () => {
  let s: Stack;
  let cookie: string;
  let hookServer: Server;
  let hookUrl: string;
  const received: string[] = [];

  before(async () => {
    s = await startStack({ engine: true });
    cookie = await s.login();
    await s.connectSandbox(cookie, "clinic");
    hookServer = createServer((req, res) => {
      received.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    hookServer?.close();
    await s?.stop();
  });

  const put = (name: string, value: string, secret = false) =>
    s.call("PUT", `/api/settings/${name}`, { cookie, headers: WRITE, body: { value, secret } });

  test("a template reading an unset setting is refused naming it, and switches on once it is saved", async () => {
    const imported = await s.call("POST", "/api/templates/cancelled-appointment-front-desk/import", {
      cookie,
      headers: WRITE,
      body: { connection: "clinic" },
    });
    assert.equal(imported.status, 201, imported.text);
    const id = (imported.json as { id: string }).id;

    const listed = (await s.call("GET", "/api/settings", { cookie })).json as {
      missing: { name: string; workflows: string[] }[];
    };
    assert.deepEqual(
      listed.missing.map((m) => m.name),
      ["FLOW_FRONT_DESK_WEBHOOK_URL"],
    );

    const refused = await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
    assert.equal(refused.status, 422, refused.text);
    const details = (refused.json as { details: { path: string; message: string }[] }).details;
    assert.ok(
      details.some((d) => /The setting FLOW_FRONT_DESK_WEBHOOK_URL is not set/.test(d.message)),
      refused.text,
    );

    const saved = await put("FLOW_FRONT_DESK_WEBHOOK_URL", `${hookUrl}/front-desk`);
    assert.equal(saved.status, 200, saved.text);
    const on = await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
    assert.equal(on.status, 200, on.text);
    assert.equal((on.json as { enabled: boolean }).enabled, true);
    const after = (await s.call("GET", "/api/settings", { cookie })).json as { missing: unknown[] };
    assert.deepEqual(after.missing, []);
  });

  test("names are FLOW_ and capitals; a value is required", async () => {
    assert.equal((await put("front_desk", "x")).status, 400);
    assert.equal((await put("FLOW_OK", "")).status, 400);
    assert.equal((await s.call("DELETE", "/api/settings/FLOW_NEVER_SET", { cookie, headers: WRITE })).status, 404);
  });

  test("a secret is encrypted at rest, never listed, and cut out of run records; removing it fails the run naming it", async () => {
    const saved = await put("FLOW_PARTNER_ADDRESS", `${hookUrl}/${SECRET_PATH}`, true);
    assert.equal(saved.status, 200, saved.text);
    assert.equal((saved.json as { value: unknown }).value, null);
    const listed = await s.call("GET", "/api/settings", { cookie });
    assert.ok(!listed.text.includes(SECRET_PATH), "never listed");
    const row = await s.store.database.db
      .selectFrom("workflow_settings")
      .selectAll()
      .where("name", "=", "FLOW_PARTNER_ADDRESS")
      .executeTakeFirstOrThrow();
    assert.ok(!row.value.includes(SECRET_PATH), "encrypted at rest");

    const definition = {
      name: "Post to the secret hook",
      trigger: { key: "webhook" },
      steps: [
        {
          id: "post",
          action: "http.request",
          input: { method: "POST", url: "{{ env.FLOW_PARTNER_ADDRESS }}", json: { hello: "{{ trigger.body.name }}" } },
        },
      ],
    };
    const created = await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    assert.equal(
      (await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} })).status,
      200,
    );
    const path = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;

    const finished = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const runs = await s.store.runs.list({ workflowId: Number(id) });
        const done = runs.filter((r) => r.status !== "queued" && r.status !== "running");
        if (done.length >= n) return runs;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the run did not finish");
    };

    assert.equal((await s.call("POST", path, { body: { name: "Jo" } })).status, 202);
    const [first] = await finished(1);
    assert.equal(first!.status, "succeeded", first!.error ?? "");
    assert.ok(received.includes(`/${SECRET_PATH}`), "the step used the real value");
    const run = await s.call("GET", `/api/runs/${first!.id}`, { cookie });
    assert.ok(!run.text.includes(SECRET_PATH), "the run record keeps no secret value");

    assert.equal(
      (await s.call("DELETE", "/api/settings/FLOW_PARTNER_ADDRESS", { cookie, headers: WRITE })).status,
      204,
    );
    assert.equal((await s.call("POST", path, { body: { name: "Sam" } })).status, 202);
    const runs = await finished(2);
    const failed = runs.find((r) => r.id !== first!.id)!;
    assert.equal(failed.status, "failed");
    assert.match(failed.error ?? "", /The setting FLOW_PARTNER_ADDRESS is not set: add it under Settings/);

    // The workflows list says how its runs went: the last one failed, one of two.
    const list = (await s.call("GET", "/api/workflows", { cookie })).json as {
      id: string;
      health?: { lastRun: { id: string; status: string; at: string | null } | null; runs: number; failed: number };
    }[];
    const health = list.find((w) => w.id === id)?.health;
    assert.equal(health?.lastRun?.id, String(failed.id));
    assert.equal(health?.lastRun?.status, "failed");
    assert.equal(health?.runs, 2);
    assert.equal(health?.failed, 1);
  });
});
