/**
 * Names people type (workflows, connections, API tokens) end up in logs, terminals, audit rows and
 * HTML; a NUL byte or a control character in one can truncate, forge or hide text there. One rule
 * for every name, so the CLI and the HTTP API refuse the same names.
 */
import { z } from "zod";

/** C0 and C1 control characters, DEL and the Unicode line/paragraph separators. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

export const NO_CONTROL_CHARACTERS = "must not contain control characters (such as NUL, tab or line breaks)";

/** A name of 1 to `max` characters, none of them a control character. */
export const nameSchema = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !hasControlCharacter(s), NO_CONTROL_CHARACTERS);
