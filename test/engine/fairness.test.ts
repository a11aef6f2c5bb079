/**
 * Fair claims (issue 23): one workflow flooded with runs whose expressions are slow but legal
 * never delays another workflow's runs, and none of the flood's runs fails its expression's time
 * limit only because it waited for a worker or for the CPU.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InProcessQueue } from "../../src/engine/queue.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import { type Harness, harness, receiver, runner, sleep, workflow } from "./helpers.ts";

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});

/** About 0.1 s of CPU per evaluation: legal (the limit is 1 s) but slow. */
const SLOW = "{{ $sum([1..30000].($ * 2)) > 0 }}";
const FLOOD = 60;

async function save(def: WorkflowDefinition) {
  return h.store.workflows.save(def.name, def);
}

test(`${FLOOD} runs of a workflow with slow expressions do not delay another workflow's run, and none fails for having waited`, async () => {
  const flood = await save(
    workflow({
      name: "flood",
      trigger: { key: "webhook" },
      steps: [{ id: "a", action: "filter", input: { condition: SLOW } }],
    }),
  );
  const quiet = await save(workflow({ name: "quiet", trigger: { key: "webhook" } }));
  const enqueue = (w: { id: number; version: number }, key: string) =>
    h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "webhook",
      eventKey: key,
      payload: {},
    });
  for (let i = 0; i < FLOOD; i++) await enqueue(flood, `flood-${i}`);
  const r = runner(h);
  const queue = new InProcessQueue(h.store, { concurrency: 4, pollMs: 50 });
  queue.start((run, owner, lease) => r.execute(run, owner, lease));
  try {
    // The flood is under way when the quiet workflow's runs arrive, one at a time.
    const quietRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(200);
      quietRuns.push(await enqueue(quiet, `quiet-${i}`));
      queue.notify();
    }
    await queue.drain();
    const runs = await h.store.runs.list({ limit: 1000 });
    const floodRuns = runs.filter((x) => x.workflowId === flood.id);
    assert.equal(floodRuns.length, FLOOD);
    assert.deepEqual(
      floodRuns.filter((x) => x.status !== "succeeded").map((x) => x.error),
      [],
      "no flood run fails (its expressions are legal)",
    );
    for (const id of quietRuns) {
      const q = runs.find((x) => x.id === id)!;
      assert.equal(q.status, "succeeded");
      // Oldest-first claims finished the quiet run after every flood run queued before it; fair
      // claims start it at once, while most of the flood still waits.
      const floodLeft = floodRuns.filter((x) => x.finishedAt! > q.finishedAt!).length;
      assert.ok(floodLeft >= FLOOD / 2, `quiet run ${id} finished with only ${floodLeft} of ${FLOOD} flood runs left`);
    }
  } finally {
    await queue.stop();
  }
});

test("a run submitted while a slot is free and nothing waits is inserted claimed and runs at once; otherwise it is left to the queue", async () => {
  const slow = await receiver(() => ({ delayMs: 400 }));
  const def = workflow({
    name: "submitted",
    trigger: { key: "webhook" },
    steps: [{ id: "call", action: "http.request", input: { method: "GET", url: `${slow.url}/x` } }],
  });
  const w = await save(def);
  const r = runner(h);
  const queue = new InProcessQueue(h.store, { concurrency: 2, pollMs: 50 });
  queue.start((run, owner, lease) => r.execute(run, owner, lease));
  const newRun = (i: number) => ({
    workflowId: w.id,
    workflowVersion: w.version,
    workflow: w.name,
    metadataOnly: false,
    triggerKey: "webhook",
    eventKey: `submitted-${i}`,
    payload: { body: { i } },
  });
  try {
    await queue.drain();
    const first = await queue.submit(newRun(1));
    assert.ok(first !== undefined, "started at once");
    const row = await h.store.runs.find(first);
    assert.equal(row?.status, "running");
    assert.equal(row?.leaseOwner, queue.owner);
    assert.equal(row?.leaseToken, 1, "its one claim");
    // Two slots, so a workflow holds at most one: the next one of it is left to the queue.
    assert.equal(await queue.submit(newRun(2)), undefined);
    // Something queued elsewhere (and announced): no run jumps ahead of it.
    await h.store.runs.enqueue({
      ...newRun(3),
      workflowId: (await save(workflow({ name: "other", trigger: { key: "webhook" } }))).id,
    });
    queue.notify();
    assert.equal(await queue.submit({ ...newRun(4), workflowId: -1 }), undefined);
    await queue.drain();
    const done = await h.store.runs.find(first);
    assert.equal(done?.status, "succeeded");
    assert.deepEqual(
      slow.calls.map((c) => c.path),
      ["/x"],
      "sent once",
    );
    assert.equal((await h.store.runs.steps(first)).length, 1);
  } finally {
    await queue.stop();
    await slow.close();
  }
});
