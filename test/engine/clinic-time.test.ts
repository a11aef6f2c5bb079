/**
 * Clinic time reaches a run's expressions: the zone of the connection's first business (read from
 * the sandbox over HTTP, once, and only by workflows that use clinic time), in the durable runner
 * and in the step tester alike.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { StepTester } from "../../src/engine/step-test.ts";
import { executeRun, type Harness, harness, queueRun, receiver, workflow } from "./helpers.ts";

let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
before(async () => {
  h = await harness();
  hook = await receiver();
  h.sandbox.control.create("businesses", { business_name: "Harbour Physio", time_zone_identifier: "Pacific/Auckland" });
});
after(async () => {
  await hook.close();
  await h.close();
});

const auckland = (ms: number) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Auckland" }).format(new Date(ms));

async function execute(steps: unknown[]) {
  const def = workflow({ trigger: { key: "webhook" }, steps: steps as never });
  return (await executeRun(h, await queueRun(h, def, { starts_at: "2026-12-01T20:00:00Z" }))).run;
}

const put = () => ({
  id: "send",
  action: "http.request",
  input: {
    method: "PUT",
    url: `${hook.url}/day`,
    json: {
      today: "{{ $today() }}",
      tomorrow: "{{ $tomorrow() }}",
      when: "{{ $clinicTime(trigger.starts_at) }}",
      zone: "{{ clinic.time_zone }}",
    },
  },
});

test("a run's clinic-time functions use the clinic's zone, read once from its first business", async () => {
  hook.calls.length = 0;
  h.sandbox.requestLog.clear();
  const step = put();
  const before = Date.now();
  const run = await execute([step]);
  assert.equal(run.status, "succeeded", run.error ?? "");
  const body = hook.calls[0]!.body as Record<string, string>;
  assert.ok([auckland(before), auckland(Date.now())].includes(body.today!), body.today);
  assert.equal(body.when, "Wednesday 2 December 2026, 9:00 am");
  assert.equal(body.zone, "Pacific/Auckland");
  assert.notEqual(body.tomorrow, body.today);
  // A second run reuses the zone it read.
  await execute([step]);
  const reads = h.sandbox.requestLog
    .entries()
    .filter((r) => r.path === "/v1/businesses" || r.path.endsWith("/businesses"));
  assert.equal(reads.length, 1, JSON.stringify(h.sandbox.requestLog.entries().map((r) => r.path)));
});

test("a workflow that uses no clinic time never asks for the zone; the step tester shows the same text", async () => {
  h.sandbox.requestLog.clear();
  hook.calls.length = 0;
  const run = await execute([
    {
      id: "plain",
      action: "http.request",
      input: { method: "PUT", url: `${hook.url}/x`, json: { at: "{{ $addDuration(trigger.starts_at, '1d') }}" } },
    },
  ]);
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.deepEqual(hook.calls[0]!.body, { at: "2026-12-02T20:00:00Z" });
  assert.deepEqual(h.sandbox.requestLog.entries(), []);
  const tester = new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true });
  const step = put();
  const tested = await tester.workflow(workflow({ trigger: { key: "webhook" }, steps: [step as never] }), {
    starts_at: "2026-12-01T20:00:00Z",
  });
  assert.equal(tested.ok, true, JSON.stringify(tested.steps));
  assert.equal((tested.steps[0]!.input as { json: { when: string } }).json.when, "Wednesday 2 December 2026, 9:00 am");
  const alone = await tester.step(step as never, await tester.scope({ starts_at: "2026-12-01T20:00:00Z" }));
  assert.equal((alone.input as { json: { zone: string } }).json.zone, "Pacific/Auckland");
});
