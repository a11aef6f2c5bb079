/**
 * Routes for answers Cliniko computes rather than stores (settings, services, conflicts, a
 * patient's referral source, an upload's presigned post, a form's signature): the sandbox answers
 * each with a record shaped by the document's response schema, after checking that the records
 * its path names exist.
 */
import { type Resource, resources } from "../cliniko/resources.ts";
import type { OperationSpec } from "../cliniko/spec.ts";
import { type ApiRequest, type ApiResponse, NotFoundError } from "./api.ts";
import { Prng } from "./prng.ts";
import type { SandboxStore } from "./store.ts";
import { generateValue } from "./values.ts";

/** The collection a path parameter names: `{patient_id}` → patients, `{id}` → the segment before it. */
function collectionOf(op: OperationSpec, param: string): Resource | undefined {
  const all = resources as Record<string, Resource>;
  if (param === "id") {
    const segments = op.path.split("/");
    return all[segments[segments.indexOf("{id}") - 1] ?? ""];
  }
  const base = param.replace(/_id$/, "");
  return all[`${base}s`] ?? all[`${base}es`] ?? all[base.replace(/y$/, "ies")];
}

export function computedHandler(store: SandboxStore, op: OperationSpec): (req: ApiRequest) => ApiResponse {
  return (req) => {
    for (const param of op.pathParams) {
      const collection = collectionOf(op, param);
      if (collection && !store.get(collection.name, req.params[param]!))
        throw new NotFoundError(`Not found: no ${collection.label} ${req.params[param]}`);
    }
    const response = op.response;
    if (response.kind === "none") return { status: response.status };
    // Seeded by the path, so the same request answers the same record.
    const rng = new Prng([...req.path].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
    if (response.kind === "list") {
      const item = withLinks(generateValue(response.key, response.item, { rng, nowMs: store.clock.nowMs() }), req);
      return {
        status: response.status,
        body: { [response.key]: [item], total_entries: 1, links: { self: `${req.base}${req.path}` } },
      };
    }
    return {
      status: response.status,
      body: withLinks(generateValue("record", response.schema, { rng, nowMs: store.clock.nowMs() }), req),
    };
  };
}

/** Generated link objects point at the request itself: a computed answer has no record of its own to link. */
function withLinks(value: unknown, req: ApiRequest): unknown {
  if (Array.isArray(value)) return value.map((v) => withLinks(v, req));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = k === "self" && v === null ? `${req.base}${req.path}` : withLinks(v, req);
  return out;
}
