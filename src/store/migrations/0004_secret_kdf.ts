import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Database } from "../schema.ts";
import { legacyReencryptor, newKdf } from "../secrets.ts";
import type { MigrationEnv } from "./env.ts";

export default function secretKdf({ context }: MigrationEnv): Migration {
  return {
    // CLINIKO_FLOW_SECRET was turned into the key by one SHA-256; now scrypt, with a random salt
    // and its cost stored here. Existing `v1:` envelopes are re-encrypted as `v2:` in the same
    // transaction; one stored under another secret stays `v1:` (it could not be read before either).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("secret_kdf")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("params", "text", (c) => c.notNull())
        .addColumn("created_at", "varchar(40)", (c) => c.notNull())
        .execute();
      const kdf = newKdf();
      const d = db as Kysely<Database>;
      await d
        .insertInto("secret_kdf")
        .values({ id: 1, params: JSON.stringify(kdf), created_at: new Date().toISOString() })
        .execute();
      if (!context.key) return;
      const reencrypt = legacyReencryptor(context.key, kdf);
      for (const row of await d.selectFrom("connections").select(["id", "api_key_enc"]).execute()) {
        const v2 = reencrypt(row.api_key_enc);
        if (v2) await d.updateTable("connections").set({ api_key_enc: v2 }).where("id", "=", row.id).execute();
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("secret_kdf").execute();
    },
  };
}
