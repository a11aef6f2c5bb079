/** Checking an app connection before it is stored: the kind's schema, and no base URL outside tests. */

import type { AppKind } from "../connection-kinds.ts";
import type { AppConnectionConfig } from "../store/connections.ts";
import { BaseUrlNotAllowedError, baseUrlOverrideAllowed } from "./base-url.ts";
import { appConnectionKind, splitSettings } from "./connections.ts";
import { issuesText } from "./errors.ts";

export class InvalidConnectionError extends Error {
  override name = "InvalidConnectionError";
}

export function appConnectionConfig(
  name: string,
  kind: string,
  values: Record<string, unknown>,
  baseUrl?: string,
): AppConnectionConfig {
  const def = appConnectionKind(kind);
  if (baseUrl && !baseUrlOverrideAllowed()) throw new BaseUrlNotAllowedError();
  const parsed = def.settings.safeParse(values);
  if (!parsed.success)
    throw new InvalidConnectionError(`The ${def.title} settings are not valid: ${issuesText(parsed.error)}.`);
  return {
    name,
    kind: kind as AppKind,
    ...splitSettings(def, parsed.data as Record<string, unknown>),
    ...(baseUrl ? { baseUrl } : {}),
  };
}
