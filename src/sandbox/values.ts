/**
 * Realistic values for any schema node of the catalogue: by field name where a name says more than
 * its type (first_name, email, city, ...), else by type, format, enum, example and maxLength.
 * Every person, street and company here is made up.
 */
import { deref, type SchemaNode } from "../cliniko/spec.ts";
import { isoSeconds } from "./clock.ts";
import type { Prng } from "./prng.ts";

export const FIRST_NAMES = [
  "Ava",
  "Noah",
  "Mia",
  "Liam",
  "Isla",
  "Oliver",
  "Zara",
  "Leo",
  "Ruby",
  "Arlo",
  "Hazel",
  "Felix",
  "Ivy",
  "Jasper",
  "Matilda",
  "Hugo",
  "Poppy",
  "Otis",
  "Willa",
  "Rafael",
  "Elsie",
  "Kai",
  "Nina",
  "Tobias",
  "Freya",
  "Milo",
  "Esme",
  "Caspian",
  "Juniper",
  "Ezra",
  "Marigold",
  "Ronan",
  "Talia",
  "Silas",
  "Wren",
  "Idris",
  "Saoirse",
  "Anouk",
  "Bodhi",
  "Priya",
  "Mateo",
  "Yuki",
  "Amara",
  "Tariq",
  "Lena",
  "Quentin",
  "Odette",
  "Bram",
];
export const LAST_NAMES = [
  "Ashdown",
  "Brightwater",
  "Calloway",
  "Dunmore",
  "Ellery",
  "Fairbank",
  "Glenholme",
  "Hartwell",
  "Ingleby",
  "Jessop",
  "Kestrel",
  "Larkspur",
  "Mallory",
  "Northcote",
  "Oakridge",
  "Penhallow",
  "Quarrington",
  "Rothwell",
  "Stanbury",
  "Thistlewood",
  "Underhill",
  "Valemont",
  "Westbrook",
  "Yarrow",
  "Zellwood",
  "Amberley",
  "Birchall",
  "Coldwell",
  "Drummond",
  "Eastwick",
  "Fenwick",
  "Greystone",
  "Holloway",
  "Ivesdale",
  "Kingsley",
  "Lockhart",
];
const STREETS = [
  "Wattle",
  "Banksia",
  "Harbour",
  "Station",
  "Orchard",
  "Kookaburra",
  "Jacaranda",
  "Mill",
  "Ridge",
  "Bay",
];
const STREET_TYPES = ["Street", "Road", "Lane", "Avenue", "Parade", "Crescent"];
const CITIES = [
  ["Fernvale", "QLD", "4306"],
  ["Millbrook", "VIC", "3352"],
  ["Kestrel Bay", "NSW", "2261"],
  ["Silverton Heights", "WA", "6112"],
  ["Harrowgate", "SA", "5087"],
] as const;
const OCCUPATIONS = [
  "Teacher",
  "Carpenter",
  "Nurse",
  "Software developer",
  "Barista",
  "Accountant",
  "Retired",
  "Student",
];
const WORDS = ["gentle", "steady", "follow-up", "review", "mobility", "posture", "recovery", "strength", "routine"];

export interface ValueContext {
  rng: Prng;
  /** Now, in ms: generated dates sit around it. */
  nowMs: number;
}

function digits(rng: Prng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

export function fakePhone(rng: Prng): string {
  return `04${digits(rng, 2)} ${digits(rng, 3)} ${digits(rng, 3)}`;
}

export function fakeEmail(rng: Prng, first: string, last: string): string {
  const domain = rng.pick(["example.com", "example.org", "example.net"]);
  return `${first}.${last}${rng.int(1, 99)}@${domain}`.toLowerCase();
}

function sentence(rng: Prng, words = 6): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(rng.pick(WORDS));
  const s = out.join(" ");
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

function uuid(rng: Prng): string {
  const hex = () => rng.int(0, 15).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

/** Values keyed by field name; `undefined` falls through to the type-based generator. */
function byName(name: string, node: SchemaNode, ctx: ValueContext): unknown {
  const { rng } = ctx;
  switch (name) {
    case "first_name":
    case "preferred_first_name":
    case "preferred_name":
      return rng.pick(FIRST_NAMES);
    case "last_name":
      return rng.pick(LAST_NAMES);
    case "email":
    case "invoice_email":
    case "email_reply_to":
      return fakeEmail(rng, rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
    case "address_1":
      return `${rng.int(1, 240)} ${rng.pick(STREETS)} ${rng.pick(STREET_TYPES)}`;
    case "address_2":
    case "address_3":
      return null;
    case "city":
      return rng.pick(CITIES)[0];
    case "state":
      return rng.pick(CITIES)[1];
    case "post_code":
      return rng.pick(CITIES)[2];
    case "country":
      return "Australia";
    case "country_code":
      return "AU";
    case "occupation":
      return rng.pick(OCCUPATIONS);
    case "time_zone":
      return "Melbourne";
    case "time_zone_identifier":
      return "Australia/Melbourne";
    case "website_address":
      return "https://clinic.example.com";
    case "number":
      return node.type === "string" ? fakePhone(rng) : undefined;
    case "normalized_number":
      return `+614${digits(rng, 8)}`;
    case "title":
      // Null only where the schema allows it (the titles of /settings are plain strings).
      if (node.type !== "string") return undefined;
      return rng.pick(node.nullable ? ["Mr", "Ms", "Mx", "Dr", null] : ["Mr", "Ms", "Mx", "Dr"]);
    case "sex":
      return rng.pick(["Female", "Male", "Intersex", null]);
    case "gender_identity":
      return null;
    case "color":
      return rng.pick(["#4a90d9", "#7fb77e", "#e0a458", "#c96480", "#6c5b7b"]);
    case "notes":
    case "description":
    case "appointment_notes":
    case "additional_information":
      return rng.chance(0.4) ? sentence(rng) : null;
    case "telehealth_url":
    case "cancellation_url":
    case "online_payment_url":
      return null;
    case "booking_ip_address":
      return rng.chance(0.3) ? `10.0.${rng.int(0, 255)}.${rng.int(1, 254)}` : null;
  }
  return undefined;
}

/** Date-time fields that describe an event which usually has not happened (null unless set). */
const EVENT_TIME = /_at$/;
const ALWAYS_SET_TIME = new Set(["created_at", "updated_at", "starts_at", "ends_at"]);

/** A realistic value for one field. `depth` guards recursive schemas. */
export function generateValue(name: string, input: SchemaNode, ctx: ValueContext, depth = 0): unknown {
  const node = deref(input);
  const { rng } = ctx;
  if (depth > 6) return null;
  if (node.deprecated && node.nullable) return null;
  if (node.format === "date-time" && EVENT_TIME.test(name) && !ALWAYS_SET_TIME.has(name)) return null;
  if (/^cancellation_/.test(name)) return null;
  const named = byName(name, node, ctx);
  if (named !== undefined) return named;
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives?.length) return generateValue(name, rng.pick(alternatives), ctx, depth + 1);
  if (node.enum?.length) {
    const values = node.enum.filter((v) => v !== null && v !== "");
    return values.length ? rng.pick(values) : null;
  }
  switch (node.type) {
    case "boolean":
      return rng.chance(0.5);
    case "integer":
      return rng.int(node.minimum ?? 0, Math.min(node.maximum ?? 10, (node.minimum ?? 0) + 10));
    case "number":
      return rng.int(1, 200);
    case "array": {
      if (!node.items || /_ids$/.test(name)) return [];
      const n = rng.int(0, 2);
      return Array.from({ length: n }, () => generateValue(name.replace(/s$/, ""), node.items!, ctx, depth + 1));
    }
    case "object": {
      if (!node.properties) return {};
      if (node.nullable && depth === 0) return null;
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(node.properties)) out[k] = generateValue(k, child, ctx, depth + 1);
      return out;
    }
  }
  // Strings.
  switch (node.format) {
    case "int64":
      return /_id$/.test(name) ? null : String(rng.int(1, 1_000_000));
    case "date-time":
      return isoSeconds(ctx.nowMs - rng.int(0, 60) * 86_400_000);
    case "date":
      return new Date(ctx.nowMs - rng.int(0, 365) * 86_400_000).toISOString().slice(0, 10);
    case "decimal":
      return `${rng.int(1, 250)}.${rng.pick(["00", "50", "95"])}`;
    case "uuid":
      return uuid(rng);
    case "ipv4":
      return `10.0.0.${rng.int(1, 254)}`;
    case "uri":
      return null;
  }
  if (typeof node.example === "string") return node.example;
  if (node.nullable && rng.chance(0.5)) return null;
  const text = sentence(rng, 3);
  return node.maxLength ? text.slice(0, node.maxLength) : text;
}

/** The value a field takes when a create does not mention it: null when allowed, else an empty value. */
export function blankValue(input: SchemaNode): unknown {
  const node = deref(input);
  if (node.nullable) return null;
  switch (node.type) {
    case "boolean":
      return false;
    case "integer":
    case "number":
      return node.minimum ?? 0;
    case "array":
      return [];
    case "object":
      return {};
  }
  if (node.enum?.length) return node.enum[0];
  if (node.format === "decimal") return "0.00";
  return "";
}
