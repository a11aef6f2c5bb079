/** Checking an app connection before it is stored: the kind's schema, and no base URL outside tests. */

import { z } from "zod";
import type { AppKind } from "../connection-kinds.ts";
import type { AppConnectionConfig } from "../store/connections.ts";
import { BaseUrlNotAllowedError, baseUrlOverrideAllowed } from "./base-url.ts";
import { appConnectionKind, splitSettings } from "./connections.ts";
import { issuesText } from "./errors.ts";

export class InvalidConnectionError extends Error {
  override name = "InvalidConnectionError";
}

/**
 * safeParse that never throws: a refinement that throws on odd input becomes one more issue, named
 * by field, and the thrown error (which may hold the secret value it choked on) goes nowhere.
 */
export function safeParseSettings(schema: z.ZodType, values: unknown): z.ZodSafeParseResult<unknown> {
  try {
    return schema.safeParse(values);
  } catch {
    const error = new z.ZodError([
      { code: "custom", path: [], message: "a value could not be checked", input: undefined },
    ]);
    return { success: false, error } as z.ZodSafeParseResult<unknown>;
  }
}

export function appConnectionConfig(
  name: string,
  kind: string,
  values: Record<string, unknown>,
  baseUrl?: string,
): AppConnectionConfig {
  const def = appConnectionKind(kind);
  if (baseUrl && !baseUrlOverrideAllowed()) throw new BaseUrlNotAllowedError();
  const parsed = safeParseSettings(def.settings, values);
  if (!parsed.success)
    throw new InvalidConnectionError(`The ${def.title} settings are not valid: ${issuesText(parsed.error)}.`);
  return {
    name,
    kind: kind as AppKind,
    ...splitSettings(def, parsed.data as Record<string, unknown>),
    ...(baseUrl ? { baseUrl } : {}),
  };
}
