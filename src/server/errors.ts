/** Errors routes throw; the app's error handler turns every error into one JSON shape. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly statusCode: number;
  readonly code: string;
  readonly details?: { path: string; message: string }[];
  /** A refused switch-on: whether the submitted definition was kept as the workflow's draft. */
  draftKept?: boolean;
  constructor(statusCode: number, code: string, message: string, details?: { path: string; message: string }[]) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new HttpError(404, "not_found", `${what} was not found.`);
export const badRequest = (message: string, details?: { path: string; message: string }[]) =>
  new HttpError(400, "bad_request", message, details);
export const conflict = (message: string) => new HttpError(409, "conflict", message);
