/**
 * Names people type (workflows, connections, API tokens) end up in logs, terminals, audit rows and
 * HTML; a NUL byte or a control character in one can truncate, forge or hide text there. One rule
 * for every name, so the CLI and the HTTP API refuse the same names.
 */
import { z } from "zod";

/** C0 and C1 control characters, DEL and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const NO_CONTROL_CHARACTERS = "must not contain control characters (such as NUL, tab or line breaks)";

/** A name of 1 to `max` characters, none of them a control character. */
export const nameSchema = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), NO_CONTROL_CHARACTERS);
