/**
 * Shapes of the facts extracted from Cliniko's OpenAPI document by
 * `scripts/gen-catalogue.ts`. The generated data (`spec.generated.json`) keeps only structure
 * (paths, parameters, filters, field types) — no prose from the document.
 */

/** An OpenAPI 3.0 schema node, reduced to the keywords we use. `$ref` names a key of `schemas`. */
export interface SchemaNode {
  $ref?: string;
  type?: "string" | "integer" | "number" | "boolean" | "object" | "array";
  format?: string;
  enum?: (string | number | boolean | null)[];
  nullable?: boolean;
  deprecated?: boolean;
  readOnly?: boolean;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  example?: unknown;
  /** Names of the values of a coded enum (`{ "12": "Memo" }`), from the document's value tables. */
  enumLabels?: Record<string, string>;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
}

/** Filter operand types of Cliniko's `q[]` tables. */
export type FilterType = "date-time" | "date" | "int64" | "integer" | "string" | "boolean" | "array";

export interface ParamSpec {
  name: string;
  required: boolean;
  schema: SchemaNode;
}

export type ResponseShape =
  | { kind: "none"; status: number }
  | { kind: "record"; status: number; schema: SchemaNode }
  | { kind: "list"; status: number; key: string; item: SchemaNode };

export interface OperationSpec {
  operationId: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  tag: string;
  deprecated: boolean;
  pathParams: string[];
  /** Query parameters other than `q[]` (page, per_page, sort, from, to, ...). */
  query: ParamSpec[];
  /** The `q[]` table: field → operand type. Absent when the operation takes no `q[]`. */
  filters?: Record<string, FilterType>;
  body?: SchemaNode;
  response: ResponseShape;
}

export interface SpecFacts {
  source: string;
  /** How many operations the document has (the facts keep them all); coverage is measured against it. */
  operationCount: { total: number; nonDeprecated: number };
  operations: OperationSpec[];
  schemas: Record<string, SchemaNode>;
}
