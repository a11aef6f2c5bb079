/**
 * A refused switch-on keeps a draft, not a version: a change that would break a live workflow is
 * refused with its fields as before, the typed definition is kept as the workflow's draft (shown by
 * GET, flagged in the list, discarded by a route), no version is made, and the engine goes on
 * running the live version. A brand-new workflow refused at creation is not created.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };

type Issue = { path: string; message: string; where?: string };
type View = {
  id: string;
  enabled: boolean;
  version: number;
  hasDraft: boolean;
  definition: unknown;
  draft: { definition: unknown; savedAt: string } | null;
};
type Refusal = { error: string; message: string; details: Issue[]; draftKept?: boolean };

const live = (name: string) => ({
  name,
  trigger: { key: "webhook" },
  steps: [{ id: "check", action: "filter", input: { condition: "{{ trigger.body.go = 1 }}" } }],
});
/** The live workflow with a step added whose connection does not exist: it could not run. */
const broken = (name: string) => ({
  ...live(name),
  steps: [
    ...live(name).steps,
    { id: "alert", action: "create_medical_alert", connection: "nowhere", input: { patient_id: "1", name: "x" } },
  ],
});

describe("drafts", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack({ engine: true });
    cookie = await s.login();
  });
  after(() => s.stop());

  const get = async (id: string) => (await s.call("GET", `/api/workflows/${id}`, { cookie })).json as View;
  const versions = async (id: string) =>
    ((await s.call("GET", `/api/workflows/${id}/versions`, { cookie })).json as unknown[]).length;

  test("a change that breaks a live workflow is kept as its draft; the live version still runs", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: live("Live intake"), enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as View).id;

    const put = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: broken("Live intake") },
    });
    assert.equal(put.status, 422, put.text);
    const refusal = put.json as Refusal;
    assert.equal(refusal.error, "not_activatable");
    assert.equal(refusal.draftKept, true);
    assert.match(refusal.message, /kept as a draft; version 1 still runs/);
    const issue = refusal.details.find((d) => d.path === "steps[1].connection");
    assert.ok(issue, put.text);
    assert.equal(issue.where, "Step 2");

    const view = await get(id);
    assert.deepEqual([view.enabled, view.version, view.hasDraft], [true, 1, true]);
    assert.deepEqual(view.definition, live("Live intake"));
    assert.deepEqual(view.draft?.definition, broken("Live intake"));
    assert.ok(Date.parse(view.draft?.savedAt ?? "") > 0, JSON.stringify(view.draft));
    assert.equal(await versions(id), 1, "no new version");
    const list = (await s.call("GET", "/api/workflows", { cookie })).json as View[];
    assert.equal(list.find((w) => w.id === id)?.hasDraft, true);

    // The engine runs version 1: one step, never the draft's second one.
    const path = ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path;
    const posted = await s.call("POST", path, { body: { go: 1 } });
    assert.equal(posted.status, 202, posted.text);
    const runId = (posted.json as { runId: string }).runId;
    let run: { status: string; version: number; steps: { stepId: string }[] } | undefined;
    for (let i = 0; i < 100; i++) {
      run = (await s.call("GET", `/api/runs/${runId}`, { cookie })).json as typeof run;
      if (run && run.status !== "queued" && run.status !== "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(run?.status, "succeeded", JSON.stringify(run));
    assert.equal(run?.version, 1);
    assert.deepEqual(
      run?.steps.map((x) => x.stepId),
      ["check"],
    );

    // A change that can run is saved as version 2 and clears the draft.
    const fixed = { ...live("Live intake"), steps: [{ ...live("x").steps[0]!, id: "still" }] };
    const saved = await s.call("PUT", `/api/workflows/${id}`, { cookie, headers: WRITE, body: { definition: fixed } });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual([(saved.json as View).version, (saved.json as View).draft], [2, null]);
    assert.equal((await get(id)).hasDraft, false);
  });

  test("a draft is discarded by its route; the versions stay", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: live("Discarded"), enabled: true },
    });
    const id = (created.json as View).id;
    await s.call("PUT", `/api/workflows/${id}`, { cookie, headers: WRITE, body: { definition: broken("Discarded") } });
    assert.equal((await get(id)).hasDraft, true);
    const gone = await s.call("DELETE", `/api/workflows/${id}/draft`, { cookie, headers: WRITE });
    assert.equal(gone.status, 204, gone.text);
    const view = await get(id);
    assert.deepEqual([view.draft, view.hasDraft, view.version, view.enabled], [null, false, 1, true]);
    assert.deepEqual(view.definition, live("Discarded"));
  });

  test("switching on a workflow that is off with a change it cannot run keeps the draft and leaves it off", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: live("Off") },
    });
    const id = (created.json as View).id;
    const put = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: broken("Off"), enabled: true },
    });
    assert.equal(put.status, 422, put.text);
    assert.equal((put.json as Refusal).draftKept, true);
    assert.match((put.json as Refusal).message, /kept as a draft; it stays off/);
    const view = await get(id);
    assert.deepEqual([view.enabled, view.version, await versions(id)], [false, 1, 1]);
    assert.deepEqual(view.draft?.definition, broken("Off"));

    // With a change it can run, the same request saves version 2 and switches it on.
    const on = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: { ...live("Off"), steps: [{ ...live("x").steps[0]!, id: "on" }] }, enabled: true },
    });
    assert.equal(on.status, 200, on.text);
    assert.deepEqual([(on.json as View).enabled, (on.json as View).version, (on.json as View).draft], [true, 2, null]);
  });

  test("a new workflow refused at creation is not created, and says no draft was kept", async () => {
    const post = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: broken("Never"), enabled: true },
    });
    assert.equal(post.status, 422, post.text);
    assert.equal((post.json as Refusal).draftKept, false);
    assert.equal((await s.call("GET", "/api/workflows/Never", { cookie })).status, 404);
  });
});
