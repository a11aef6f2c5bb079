/**
 * `connections add NAME --kind K …`: one flag per settings field of every app kind (generated
 * from the kinds' schemas, so a new field is a new flag), typed by the schema, secrets from
 * standard input with `-`.
 */
import { z } from "zod";
import { appConnectionKind, appConnectionKinds } from "../../apps/connections.ts";
import { UsageError } from "../errors.ts";

export interface FieldFlag {
  key: string;
  flag: string;
  description: string;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type Prop = { type?: string; description?: string };
const propsOf = (schema: z.ZodType) =>
  ((z.toJSONSchema(schema, { io: "input" }) as { properties?: Record<string, Prop> }).properties ?? {}) as Record<
    string,
    Prop
  >;

/** Every app field as a flag (fields of the same name in several kinds share one). */
export function appFieldFlags(skip: readonly string[]): FieldFlag[] {
  const seen = new Map<string, FieldFlag>();
  for (const def of appConnectionKinds)
    for (const [key, prop] of Object.entries(propsOf(def.settings))) {
      if (skip.includes(key) || seen.has(key)) continue;
      const secret = def.secrets.includes(key);
      seen.set(key, {
        key,
        flag: `--${kebab(key)} <value>`,
        description: `${def.kind}: ${prop.description ?? key}${secret ? " (- reads it from standard input)" : ""}`,
      });
    }
  return [...seen.values()];
}

/** The flags given for a kind as its settings values (numbers and booleans typed by the schema). */
export async function appSettingsFromFlags(
  kind: string,
  flags: Record<string, unknown>,
  readSecret: () => Promise<string>,
): Promise<Record<string, unknown>> {
  const def = appConnectionKind(kind);
  const props = propsOf(def.settings);
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined || !(key in props)) continue;
    let value: unknown = raw;
    if (raw === "-" && def.secrets.includes(key)) {
      value = await readSecret();
      if (!value) throw new UsageError(`No ${key} was given on standard input.`);
    } else if (props[key]?.type === "integer" || props[key]?.type === "number") value = Number(raw);
    else if (props[key]?.type === "boolean") value = raw === true || raw === "true";
    values[key] = value;
  }
  return values;
}
