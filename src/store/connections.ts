import type { Kysely } from "kysely";
import type { AppKind, ConnectionKind } from "../connection-kinds.ts";
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

/** An app connection (SMTP, Twilio, …): its kind's settings, secrets included once decrypted. */
export interface AppConnectionConfig {
  name: string;
  kind: AppKind;
  /** The non-secret settings (host, port, from, …). */
  settings: Record<string, unknown>;
  /** The secret settings (password, token, …): encrypted at rest, never listed. */
  secrets: Record<string, string>;
  /** A vendor base URL override (tests and the sandbox demo only: see src/apps/base-url.ts). */
  baseUrl?: string;
}

/** A connection as listings show it: never the key, only its last characters. */
export interface ConnectionSummary {
  name: string;
  kind: ConnectionKind;
  /** An app connection's non-secret settings (null for Cliniko). */
  settings: Record<string, unknown> | null;
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

/** A step or command named a connection of another kind (an SMTP connection for a Cliniko step). */
export class ConnectionKindError extends Error {
  override name = "ConnectionKindError";
  constructor(name: string, actual: string, wanted: readonly string[]) {
    super(`Connection "${name}" is a ${actual} connection; this needs a ${wanted.join(" or ")} connection.`);
  }
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
      kind: "cliniko",
      settings: null,
      updated_at: now,
    };
    return this.#write(c.name, row, actor, { email: c.email, region: c.region ?? null });
  }

  /** Adds an app connection, or replaces the one with that name; its secrets are encrypted. */
  async saveApp(c: AppConnectionConfig, actor = "system"): Promise<"added" | "replaced"> {
    const firstSecret = Object.values(c.secrets)[0];
    const row = {
      email: "",
      region: null,
      base_url: c.baseUrl ?? null,
      api_key_enc: this.#cipher.encrypt(JSON.stringify(c.secrets)),
      key_hint: firstSecret ? keyHint(firstSecret) : "",
      kind: c.kind,
      settings: JSON.stringify(c.settings),
      updated_at: isoNow(),
    };
    return this.#write(c.name, row, actor, { kind: c.kind });
  }

  async #write(
    name: string,
    row: {
      email: string;
      region: string | null;
      base_url: string | null;
      api_key_enc: string;
      key_hint: string;
      kind: string;
      settings: string | null;
      updated_at: string;
    },
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<"added" | "replaced"> {
    const c = { name };
    const now = row.updated_at;
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
    await this.#audit.record(actor, `connection.${outcome}`, c.name, detail);
    return outcome;
  }

  async list(): Promise<ConnectionSummary[]> {
    const rows = await this.#db.selectFrom("connections").selectAll().orderBy("name").execute();
    return rows.map((r) => ({
      name: r.name,
      kind: r.kind as ConnectionKind,
      settings: r.settings ? (JSON.parse(r.settings) as Record<string, unknown>) : null,
      email: r.email,
      region: r.region,
      baseUrl: r.base_url,
      keyHint: r.key_hint,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** The kind of the connection with this name, or undefined when there is none. */
  async kindOf(name: string): Promise<ConnectionKind | undefined> {
    const r = await this.#db.selectFrom("connections").select("kind").where("name", "=", name).executeTakeFirst();
    return r?.kind as ConnectionKind | undefined;
  }

  /** The Cliniko connection with its decrypted key, or undefined; ConnectionKindError for an app's. */
  async find(name: string): Promise<ConnectionConfig | undefined> {
    const r = await this.#db.selectFrom("connections").selectAll().where("name", "=", name).executeTakeFirst();
    if (!r) return undefined;
    if (r.kind !== "cliniko") throw new ConnectionKindError(name, r.kind, ["cliniko"]);
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

  /** The app connection with its decrypted secrets; typed errors when missing or of another kind. */
  async getApp(name: string, kinds: readonly AppKind[]): Promise<AppConnectionConfig> {
    const r = await this.#db.selectFrom("connections").selectAll().where("name", "=", name).executeTakeFirst();
    if (!r) throw new ConnectionNotFoundError(`No connection named "${name}" (see \`cliniko-flow connections list\`).`);
    if (!(kinds as readonly string[]).includes(r.kind)) throw new ConnectionKindError(name, r.kind, kinds);
    return {
      name: r.name,
      kind: r.kind as AppKind,
      settings: r.settings ? (JSON.parse(r.settings) as Record<string, unknown>) : {},
      secrets: JSON.parse(this.#cipher.decrypt(r.api_key_enc)) as Record<string, string>,
      ...(r.base_url ? { baseUrl: r.base_url } : {}),
    };
  }

  async remove(name: string, actor = "system"): Promise<boolean> {
    const res = await this.#db.deleteFrom("connections").where("name", "=", name).executeTakeFirst();
    const removed = Number(res.numDeletedRows) > 0;
    this.#generation++;
    if (removed) {
      await this.#db.deleteFrom("trigger_cursors").where("connection_key", "=", name).execute();
      await this.#db.deleteFrom("poll_readers").where("connection_key", "=", name).execute();
      await this.#audit.record(actor, "connection.removed", name, null);
    }
    return removed;
  }
}
