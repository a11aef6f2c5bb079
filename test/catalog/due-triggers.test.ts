import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dueOptionIssues, dueOptions, trigger } from "../../src/catalog/index.ts";
import { PICK_FROM } from "../../src/cliniko/field-docs.ts";
import { validateWorkflow, WorkflowValidationError } from "../../src/engine/workflow.ts";

describe("due triggers' options", () => {
  it("declare id lists the editor offers by name", () => {
    const schema = trigger("before_appointment").inputSchema as {
      properties: Record<string, { items?: Record<string, unknown> }>;
      required?: string[];
    };
    assert.equal(schema.properties.practitioners?.items?.[PICK_FROM], "practitioners");
    assert.equal(schema.properties.appointment_types?.items?.[PICK_FROM], "appointment_types");
    assert.equal(schema.properties.businesses?.items?.[PICK_FROM], "businesses");
    assert.deepEqual(schema.required, ["before"]);
    assert.deepEqual(
      Object.keys((trigger("patient_due_for_recall").inputSchema as { properties: object }).properties),
      ["after", "appointment_types", "practitioners", "businesses"],
    );
  });

  it("read durations and defaults", () => {
    assert.deepEqual(dueOptions("before", { before: "24h" }), {
      offsetMs: 86_400_000,
      lastMinute: true,
      reminders: undefined,
      includeDidNotArrive: false,
      appointmentTypes: undefined,
      practitioners: undefined,
      businesses: undefined,
    });
    assert.equal(dueOptions("before", { before: "90m", last_minute: false }).lastMinute, false);
    assert.equal(dueOptions("recall", { after: "42d" }).offsetMs, 42 * 86_400_000);
  });

  it("are refused at save time with a clear message at the field", () => {
    const issues = (options: unknown, key = "before_appointment") => {
      try {
        validateWorkflow({
          name: "x",
          trigger: { key, options },
          steps: [{ id: "s", action: "filter", input: { condition: true } }],
        });
        return [];
      } catch (err) {
        assert.ok(err instanceof WorkflowValidationError);
        return err.issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    assert.deepEqual(issues(undefined), [
      "trigger.options.before: How long before the appointment starts is required, as a duration such as 24h, 90m or 2d",
    ]);
    assert.deepEqual(issues({ before: "tomorrow" }), [
      "trigger.options.before: How long before the appointment starts must be a duration such as 24h, 90m or 2d (m, h or d)",
    ]);
    assert.deepEqual(issues({ before: "30s" }), [
      "trigger.options.before: How long before the appointment starts must be at least 1m",
    ]);
    assert.deepEqual(issues({ before: "1h", reminders: "fax" }), [
      "trigger.options.reminders: reminders must be sms, email or any",
    ]);
    assert.deepEqual(issues({ before: "1h", practitioners: ["Dr Smith"] }), [
      "trigger.options.practitioners.0: each of the practitioners must be a Cliniko id",
    ]);
    assert.deepEqual(issues({ after: "2h", reminders: "sms" }, "after_appointment"), [
      "trigger.options: unknown option reminders (this trigger takes after, include_did_not_arrive, appointment_types, practitioners, businesses)",
    ]);
    assert.deepEqual(issues({ before: "2m", reminders: "sms", practitioners: ["12"] }), []);
    assert.deepEqual(dueOptionIssues("recall", { after: "42d" }), []);
  });
});
