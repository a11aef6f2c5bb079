/** Field names in a clinic's words: snake_case and camelCase keys alike, a schema's own title first. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldLabel, fieldTitle } from "../../src/cliniko/labels.ts";

test("keys read as words, camelCase included", () => {
  assert.equal(fieldLabel("patient_id"), "Patient");
  assert.equal(fieldLabel("appointment_type_ids"), "Appointment types");
  assert.equal(fieldLabel("allowInvalidCertificate"), "Allow invalid certificate");
  assert.equal(fieldLabel("messagingServiceSid"), "Messaging service SID");
  assert.equal(fieldLabel("apiKey"), "API key");
  assert.equal(fieldLabel("firstName"), "First name");
  assert.equal(fieldLabel("html"), "HTML");
  assert.equal(fieldLabel("last_minute"), "Last minute");
});

test("a schema's title wins; an empty or missing one falls back to the key in words", () => {
  assert.equal(fieldTitle("tls", { title: "Security" }), "Security");
  assert.equal(fieldTitle("accountSid", { title: "" }), "Account SID");
  assert.equal(fieldTitle("accountSid"), "Account SID");
});
