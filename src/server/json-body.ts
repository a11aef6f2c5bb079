/**
 * The JSON body parser: Fastify's own (it refuses `__proto__` and `constructor.prototype` keys),
 * behind a nesting limit. JSON.parse accepts thousands of levels, but the code that later walks a
 * value recursively (validation, templates, storage) overflows the stack on them: a 40 kB body of
 * brackets would otherwise be a 500 for anyone who can reach `/hooks/<token>`.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "./errors.ts";

/** Far above any workflow (a nested branch adds 4 levels) or webhook payload seen in practice. */
export const MAX_JSON_DEPTH = 256;

/** The deepest nesting of arrays and objects in JSON text, counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(
        new HttpError(
          400,
          "too_deeply_nested",
          `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; send a flatter document.`,
        ),
        undefined,
      );
      return;
    }
    parse(req, text, done);
  });
}
