import assert from "node:assert/strict";
import { test } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { GroupCommit } from "../../src/store/group-commit.ts";
import { LeaseLostError } from "../../src/store/runs.ts";
import type { Database } from "../../src/store/schema.ts";
import { onEveryStore } from "./on-every-store.ts";

test("writes made in the same turn share one commit, and each settles only once committed", async () => {
  const sqlite = new SqliteDatabase(":memory:");
  sqlite.exec("create table t (n integer not null)");
  let begins = 0;
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (e) => {
      if (e.query.sql === "begin") begins++;
    },
  });
  const group = new GroupCommit(db);
  const rows = () => (sqlite.prepare("select count(*) as n from t").get() as { n: number }).n;
  const writes = Array.from({ length: 20 }, (_, n) =>
    group
      .run(async (trx) => {
        await (trx as unknown as Kysely<{ t: { n: number } }>).insertInto("t").values({ n }).execute();
        return n;
      })
      .then((value) => ({ value, visible: rows() })),
  );
  const settled = await Promise.all(writes);
  assert.equal(begins, 1, "twenty writes of one turn, one transaction");
  // Every write was committed (visible to a reader outside the transaction) when its promise settled.
  for (const [n, s] of settled.entries()) assert.deepEqual(s, { value: n, visible: 20 });
  await db.destroy();
});

test("a shared commit that fails does not fail the writes that commit on their own", async () => {
  const sqlite = new SqliteDatabase(":memory:");
  sqlite.exec("create table t (n integer not null)");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const group = new GroupCommit(db);
  const insert = (n: number) => (trx: unknown) =>
    (trx as Kysely<{ t: { n: number } }>).insertInto("t").values({ n }).execute();
  // The middle write breaks the shared transaction itself (its savepoint is gone when the group
  // releases it), as a deadlock or a broken connection would end the whole commit.
  const [first, broken, last] = await Promise.allSettled([
    group.run(insert(1)),
    group.run(async (trx) => {
      await insert(2)(trx);
      await sql`release savepoint group_write`.execute(trx);
    }),
    group.run(insert(3)),
  ]);
  assert.equal(first.status, "fulfilled");
  assert.equal(last.status, "fulfilled");
  assert.equal(broken.status, "rejected");
  assert.deepEqual(
    (sqlite.prepare("select n from t order by n").all() as { n: number }[]).map((r) => r.n),
    [1, 3],
    "the writes that stand alone are committed; the broken one is not",
  );
  await db.destroy();
});

onEveryStore("group commit of run writes", (ctx) => {
  test("a write that fails in a shared commit fails alone: a lost lease or a bad row writes nothing, the others commit", async () => {
    const w = await ctx.store.workflows.save("group", { name: "group" });
    const queue = (eventKey: string, workflowId = w.id) =>
      ctx.store.runs.enqueue({ workflowId, workflowVersion: 1, triggerKey: "t", eventKey, payload: { eventKey } });
    const [a, b] = [await queue("a"), await queue("b")];
    const claim = async (id: number, owner: string) =>
      (await ctx.store.runs.claimLease((await ctx.store.runs.find(id))!, owner, 60_000))!;
    const leaseA = await claim(a, "one:1:x");
    const stale = await claim(b, "one:1:x");
    // Another worker takes b over (its lease ran out): the first worker's lease on b is stale.
    await ctx.store.database.db.updateTable("runs").set({ lease_until: "2000-01-01T00:00:00.000Z" }).execute();
    await claim(b, "two:2:x");

    const results = await Promise.allSettled([
      ctx.store.runs.fenced(leaseA, (r) => r.finish(a, "succeeded", null)),
      ctx.store.runs.fenced(stale, async (r) => {
        await r.finishStep(
          b,
          "s",
          { status: "succeeded", output: 1 },
          { seq: 0, input: null, attempts: 1, startedAt: "x" },
        );
        await r.finish(b, "failed", "written by a worker that lost the run");
      }),
      queue("c"),
      queue("bad", 999_999), // no such workflow: a foreign-key error inside the shared transaction
      queue("d"),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"],
    );
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof LeaseLostError);
    assert.equal((await ctx.store.runs.find(a))!.status, "succeeded");
    assert.equal((await ctx.store.runs.find(b))!.status, "running", "the stale worker wrote nothing");
    assert.deepEqual(await ctx.store.runs.steps(b), []);
    const keys = (await ctx.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey).sort();
    assert.deepEqual(keys, ["a", "b", "c", "d"]);
  });

  test("a claim's lease fences the run's writes: a later claim by another worker makes them fail", async () => {
    const w = await ctx.store.workflows.save("claim lease", { name: "claim lease" });
    const id = await ctx.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: 1,
      triggerKey: "t",
      eventKey: "k",
      payload: {},
    });
    const seen = (await ctx.store.runs.find(id))!;
    const lease = await ctx.store.runs.claimLease(seen, "one:1:x", 60_000);
    assert.equal(lease?.token, seen.leaseToken + 1, "the claim hands over its new token");
    assert.equal(await ctx.store.runs.claimLease(seen, "two:2:x", 60_000), undefined, "compare-and-set");
    assert.equal(await ctx.store.runs.heartbeat(lease!), true);
    await ctx.store.database.db.updateTable("runs").set({ lease_until: "2000-01-01T00:00:00.000Z" }).execute();
    assert.ok(await ctx.store.runs.claimLease((await ctx.store.runs.find(id))!, "two:2:x", 60_000));
    await assert.rejects(
      ctx.store.runs.fenced(lease!, (r) => r.finish(id, "succeeded", null)),
      LeaseLostError,
    );
  });
});
