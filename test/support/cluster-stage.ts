/**
 * The stage of a cluster test file: a sandbox clinic, PostgreSQL and Redis, started before the
 * file's tests and stopped after them, with the store and process group a test puts on it.
 */
import { after, before } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { freshPostgresDatabase } from "../engine/helpers.ts";
import { type ProcessEnvOptions, type ProcessGroup, processEnv } from "./cli-process.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "./postgres.ts";
import { type RedisServer, redisSkip, startRedis } from "./redis.ts";

export interface ClusterStage {
  /** Why the file's tests are skipped (no PostgreSQL or Redis binary), or false. */
  skip: string | false;
  sandbox: Sandbox;
  pg?: PostgresServer;
  redis?: RedisServer;
  /** Set by a test; closed after the file. */
  store?: Store;
  /** Set by a test; stopped (every process it started) after the file. */
  group?: ProcessGroup;
  /**
   * A fresh PostgreSQL database on the stage's server, the cluster's environment for it (the
   * stage's sandbox and Redis) and the store opened on it, kept as `store`.
   */
  open(options?: Omit<ProcessEnvOptions, "databaseUrl" | "sandbox" | "redisUrl">): Promise<{
    env: NodeJS.ProcessEnv;
    store: Store;
  }>;
}

export function clusterStage(): ClusterStage {
  const stage = {
    skip: postgresSkip() || redisSkip(),
    async open(options = {}) {
      const databaseUrl = await freshPostgresDatabase(stage.pg!.url);
      const env = processEnv({ ...options, databaseUrl, sandbox: stage.sandbox, redisUrl: stage.redis!.url });
      stage.store = await openStore({ env });
      return { env, store: stage.store };
    },
  } as ClusterStage;
  before(async () => {
    stage.sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
    if (!stage.skip) [stage.pg, stage.redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    await stage.group?.stop();
    await stage.store?.close();
    await stage.sandbox?.stop();
    await stage.pg?.stop();
    await stage.redis?.stop();
  });
  return stage;
}
