import type { Dialect } from "../database.ts";
import type { KeyMaterial } from "../secrets.ts";

/** What migrations may need beyond the database: the key material, to re-encrypt stored keys. */
export interface MigrationContext {
  key?: KeyMaterial;
}

/** What each migration is built with: the dialect, its id column type, and the context. */
export interface MigrationEnv {
  dialect: Dialect;
  /** Auto-increment ids differ by dialect; `serial` keeps them plain numbers on PostgreSQL. */
  idColumn: "serial" | "integer";
  context: MigrationContext;
}
