/**
 * The `each` step: its items run with `item` and `index` in scope, each item's steps are journaled
 * under their own keys, a resumed run goes on at the item it stopped in without repeating a
 * finished item's write, and the step test walks loops the way a run does.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InProcessQueue } from "../../src/engine/queue.ts";
import type { Runner } from "../../src/engine/runner.ts";
import { StepTester } from "../../src/engine/step-test.ts";
import { validateWorkflow, type WorkflowDefinition } from "../../src/engine/workflow.ts";
import { executeRun, type Harness, harness, queueRun, receiver, runner, workflow } from "./helpers.ts";

let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
let answers: ((path: string) => { status?: number; body?: unknown; delayMs?: number }) | undefined;
before(async () => {
  h = await harness();
  hook = await receiver((req) => answers?.(req.url ?? "") ?? {});
});
after(async () => {
  await hook.close();
  await h.close();
});

const queue = (def: WorkflowDefinition, payload: unknown) => queueRun(h, def, payload);
const finish = (id: number, r?: Runner) => executeRun(h, id, r);

const loop = (steps: unknown[], input: Record<string, unknown> = {}) =>
  workflow({
    trigger: { key: "webhook" },
    steps: [
      { id: "loop", action: "each", input: { items: "{{ trigger.people }}", ...input }, steps },
      {
        id: "after",
        action: "http.request",
        input: {
          method: "PUT",
          url: `${hook.url}/after`,
          json: { n: "{{ steps.loop.count }}", ids: "{{ steps.loop.items.steps.send.body.id }}" },
        },
      },
    ] as WorkflowDefinition["steps"],
  });

const send = (extra: Record<string, unknown> = {}) => ({
  id: "send",
  action: "http.request",
  input: { method: "POST", url: `${hook.url}/p/{{ index }}`, json: { name: "{{ item.name }}", at: "{{ index }}" } },
  ...extra,
});

test("each runs its steps once per item with item and index, journals them per item and gives { count, items }", async () => {
  hook.calls.length = 0;
  answers = (path) => ({ body: { id: `r${path.split("/").pop()}` } });
  const people = [{ name: "Ada" }, { name: "Bo" }, { name: "Cy" }];
  const { run, steps } = await finish(await queue(loop([send()]), { people }));
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.deepEqual(
    hook.calls.map((c) => [c.method, c.path, c.body]),
    [
      ["POST", "/p/0", { name: "Ada", at: 0 }],
      ["POST", "/p/1", { name: "Bo", at: 1 }],
      ["POST", "/p/2", { name: "Cy", at: 2 }],
      ["PUT", "/after", { n: 3, ids: ["r0", "r1", "r2"] }],
    ],
  );
  assert.deepEqual(
    steps.map((s) => s.stepId),
    ["loop", "loop[0].send", "loop[1].send", "loop[2].send", "after"],
  );
  assert.deepEqual(steps[0]!.output, {
    count: 3,
    concurrency: 1,
    items: people.map((item, index) => ({ index, item })),
  });
});

test("the step test walks a loop as a run does and shows the loop's result", async () => {
  hook.calls.length = 0;
  answers = (path) => ({ body: { id: `t${path.split("/").pop()}` } });
  const tester = new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true });
  const result = await tester.workflow(loop([send()]), { people: [{ name: "Ada" }, { name: "Bo" }] });
  assert.equal(result.ok, true, JSON.stringify(result.steps.map((s) => s.error)));
  assert.deepEqual(
    result.steps.map((s) => s.stepId),
    ["loop", "loop[0].send", "loop[1].send", "after"],
  );
  const out = result.steps[0]!.output as { count: number; items: { index: number; steps: Record<string, unknown> }[] };
  assert.equal(out.count, 2);
  assert.deepEqual(
    out.items.map((i) => [i.index, (i.steps.send as { body: { id: string } }).body.id]),
    [
      [0, "t0"],
      [1, "t1"],
    ],
  );
  assert.deepEqual(hook.calls.at(-1)!.body, { n: 2, ids: ["t0", "t1"] });
});

test("a filter inside an item ends that item only; nested loops journal under both indexes", async () => {
  hook.calls.length = 0;
  answers = undefined;
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      {
        id: "outer",
        action: "each",
        input: { items: "{{ trigger.groups }}" },
        steps: [
          { id: "keep", action: "filter", input: { condition: "{{ item.keep }}" } },
          {
            id: "inner",
            action: "each",
            input: { items: "{{ item.names }}" },
            steps: [
              {
                id: "put",
                action: "http.request",
                input: { method: "PUT", url: `${hook.url}/g/{{ index }}`, json: { name: "{{ item }}" } },
              },
            ],
          },
        ],
      },
    ] as WorkflowDefinition["steps"],
  });
  const { run, steps } = await finish(
    await queue(def, {
      groups: [
        { keep: true, names: ["a", "b"] },
        { keep: false, names: ["x"] },
        { keep: true, names: ["c"] },
      ],
    }),
  );
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.deepEqual(
    hook.calls.map((c) => (c.body as { name: string }).name),
    ["a", "b", "c"],
  );
  assert.ok(steps.some((s) => s.stepId === "outer[0].inner[1].put"));
  assert.ok(steps.some((s) => s.stepId === "outer[2].inner[0].put"));
  assert.ok(!steps.some((s) => s.stepId.startsWith("outer[1].inner")));
});

test("concurrency runs up to that many items at once, and the results keep the list's order", async () => {
  hook.calls.length = 0;
  let inFlight = 0;
  let most = 0;
  answers = (path) => {
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => inFlight--, 45);
    return { delayMs: 50, body: { id: path } };
  };
  const people = Array.from({ length: 9 }, (_, i) => ({ name: `P${i}` }));
  const { run } = await finish(
    await queue(loop([{ ...send(), input: { ...send().input, method: "PUT" } }], { concurrency: 3 }), { people }),
  );
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.ok(most >= 2 && most <= 3, `at most 3 at once (saw ${most})`);
  const after = hook.calls.find((c) => c.path === "/after")!;
  assert.deepEqual(
    (after.body as { ids: string[] }).ids,
    people.map((_, i) => `/p/${i}`),
  );
});

test("a list longer than max, or not a list, fails the step with a clear sentence", async () => {
  hook.calls.length = 0;
  answers = undefined;
  const long = await finish(await queue(loop([send()], { max: 2 }), { people: [{}, {}, {}] }));
  assert.equal(long.run.status, "failed");
  assert.match(long.run.error!, /Step loop \(each\) failed: input\.items holds 3 items, more than the step's max of 2/);
  const notList = await finish(await queue(loop([send()]), { people: { name: "Ada" } }));
  assert.match(notList.run.error!, /input\.items must be a list, but it gave one record, not a list/);
  const none = await finish(await queue(loop([send()]), {}));
  assert.equal(none.run.status, "succeeded", none.run.error ?? "");
  assert.deepEqual(
    hook.calls.map((c) => c.body),
    [{ n: 0 }],
  );
  assert.throws(
    () =>
      validateWorkflow({
        name: "x",
        trigger: { key: "webhook" },
        steps: [{ id: "loop", action: "each", input: { items: "{{ trigger.x }}", concurrency: 20 } }],
      }),
    (err: Error & { detail?: string }) =>
      /steps\[0\]\.steps: an each step needs steps/.test(err.detail ?? "") &&
      /steps\[0\]\.input\.concurrency: must be a whole number from 1 to 10/.test(err.detail ?? ""),
  );
});

test("a failure in item 3 names the item; the replay goes on at item 3 without resending items 0-2", async () => {
  hook.calls.length = 0;
  let failing = true;
  answers = (path) => (failing && path === "/p/3" ? { status: 400 } : {});
  const people = Array.from({ length: 5 }, (_, i) => ({ name: `P${i}` }));
  const original = await finish(await queue(loop([send()]), { people }));
  assert.equal(original.run.status, "failed");
  assert.match(original.run.error!, /^Step loop\[3\]\.send \(http\.request\) failed/);
  assert.equal(original.steps.find((s) => s.stepId === "loop[3].send")!.status, "failed");
  // The step test words the same failure the same way.
  const tester = new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true });
  const tested = await tester.workflow(loop([send()]), { people });
  assert.equal(tested.ok, false);
  assert.equal(tested.steps.at(-1)!.stepId, "loop[3].send");
  assert.equal(tested.steps.at(-1)!.error, original.run.error);
  hook.calls.length = 4; // the run's four calls; the test's are forgotten
  failing = false;
  const replay = await finish(await h.store.runs.replay(original.run.id, { fromStart: false }));
  assert.equal(replay.run.status, "succeeded", replay.run.error ?? "");
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/p/0", "/p/1", "/p/2", "/p/3", "/p/3", "/p/4", "/after"],
  );
});

test("a run that stopped inside a loop resumes at that item: finished items are kept, an in-flight POST is unknown", async () => {
  hook.calls.length = 0;
  answers = (path) => ({ body: { id: `new${path.split("/").pop()}` } });
  const people = Array.from({ length: 6 }, (_, i) => ({ name: `P${i}` }));
  const interrupted = async (def: WorkflowDefinition, inflight: boolean) => {
    const id = await queue(def, { people });
    const run = (await h.store.runs.find(id))!;
    // The dead process: a pid that cannot exist on this machine.
    await h.store.runs.claim(run, `${(await import("node:os")).hostname()}:999999999:dead`, 60_000);
    await h.store.runs.finishStep(
      id,
      "loop",
      {
        status: "succeeded",
        output: { count: 6, concurrency: 1, items: people.map((item, index) => ({ index, item })) },
      },
      { seq: 0, input: {}, attempts: 1, startedAt: new Date().toISOString() },
    );
    for (let i = 0; i < 3; i++) {
      await h.store.runs.startStep(id, `loop[${i}].send`, i + 1, {});
      await h.store.runs.finishStep(id, `loop[${i}].send`, {
        status: "succeeded",
        output: { body: { id: `old${i}` } },
      });
    }
    if (inflight) await h.store.runs.startStep(id, "loop[3].send", 4, {});
    return id;
  };
  const def = loop([send()]);
  const w = await h.store.workflows.save(def.name, def);
  const stuck = await interrupted(def, true);
  const clean = await interrupted(def, false);
  const q = new InProcessQueue(h.store, { workflowIds: [w.id], pollMs: 50 });
  const r = runner(h);
  q.start((run, owner) => r.execute(run, owner));
  await q.drain();
  await q.stop();
  assert.equal((await h.store.runs.find(stuck))!.status, "unknown");
  assert.equal((await h.store.runs.find(clean))!.status, "succeeded");
  // The stuck run sent nothing; the clean one went on at item 3 and fed all six results on.
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/p/3", "/p/4", "/p/5", "/after"],
  );
  assert.deepEqual((hook.calls.at(-1)!.body as { ids: string[] }).ids, [
    "old0",
    "old1",
    "old2",
    "new3",
    "new4",
    "new5",
  ]);
});

test("an item that parks on a delay lets the items running beside it finish their writes; the run then parks and resumes", async () => {
  hook.calls.length = 0;
  answers = () => ({ delayMs: 300 });
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      {
        id: "loop",
        action: "each",
        input: { items: "{{ trigger.people }}", concurrency: 2 },
        steps: [
          { id: "wait", action: "delay", input: { for: "{{ index = 0 ? '1s' : '0s' }}" } },
          { id: "write", action: "http.request", input: { method: "POST", url: `${hook.url}/w/{{ index }}` } },
        ],
      },
    ] as WorkflowDefinition["steps"],
  });
  const r = runner(h, { inlineDelayMs: 20 });
  const id = await queue(def, { people: ["a", "b"] });
  const first = await finish(id, r);
  assert.equal(first.run.status, "queued", "parked until item 0's delay is over");
  assert.ok(first.run.notBefore, "with a time to go on");
  assert.equal(first.steps.find((s) => s.stepId === "loop[1].write")!.status, "succeeded");
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/w/1"],
  );
  await new Promise((resolve) => setTimeout(resolve, Date.parse(first.run.notBefore!) - Date.now() + 10));
  const second = await finish(id, r);
  assert.equal(second.run.status, "succeeded", second.run.error ?? "");
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/w/1", "/w/0"],
  );
});
