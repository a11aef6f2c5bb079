/**
 * Expressions: data is never evaluated; plain property paths are looked up in process with the
 * same answers JSONata gives; anything else runs in a worker process that a runaway expression
 * cannot escape — each of the resource-exhaustion set ends in bounded time with a clear error,
 * the main thread keeps answering throughout, and the pool serves the next expression.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import jsonata from "jsonata";
import { expressionPoolState } from "../../src/expressions/expression-pool.ts";
import { condition, render, TemplateError, type TemplateScope } from "../../src/expressions/template.ts";

const scope: TemplateScope = {
  trigger: {
    id: "7",
    patient: { first_name: "Ada", nickname: null, age: 40, address: { city: "Sydney" } },
    tags: ["a"],
    items: [{ name: "x" }, { name: "y" }],
    c: "env.FLOW_TOKEN = 'secret-value'",
  },
  steps: { crm: { id: 42, body: { ok: true } }, skipped: null },
  env: { FLOW_TOKEN: "secret-value" },
};

test("plain property paths answer what JSONata answers (arrays and odd names go to JSONata)", async () => {
  const expressions = [
    "trigger.patient.first_name",
    "trigger . patient . age",
    "trigger.patient.nickname",
    "trigger.patient.address",
    "trigger.patient.missing.deeper",
    "trigger.patient.first_name.length",
    "trigger.tags",
    "trigger.items.name",
    "trigger.items",
    "steps.crm.id",
    "steps.skipped",
    "steps.skipped.id",
    "steps.constructor",
    "trigger.__proto__",
    "env.FLOW_TOKEN",
    "env",
    "true",
    "null",
  ];
  for (const e of expressions) {
    const expected = JSON.parse(JSON.stringify((await jsonata(e).evaluate(scope)) ?? null));
    assert.deepEqual((await render(`{{ ${e} }}`, scope, "p")) ?? null, expected, e);
  }
});

test("a looked-up object is a copy: changing a step's input cannot change the trigger", async () => {
  const address = (await render("{{ trigger.patient.address }}", scope, "p")) as { city: string };
  address.city = "Perth";
  assert.equal((scope.trigger as { patient: { address: { city: string } } }).patient.address.city, "Sydney");
});

test("a condition evaluates the definition's expression once; what it produces is data", async () => {
  const data = (c: unknown): TemplateScope => ({ ...scope, trigger: { c } });
  // The data looks like an expression that would be false: it is non-empty text, so true.
  assert.equal(await condition("{{ trigger.c }}", data("env.FLOW_TOKEN = 'wrong'"), "p"), true);
  assert.equal(await condition("{{ trigger.c }}", data("Yes please remind me"), "p"), true);
  assert.equal(await condition("{{ trigger.c }}", data("{{ false }}"), "p"), true);
  const regex = '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)';
  const started = performance.now();
  assert.equal(await condition("{{ trigger.c }}", data(regex), "p"), true);
  assert.ok(performance.now() - started < 200);
  for (const falsy of ["", "false", null, 0, false, [], {}])
    assert.equal(await condition("{{ trigger.c }}", data(falsy), "p"), false, JSON.stringify(falsy));
  assert.equal(await condition("Hello {{ trigger.c }}", data(""), "p"), true, "text around a template is text");
  // Written in the definition, with or without braces, an expression is an expression.
  assert.equal(await condition("trigger.patient.age > 30", scope, "p"), true);
  assert.equal(await condition("{{ trigger.patient.age > 50 }}", scope, "p"), false);
  // render never evaluates what an expression produced either.
  assert.equal(await render("{{ trigger.c }}", data("{{ env.FLOW_TOKEN }}"), "p"), "{{ env.FLOW_TOKEN }}");
  assert.equal(await render("x {{ trigger.c }}", data("{{ env.FLOW_TOKEN }}"), "p"), "x {{ env.FLOW_TOKEN }}");
});

test("the resource-exhaustion set is stopped in bounded time, the process keeps answering, the pool recovers", async () => {
  const hostile = [
    "$string([1..10000000])",
    '$pad("x", 100000000)',
    '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)',
    "( $f := function($n){ $f($n+1) }; $f(0) )",
    "( $loop := function($n){ $n < 0 ? 0 : $loop($n) }; $loop(1) )",
  ];
  for (const e of hostile) {
    // The main thread must keep ticking while the expression runs elsewhere.
    let last = performance.now();
    let worstGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 20);
    const started = performance.now();
    try {
      await assert.rejects(render(`{{ ${e} }}`, scope, "steps[0].input.x"), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.match(
          err.message,
          /^The expression \{\{ .+ \}\} at steps\[0\]\.input\.x (took longer than 1 s|needed more than \d+ MB of memory) and was stopped\.$/,
        );
        return true;
      });
    } finally {
      clearInterval(ticker);
    }
    const ms = performance.now() - started;
    // 1 s limit, plus waiting for a replacement thread to boot on a busy machine.
    assert.ok(ms < 8000, `${e} took ${Math.round(ms)} ms`);
    // Evaluated on the main thread, the expression blocked it for its whole run (6 s to minutes);
    // the bound leaves room for scheduling on a loaded 2-core machine.
    assert.ok(worstGap < 2000, `${e}: the main thread stalled ${Math.round(worstGap)} ms`);
  }
  assert.equal(await render("{{ $sum([1, 2, 3]) }}", scope, "p"), 6);
  assert.equal(await render("{{ trigger.patient.age + 1 }}", scope, "p", { timeLimitMs: 50 }), 41);
});

test("a shorter time limit is honoured and named", async () => {
  await assert.rejects(
    render("{{ $count([1..10000000].($string($))) }}", scope, "p", { timeLimitMs: 50 }),
    /took longer than 50 ms and was stopped/,
  );
});

/** The expression pool's worker processes: this test process's children. */
function poolWorkers(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync("/proc/self/task")) {
    const kids = readFileSync(`/proc/self/task/${task}/children`, "utf8").trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  }
  return pids;
}

test("the time limit counts the worker's CPU time, and waiting for a free worker has its own deadline", {
  skip: process.platform !== "linux" ? "reads /proc" : false,
}, async () => {
  // Jobs for every worker there may be (the pool has at most two): all are up and idle after.
  assert.deepEqual(await Promise.all([render("{{ 1 + 1 }}", scope, "p"), render("{{ 2 + 2 }}", scope, "p")]), [2, 4]);
  while (expressionPoolState().idle < expressionPoolState().live) await sleep(20);
  const workers = poolWorkers();
  assert.equal(workers.length, expressionPoolState().live);
  process.env.CLINIKO_FLOW_EXPRESSION_WAIT_MS = "300";
  // Every worker held off the CPU (as a loaded machine does) for longer than the expressions' limit.
  for (const pid of workers) process.kill(pid, "SIGSTOP");
  try {
    const busy = workers.map((_, i) => render(`{{ $sum([1..20000]) + ${i} }}`, scope, "p", { timeLimitMs: 400 }));
    // One more than there are workers: it waits, and past its deadline fails saying so.
    const waiting = render("{{ $sum([1..10]) }}", scope, "steps[1].input.x", { timeLimitMs: 400 });
    await assert.rejects(waiting, (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.match(err.message, /at steps\[1\]\.input\.x waited longer than 300 ms for a free expression worker/);
      return true;
    });
    await sleep(500);
    for (const pid of workers) process.kill(pid, "SIGCONT");
    // Stopped for longer than their 400 ms limit, they used far less CPU than that: answered.
    assert.deepEqual(
      await Promise.all(busy),
      workers.map((_, i) => 200010000 + i),
    );
  } finally {
    for (const pid of workers) process.kill(pid, "SIGCONT");
    delete process.env.CLINIKO_FLOW_EXPRESSION_WAIT_MS;
  }
});

test("errors from JSONata keep their reason", async () => {
  await assert.rejects(render("{{ $nosuch(1) }}", scope, "steps[1].input"), (err: unknown) => {
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /^The expression \{\{ \$nosuch\(1\) \}\} at steps\[1\]\.input failed: .+/);
    return true;
  });
});
