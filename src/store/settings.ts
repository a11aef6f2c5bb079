/**
 * Settings a practice manager sets in the web UI, which templates read as `env.FLOW_…` (an
 * environment variable of the same name still wins). A secret is encrypted like a connection's
 * key, never listed, and cut out of run records.
 */
import type { Kysely } from "kysely";
import type { AuditLog } from "./audit.ts";
import type { Database } from "./schema.ts";
import type { Cipher } from "./secrets.ts";
import { isoNow } from "./time.ts";

/** What a listing shows: a secret's value never. */
export interface SettingSummary {
  name: string;
  secret: boolean;
  /** The value; null for a secret. */
  value: string | null;
  updatedAt: string;
}

/** `FLOW_` and capitals, digits and underscores: the names `env.` reads in a template. */
export const SETTING_NAME = /^FLOW_[A-Z0-9_]+$/;

export class SettingNameError extends Error {
  override name = "SettingNameError";
  constructor(name: string) {
    super(
      `"${name}" is not a setting name: use FLOW_ followed by capital letters, digits or underscores (FLOW_FRONT_DESK_URL).`,
    );
  }
}

export class SettingStore {
  readonly #db: Kysely<Database>;
  readonly #cipher: Cipher;
  readonly #audit: AuditLog;
  constructor(db: Kysely<Database>, cipher: Cipher, audit: AuditLog) {
    this.#db = db;
    this.#cipher = cipher;
    this.#audit = audit;
  }

  async list(): Promise<SettingSummary[]> {
    const rows = await this.#db.selectFrom("workflow_settings").selectAll().orderBy("name").execute();
    return rows.map((r) => ({
      name: r.name,
      secret: r.secret === 1,
      value: r.secret === 1 ? null : r.value,
      updatedAt: r.updated_at,
    }));
  }

  /** Every setting's value, secrets decrypted: for templates at run time only. */
  async values(): Promise<{ values: Record<string, string>; secrets: string[] }> {
    const rows = await this.#db.selectFrom("workflow_settings").selectAll().execute();
    const values: Record<string, string> = {};
    const secrets: string[] = [];
    for (const r of rows) {
      values[r.name] = r.secret === 1 ? this.#cipher.decrypt(r.value) : r.value;
      if (r.secret === 1) secrets.push(values[r.name]!);
    }
    return { values, secrets };
  }

  async has(name: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom("workflow_settings")
      .select("name")
      .where("name", "=", name)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Adds or replaces a setting. */
  async set(name: string, value: string, secret: boolean, actor = "system"): Promise<"added" | "replaced"> {
    if (!SETTING_NAME.test(name)) throw new SettingNameError(name);
    const row = { value: secret ? this.#cipher.encrypt(value) : value, secret: secret ? 1 : 0, updated_at: isoNow() };
    const existing = await this.has(name);
    if (existing) await this.#db.updateTable("workflow_settings").set(row).where("name", "=", name).execute();
    else
      await this.#db
        .insertInto("workflow_settings")
        .values({ ...row, name })
        .execute();
    const outcome = existing ? "replaced" : "added";
    // The audit names the setting, never its value.
    await this.#audit.record(actor, `setting.${outcome}`, name, { secret });
    return outcome;
  }

  async remove(name: string, actor = "system"): Promise<boolean> {
    const res = await this.#db.deleteFrom("workflow_settings").where("name", "=", name).executeTakeFirst();
    const removed = Number(res.numDeletedRows) > 0;
    if (removed) await this.#audit.record(actor, "setting.removed", name, {});
    return removed;
  }
}
