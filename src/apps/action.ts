/**
 * An app action: one row of an app's table (key, input schema, output sample, safety, a `run`
 * handler). The step registry turns each row into a step kind (src/steps/apps.ts). The row names
 * the connection kinds it accepts; the step's `connection:` picks one (or, when omitted, the only
 * connection of those kinds).
 */
import type { z } from "zod";
import type { RepeatSafety } from "../catalog/types.ts";
import type { AppKind } from "../connection-kinds.ts";
import type { AppConnection } from "./types.ts";

export interface AppAction<I = unknown, S = Record<string, unknown>> {
  key: string;
  title: string;
  /** Palette group: the app's name ("Email", "Slack", …). */
  group: string;
  /** What it does, with the words people search for ("text message", "spreadsheet"). */
  description: string;
  connections: readonly AppKind[];
  /** Other words a clinic may search the palette by ("spreadsheet", "text message"). */
  keywords?: readonly string[];
  input: z.ZodType<I>;
  outputSample: unknown;
  safety: RepeatSafety;
  run(connection: AppConnection<S>, input: I): Promise<unknown>;
}
