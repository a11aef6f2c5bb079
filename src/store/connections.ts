import type { Kysely } from "kysely";
import type { AuditLog } from "./audit.ts";
import type { Database } from "./schema.ts";
import type { Cipher } from "./secrets.ts";
import { isoNow } from "./time.ts";

/** What a client needs to talk to one Cliniko account. */
export interface ConnectionConfig {
  name: string;
  apiKey: string;
  email: string;
  region?: string;
  baseUrl?: string;
}

/** A connection as listings show it: never the key, only its last characters. */
export interface ConnectionSummary {
  name: string;
  email: string;
  region: string | null;
  baseUrl: string | null;
  keyHint: string;
  createdAt: string;
  updatedAt: string;
}

export class ConnectionNotFoundError extends Error {
  override name = "ConnectionNotFoundError";
}

export function keyHint(apiKey: string): string {
  return `…${apiKey.slice(-4)}`;
}

export class ConnectionStore {
  readonly #db: Kysely<Database>;
  readonly #cipher: Cipher;
  readonly #audit: AuditLog;
  #generation = 0;
  constructor(db: Kysely<Database>, cipher: Cipher, audit: AuditLog) {
    this.#db = db;
    this.#cipher = cipher;
    this.#audit = audit;
  }

  /** Changes with every save or removal made through this store (lets callers cache lookups). */
  get generation(): number {
    return this.#generation;
  }

  /** Adds a connection, or replaces the one with that name. */
  async save(c: ConnectionConfig, actor = "system"): Promise<"added" | "replaced"> {
    const now = isoNow();
    const row = {
      email: c.email,
      region: c.region ?? null,
      base_url: c.baseUrl ?? null,
      api_key_enc: this.#cipher.encrypt(c.apiKey),
      key_hint: keyHint(c.apiKey),
      updated_at: now,
    };
    const existing = await this.#db
      .selectFrom("connections")
      .select("id")
      .where("name", "=", c.name)
      .executeTakeFirst();
    if (existing) await this.#db.updateTable("connections").set(row).where("id", "=", existing.id).execute();
    else
      await this.#db
        .insertInto("connections")
        .values({ ...row, name: c.name, created_at: now })
        .execute();
    this.#generation++;
    const outcome = existing ? "replaced" : "added";
    await this.#audit.record(actor, `connection.${outcome}`, c.name, { email: c.email, region: c.region ?? null });
    return outcome;
  }

  async list(): Promise<ConnectionSummary[]> {
    const rows = await this.#db.selectFrom("connections").selectAll().orderBy("name").execute();
    return rows.map((r) => ({
      name: r.name,
      email: r.email,
      region: r.region,
      baseUrl: r.base_url,
      keyHint: r.key_hint,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** The connection with its decrypted key, or undefined. */
  async find(name: string): Promise<ConnectionConfig | undefined> {
    const r = await this.#db.selectFrom("connections").selectAll().where("name", "=", name).executeTakeFirst();
    if (!r) return undefined;
    return {
      name: r.name,
      email: r.email,
      apiKey: this.#cipher.decrypt(r.api_key_enc),
      ...(r.region ? { region: r.region } : {}),
      ...(r.base_url ? { baseUrl: r.base_url } : {}),
    };
  }

  async get(name: string): Promise<ConnectionConfig> {
    const c = await this.find(name);
    if (!c) throw new ConnectionNotFoundError(`No connection named "${name}" (see \`cliniko-flow connections list\`).`);
    return c;
  }

  async remove(name: string, actor = "system"): Promise<boolean> {
    const res = await this.#db.deleteFrom("connections").where("name", "=", name).executeTakeFirst();
    const removed = Number(res.numDeletedRows) > 0;
    this.#generation++;
    if (removed) {
      await this.#db.deleteFrom("trigger_cursors").where("connection_key", "=", name).execute();
      await this.#audit.record(actor, "connection.removed", name, null);
    }
    return removed;
  }
}
