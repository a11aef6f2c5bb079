/**
 * How the sandbox reads the catalogue: for each resource, which record fields are link objects
 * (`patient: { links: { self } }`) and where they point, and which `*_id` values must name an
 * existing record. Everything is derived from the record schemas' example URLs, so a field the
 * document adds tomorrow is served without code changes.
 */
import { type Resource, type ResourceName, resources } from "../cliniko/resources.ts";
import { deref, type SchemaNode } from "../cliniko/spec.ts";

/** A link to another record (stored as `<field>_id`) or to a path built from the record's own id. */
export type LinkField =
  | { field: string; kind: "member"; target: string; idKey: string }
  | { field: string; kind: "self"; template: string };

export interface ResourceModel {
  resource: Resource;
  /** Record fields that are plain values (stored as they are on the wire). */
  plain: [string, SchemaNode][];
  links: LinkField[];
}

const EXAMPLE_HOST = /^https?:\/\/[^/]+\/v1/;

/** The example URL of a link object (`{ links: { self: <uri> } }`), if the node is one. */
export function linkExample(node: SchemaNode): string | undefined {
  const n = deref(node);
  const keys = Object.keys(n.properties ?? {});
  if (n.type !== "object" || keys.length !== 1 || keys[0] !== "links") return undefined;
  const ex = n.properties?.links?.properties?.self?.example;
  return typeof ex === "string" ? ex.replace(EXAMPLE_HOST, "") : undefined;
}

function linkOf(field: string, path: string): LinkField {
  const member = /^\/([a-z_]+)\/1$/.exec(path);
  if (member) return { field, kind: "member", target: member[1]!, idKey: `${field}_id` };
  return { field, kind: "self", template: path.replace(/(\/|%3D|=)1(?=\/|$|&)/, "$1{id}") };
}

function build(resource: Resource): ResourceModel {
  const plain: [string, SchemaNode][] = [];
  const links: LinkField[] = [];
  for (const [field, node] of Object.entries(resource.fields)) {
    if (field === "links") continue;
    const example = linkExample(node);
    if (example) links.push(linkOf(field, example));
    else plain.push([field, node]);
  }
  return { resource, plain, links };
}

const models = new Map<string, ResourceModel>();

export function model(name: ResourceName | string): ResourceModel {
  let m = models.get(name);
  if (!m) {
    const r = (resources as Record<string, Resource>)[name];
    if (!r) throw new Error(`Unknown resource ${name}`);
    m = build(r);
    models.set(name, m);
  }
  return m;
}

/** The three collections a booking id can live in. */
export const BOOKING_KINDS = ["individual_appointments", "group_appointments", "unavailable_blocks"] as const;

/**
 * The collection a body field's id(s) must exist in: `patient_id` → patients, `referring_doctor_id`
 * → contacts (from the record's `referring_doctor` link), `business_ids` → businesses. Ids of
 * collections the sandbox does not serve (taxes, templates, ...) are not checked.
 */
export function referenceTarget(resourceName: string, field: string): string | undefined {
  const m = /^(.*)_ids?$/.exec(field);
  if (!m) return undefined;
  const base = m[1]!;
  const link = model(resourceName).links.find((l) => l.kind === "member" && l.idKey === `${base}_id`);
  if (link?.kind === "member") return link.target in resources ? link.target : undefined;
  for (const plural of [`${base}s`, `${base}es`]) if (plural in resources) return plural;
  return undefined;
}
