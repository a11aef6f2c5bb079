/**
 * The expression pool's waiting line takes turns by workflow: a workflow that floods the pool
 * with slow (legal) expressions delays another workflow's next expression by one turn, not by
 * everything it queued (issue 23, hole 3: one workflow's expressions starved every other's).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { expressionPoolState } from "../../src/expressions/expression-pool.ts";
import { render, type TemplateScope } from "../../src/expressions/template.ts";

const scope: TemplateScope = { trigger: {}, steps: {}, env: {} };
const FLOOD = 50;

test(`${FLOOD} queued slow expressions of one workflow delay another workflow's by one turn, not ${FLOOD}`, async () => {
  // Every worker up and idle first: their boot is not what is measured.
  assert.deepEqual(
    await Promise.all([1, 2].map((n) => render(`{{ ${n} + 1 }}`, scope, "warm", { workflow: "warm" }))),
    [2, 3],
  );
  const workers = expressionPoolState().live;
  const finished: string[] = [];
  const started = performance.now();
  const flood = Array.from({ length: FLOOD }, (_, i) =>
    render(`{{ $sum([1..200000]) + ${i} }}`, scope, `flood[${i}]`, { workflow: "A" }).then((v) => {
      finished.push("A");
      return v;
    }),
  );
  let quietMs = 0;
  // B's own expression is quick: when it finishes says when it got a worker.
  const quiet = render("{{ $sum([1..10]) }}", scope, "quiet", { workflow: "B" }).then((v) => {
    quietMs = performance.now() - started;
    finished.push("B");
    return v;
  });
  assert.equal(await quiet, 55);
  const floodValues = await Promise.all(flood);
  const floodMs = performance.now() - started;
  assert.deepEqual(
    floodValues,
    floodValues.map((_, i) => 20000100000 + i),
  );
  const aheadOfB = finished.indexOf("B");
  console.log(
    `${workers} workers: workflow B's expression finished after ${aheadOfB} of A's ${FLOOD} (${Math.round(quietMs)} ms; the flood took ${Math.round(floodMs)} ms)`,
  );
  // Round-robin: B gets the second worker that frees, so only the expressions already running
  // when it was queued finished before it (one more on a jittery machine). First in, first out
  // finished all 50 of A's first.
  assert.ok(aheadOfB <= workers + 1, `B waited for ${aheadOfB} of A's expressions`);
  assert.equal(expressionPoolState().waiting, 0);
});
