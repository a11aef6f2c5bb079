/** The generated record types: never stale, and true to the schema rules they promise. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { renderRecordTypes } from "../../src/cliniko/record-types.ts";
import type { IndividualAppointment, Patient, RecordOf } from "../../src/cliniko/records.generated.ts";
import { recordTypesSource } from "../../src/cliniko/records-source.ts";
import { resourceNames } from "../../src/cliniko/resources.ts";
import type { SpecFacts } from "../../src/cliniko/spec-types.ts";

describe("generated record types", () => {
  it("src/cliniko/records.generated.ts matches spec.generated.json (run node scripts/gen-records.ts)", () => {
    const committed = readFileSync(new URL("../../src/cliniko/records.generated.ts", import.meta.url), "utf8");
    assert.equal(committed, recordTypesSource(), "records.generated.ts is stale");
  });

  it("maps every catalogue resource to its record type", () => {
    for (const name of resourceNames) assert.match(recordTypesSource(), new RegExp(`^  ${name}: [A-Z]\\w+;$`, "m"));
  });

  it("types int64 ids as strings, nullable as | null, enums as literals, refs by name, links as objects", () => {
    const facts: SpecFacts = {
      source: "test",
      operations: [],
      operationCount: { total: 0, nonDeprecated: 0 },
      schemas: {
        Thing: {
          type: "object",
          required: ["id"],
          properties: {
            id: { type: "string", format: "int64" },
            count: { type: "integer", nullable: true },
            kind: { type: "string", enum: ["a", "b"] },
            phones: { type: "array", items: { $ref: "Phone" } },
            links: { type: "object", properties: { self: { type: "string", format: "uri" } } },
          },
        },
        Phone: { type: "object", properties: { number: { type: "string" } } },
      },
    };
    const text = renderRecordTypes(facts, { things: "Thing" });
    assert.match(text, /^ {2}id: string;$/m, "required fields are not optional");
    assert.match(text, /^ {2}count\?: number \| null;$/m);
    assert.match(text, /^ {2}kind\?: "a" \| "b";$/m);
    assert.match(text, /^ {2}phones\?: Phone\[\];$/m);
    assert.match(text, /^ {2}links\?: \{\n {4}self\?: string;\n {2}\};$/m);
    assert.match(text, /export type RecordOf<R extends keyof RecordTypes> = RecordTypes\[R\];/);
  });

  it("types the catalogue's records at compile time", () => {
    // These lines only compile if the generated types say so; a wrong type fails the typecheck.
    const patient: RecordOf<"patients"> = { id: "1", first_name: "Jo", archived_at: null } satisfies Patient;
    const appointment: RecordOf<"individual_appointments"> = {
      id: "2",
      cancelled_at: "2025-03-04T10:30:00Z",
      patient: { links: { self: "https://api.au1.cliniko.com/v1/patients/1" } },
    } satisfies IndividualAppointment;
    // @ts-expect-error ids are strings (int64), never numbers
    const wrong: Patient = { id: 1 };
    assert.equal(patient.id, "1");
    assert.equal(appointment.patient?.links?.self?.endsWith("/patients/1"), true);
    assert.ok(wrong);
  });
});
