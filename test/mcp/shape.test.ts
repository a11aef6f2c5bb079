/** Answers that fit, piece by piece: summaries, the byte and record caps, cursors, and the compact listed schema. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { action } from "../../src/catalog/index.ts";
import { ToolRefusal } from "../../src/mcp/refusal.ts";
import { compactInputSchema } from "../../src/mcp/schema.ts";
import { answerText, capArray, decodeCursor, encodeCursor, shapeRecord, takeFitting } from "../../src/mcp/shape.ts";

describe("answer shaping", () => {
  const patient = {
    id: "7",
    first_name: "Ada",
    last_name: "Lovelace",
    email: null,
    notes: "long private notes",
    patient_phone_numbers: [{ number: "0412 345 678", phone_type: "Mobile" }],
    links: { self: "https://api.au1.cliniko.com/v1/patients/7" },
  };

  it("summarises a record to the fields a person reads, or the fields asked for", () => {
    assert.deepEqual(shapeRecord(patient), {
      id: "7",
      first_name: "Ada",
      last_name: "Lovelace",
      phones: ["0412 345 678"],
    });
    assert.deepEqual(shapeRecord(patient, ["notes"]), { id: "7", notes: "long private notes" });
    assert.equal(shapeRecord(patient, ["*"]), patient);
  });

  it("takes records while they fit the record and byte caps, and always at least one", () => {
    const big = Array.from({ length: 10 }, (_, i) => ({ id: String(i), name: "x".repeat(1000) }));
    assert.equal(takeFitting(big, undefined, 50, 3500).taken.length, 3);
    assert.equal(takeFitting(big, undefined, 2, 1e6).taken.length, 2);
    assert.equal(takeFitting(big, undefined, 50, 10).taken.length, 1, "an answer always moves forward");
    assert.equal(takeFitting(big, undefined, 50, 10, false).taken.length, 0);
  });

  it("continues a capped list with a cursor that carries the first call's arguments", () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: String(i) }));
    const first = capArray(rows, { args: { q: ["x"] }, skip: 0 }, ["*"]);
    assert.equal(first.records.length, 50);
    const state = decodeCursor(first.next_cursor!);
    assert.deepEqual(state, { args: { q: ["x"] }, skip: 50 });
    const last = capArray(rows, decodeCursor(capArray(rows, state, ["*"]).next_cursor!), ["*"]);
    assert.deepEqual(last.records.at(-1), { id: "119" });
    assert.equal(last.next_cursor, null);
    assert.throws(() => decodeCursor("nonsense"), ToolRefusal);
    assert.throws(() => decodeCursor(encodeCursor({ args: {}, skip: 1.5 })), ToolRefusal);
  });

  it("writes a list answer's text as a heading and one line per record, not the JSON again", () => {
    const text = answerText({ records: [{ id: "1", first_name: "Ada" }], total_entries: 9, next_cursor: "abc" });
    assert.equal(
      text,
      '1 records (total_entries: 9):\n- id: 1; first_name: Ada\nMore: call again with {"cursor": "abc"}.',
    );
    assert.equal(answerText({ id: "7", links: { self: "u" } }), 'id: 7\nlinks: {"self":"u"}');
  });
});

describe("the listed input schema", () => {
  it("keeps every field and the required ones, and drops what the type already says", () => {
    const full = action("create_patient").inputSchema as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    const compact = compactInputSchema("create_patient", full) as typeof full;
    assert.deepEqual(Object.keys(compact.properties), Object.keys(full.properties));
    assert.deepEqual(compact.required, full.required);
    assert.ok(JSON.stringify(compact).length < JSON.stringify(full).length / 2);
    assert.deepEqual(compact.properties.accepted_privacy_policy, { type: ["boolean", "null"] });
    assert.deepEqual(compact.properties.address_1, { type: ["string", "null"] });
    assert.equal(compact.properties.concession_type_id!.description, "Id or Cliniko URL.");
    assert.match(String(compact.properties.custom_fields!.description), /cliniko-flow:\/\/tools\/create_patient/);
  });
});
