/**
 * A workflow's draft (migration 0015), on SQLite and PostgreSQL: kept beside the versions without
 * making one, never what runs (listActive and the current definition stay the version), replaced
 * by a newer draft, cleared by a saved version or by discarding it, and gone with the workflow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { onEveryStore } from "./on-every-store.ts";

const def = (name: string, text: string) => ({
  name,
  trigger: { key: "schedule", every: "1h" },
  steps: [{ id: "note", action: "log", input: { message: text } }],
});

onEveryStore("workflow drafts", (ctx) => {
  test("a kept draft is no version and never what runs", async () => {
    const { workflows } = ctx.store;
    const w = await workflows.save("drafted", def("drafted", "live"), { enabled: true });
    assert.equal(w.draft, null);
    const kept = await workflows.keepDraft(w.id, def("drafted", "typed"), "pm");
    assert.deepEqual(kept.draft?.definition, def("drafted", "typed"));
    assert.match(kept.draft?.savedAt ?? "", /^\d{4}-\d\d-\d\dT/);
    assert.equal(kept.version, 1);
    assert.deepEqual(kept.definition, def("drafted", "live"));
    assert.equal((await workflows.versions(w.id)).length, 1);
    const active = (await workflows.listActive()).find((a) => a.id === w.id);
    assert.deepEqual(active?.definition, def("drafted", "live"), "the runner reads the version, not the draft");
    assert.ok((await workflows.list()).find((l) => l.id === w.id)?.draft, "the list carries the draft");

    // A newer draft replaces the older one: one per workflow.
    await workflows.keepDraft(w.id, def("drafted", "typed again"));
    assert.deepEqual((await workflows.get(w.id)).draft?.definition, def("drafted", "typed again"));
  });

  test("saving a version clears the draft; so does discarding it", async () => {
    const { workflows } = ctx.store;
    const w = await workflows.save("cleared", def("cleared", "v1"), { enabled: false });
    await workflows.keepDraft(w.id, def("cleared", "typed"));
    const saved = await workflows.save("cleared", def("cleared", "v2"), { enabled: false });
    assert.equal(saved.version, 2);
    assert.equal(saved.draft, null);

    await workflows.keepDraft(w.id, def("cleared", "typed"));
    assert.equal(await workflows.discardDraft(w.id, "pm"), true);
    assert.equal((await workflows.get(w.id)).draft, null);
    assert.equal(await workflows.discardDraft(w.id), false, "nothing left to discard");
    assert.equal((await workflows.get(w.id)).version, 2);
  });

  test("switching on with a save (the editor's Save and activate) is in the audit log, as enable is", async () => {
    const { workflows, audit } = ctx.store;
    await workflows.save("audited", def("audited", "v1"), { enabled: false });
    await workflows.save("audited", def("audited", "v1"), { enabled: true, actor: "pm" });
    const [last] = await audit.list(1);
    assert.deepEqual([last?.action, last?.actor, last?.subject], ["workflow.enabled", "pm", "audited"]);
  });

  test("a draft goes with its workflow", async () => {
    const { workflows } = ctx.store;
    const w = await workflows.save("removed", def("removed", "v1"), { enabled: false });
    await workflows.keepDraft(w.id, def("removed", "typed"));
    assert.equal(await workflows.remove("removed"), true);
    assert.equal(await workflows.find(w.id), undefined);
  });
});
