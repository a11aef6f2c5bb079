/**
 * `metadataOnly` is part of the definition everywhere: created or replaced through the API it is
 * stored as sent (a PUT without it turns it off, as a definition's other fields), exported with
 * the definition, and a run of such a workflow keeps no payload and says so in the run view.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-requested-with": "cliniko-flow" };

describe("metadataOnly through the API", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack({ engine: true });
    cookie = await s.login();
  });
  after(() => s.stop());

  const definition = (metadataOnly?: boolean) => ({
    name: "Private intake",
    ...(metadataOnly === undefined ? {} : { metadataOnly }),
    trigger: { key: "webhook" },
    steps: [{ id: "echo", action: "filter", input: { condition: "{{ $exists(trigger.body.email) }}" } }],
  });

  test("POST and PUT store the flag; the run keeps no payload and the run view says so", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: definition(true), enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string; definition: { metadataOnly?: boolean } }).id;
    assert.equal((created.json as { definition: { metadataOnly?: boolean } }).definition.metadataOnly, true);
    assert.equal((await s.store.workflows.get(Number(id))).metadataOnly, true, "stored as sent");

    const path = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;
    const post = await s.call("POST", path, { body: { email: "jo.patient@example.com" } });
    assert.equal(post.status, 202, post.text);
    const runId = (post.json as { runId: string }).runId;
    let view: { status: string; payload: unknown; dataNotKept: string | null; steps: { input: unknown }[] } | undefined;
    for (let i = 0; i < 100; i++) {
      view = (await s.call("GET", `/api/runs/${runId}`, { cookie })).json as typeof view;
      if (view && view.status !== "queued" && view.status !== "running") break;
      await sleep(100);
    }
    assert.equal(view?.status, "succeeded");
    assert.equal(view?.payload, null, "no trigger payload kept");
    assert.ok(view?.steps.every((st) => st.input === null));
    assert.match(view?.dataNotKept ?? "", /metadata only/);
    const raw = (await s.call("GET", `/api/runs/${runId}`, { cookie })).text;
    assert.ok(!raw.includes("jo.patient"), "the email is nowhere in the run view");

    // PUT replaces the definition: without the flag, it is off; with it, on again.
    const off = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: definition() },
    });
    assert.equal(off.status, 200, off.text);
    assert.equal((await s.store.workflows.get(Number(id))).metadataOnly, false);
    const on = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: definition(true) },
    });
    assert.equal(on.status, 200, on.text);
    assert.equal((await s.store.workflows.get(Number(id))).metadataOnly, true);
    const got = (await s.call("GET", `/api/workflows/${id}`, { cookie })).json as {
      definition: { metadataOnly?: boolean };
    };
    assert.equal(got.definition.metadataOnly, true, "the definition read back (and exported) carries it");
  });
});
