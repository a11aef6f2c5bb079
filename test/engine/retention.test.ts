/** RUN_RETENTION_DAYS: the running service (what `serve` starts) deletes old finished runs by itself. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { startService } from "../../src/engine/service.ts";
import { createLogger } from "../../src/log.ts";
import { type Harness, harness, sleep, workflow } from "./helpers.ts";

let h: Harness;
before(async () => {
  h = await harness();
});
after(() => h.close());

test("the service prunes finished runs older than RUN_RETENTION_DAYS, with their step records", async () => {
  const def = workflow({ trigger: { key: "new_patient" } });
  const w = await h.store.workflows.save(def.name, def);
  const ids: Record<string, number> = {};
  for (const [name, daysAgo] of [
    ["old", 20],
    ["recent", 5],
    ["unfinished", 20],
  ] as const) {
    ids[name] = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "new_patient",
      eventKey: name,
      payload: { first_name: "Private" },
    });
    const at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    if (name !== "unfinished") {
      await h.store.runs.startStep(ids[name]!, "s", 0, { first_name: "Private" });
      await sql`update runs set status = 'succeeded', created_at = ${at}, finished_at = ${at} where id = ${ids[name]}`.execute(
        h.store.database.db,
      );
    }
  }
  const quiet = createLogger({ level: "silent", destination: { write: () => {} } });
  const service = await startService({
    env: { ...h.env, RUN_RETENTION_DAYS: "14" },
    store: h.store,
    logger: quiet,
    tickMs: 20,
  });
  try {
    for (let i = 0; i < 100 && (await h.store.runs.find(ids.old!)); i++) await sleep(20);
  } finally {
    await service.stop();
  }
  assert.equal(await h.store.runs.find(ids.old!), undefined, "the 20-day-old run was pruned");
  assert.deepEqual(await h.store.runs.steps(ids.old!), []);
  assert.ok(await h.store.runs.find(ids.recent!), "a 5-day-old run is kept");
  assert.ok(await h.store.runs.find(ids.unfinished!), "a run that was still queued is not pruned");
});
