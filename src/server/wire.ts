/**
 * The HTTP API's types, shared by the server and the web client (`web/src/api.ts` imports these
 * as types only, so the browser bundle carries none of the server's code). Each is inferred from
 * the zod schema the server validates and serializes with (schemas.ts): there is no second copy.
 */
import type { z } from "zod";
import type * as S from "./schemas.ts";

type Out<T extends z.ZodType> = z.output<T>;

/** Every error response: one shape, one sentence in `message`. */
export type ApiErrorBody = Out<typeof S.ApiErrorBody>;
export type JsonSchema = Out<typeof S.JsonSchema>;

export type SessionView = Out<typeof S.SessionView>;
export type TokenView = Out<typeof S.TokenView>;
export type SettingView = Out<typeof S.SettingView>;
export type RecordChoice = Out<typeof S.RecordChoice>;
export type ConnectionUpdate = z.input<typeof S.ConnectionUpdateBody>;
export type SettingsView = Out<typeof S.SettingsView>;
export type CreatedToken = Out<typeof S.CreatedToken>;

/** A Cliniko connection as the API shows it. The API key is write-only and never returned. */
export type ConnectionView = Out<typeof S.ConnectionView>;
export type ConnectionInput = z.input<typeof S.ConnectionCreateBody>;
export type ConnectionTestResult = Out<typeof S.ConnectionTestResult>;
/** An app connection kind: its title, where to get credentials, and its settings' JSON Schema. */
export type ConnectionKindView = Out<typeof S.ConnectionKindView>;

export type CatalogAction = Out<typeof S.CatalogAction>;
export type CatalogTrigger = Out<typeof S.CatalogTrigger>;
export type TriggerSample = Out<typeof S.SampleView>;

/** The workflow file's shape (YAML/JSON): the engine's own model. */
export type WorkflowDefinition = Out<typeof S.WorkflowSchema>;
export type WorkflowStep = Out<typeof S.WorkflowStep>;
export type WorkflowSummary = Out<typeof S.WorkflowSummary>;
export type WorkflowView = Out<typeof S.WorkflowView>;
export type WorkflowVersionView = Out<typeof S.WorkflowVersionView>;
export type ValidationResult = Out<typeof S.ValidationResult>;
export type StepTestInput = z.input<typeof S.StepTestBody>;
export type StepTestResult = Out<typeof S.StepTestResult>;
export type WorkflowTestResult = Out<typeof S.WorkflowTestResult>;

export type RunStatus = Out<typeof S.RunStatus>;
export type RunSummary = Out<typeof S.RunSummary>;
export type StepResultView = Out<typeof S.StepResultView>;
export type RunView = Out<typeof S.RunView>;
export type ReplayResult = Out<typeof S.ReplayResult>;
export type TemplateView = Out<typeof S.TemplateView>;
export type ReplayVersion = Out<typeof S.ReplayVersion>;

/** `GET /api/demo`: whether `serve --demo` runs, and what is in its sandbox clinic. */
export type DemoInfo = Out<typeof S.DemoInfo>;
/** What one Demo clinic action changed in the sandbox. */
export type DemoChange = Out<typeof S.DemoChange>;
export type DemoPatientInput = NonNullable<z.input<typeof S.DemoPatientBody>>;
