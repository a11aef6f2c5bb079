import facts from "./spec.generated.json" with { type: "json" };
import type { OperationSpec, SchemaNode, SpecFacts } from "./spec-types.ts";

export type * from "./spec-types.ts";

/** Facts extracted from Cliniko's OpenAPI document (see scripts/gen-catalogue.ts). */
export const spec = facts as unknown as SpecFacts;

const byId = new Map(spec.operations.map((op) => [op.operationId, op]));

export function operation(operationId: string): OperationSpec {
  const op = byId.get(operationId);
  if (!op) throw new Error(`Unknown Cliniko operation ${operationId}`);
  return op;
}

/** Follows a `$ref` to its named schema (one level; nested refs stay refs). */
export function deref(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const target = spec.schemas[node.$ref];
  if (!target) throw new Error(`Unknown schema ${node.$ref}`);
  return target;
}

const templates = spec.operations
  .map((op) => ({
    op,
    re: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    params: op.pathParams.length,
  }))
  // Literal segments win over parameters: `/practitioners/inactive` is not `/practitioners/{id}`.
  .sort((a, b) => a.params - b.params);

/** The operation serving a concrete path (`/patients/12`, no query string), if the spec has one. */
export function findOperation(method: string, path: string): OperationSpec | undefined {
  return templates.find((t) => t.op.method === method && t.re.test(path))?.op;
}
