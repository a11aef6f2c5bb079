/**
 * The shapes the pipeline's layers pass along (octokit's hook model): each layer is a small
 * function that wraps `next(request)`. Below the error-mapping layer a response is raw text
 * (`RawHandler`); above it, parsed JSON or a typed `ClinikoError` (`Handler`).
 */
import type { ClinikoResponse, HttpMethod } from "../types.ts";

/** One request on its way to Cliniko: the URL is final, headers are added by the auth layer. */
export interface PipelineRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  /** JSON body (serialised by the transport). */
  body?: unknown;
  /** The caller's signal: aborting it stops the request and any retry at once. */
  signal?: AbortSignal;
  /** Set by the redirect guard; the transport never follows a redirect unless told to. */
  redirect?: "manual" | "error";
}

/** What the transport got back: status, headers and the body as text. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export type RawHandler = (request: PipelineRequest) => Promise<RawResponse>;
export type Handler = <T = unknown>(request: PipelineRequest) => Promise<ClinikoResponse<T>>;

/** A layer over typed answers (rate limit, retry, redirect guard). */
export type Layer = (next: Handler) => Handler;
/** A layer over raw answers (auth and headers). */
export type RawLayer = (next: RawHandler) => RawHandler;

export interface DebugLogger {
  debug(obj: object, msg?: string): void;
}

/**
 * Why the transport got no answer. The error-mapping layer turns it into a `ClinikoNetworkError`
 * (it knows the method and whether a write may have landed).
 */
export class TransportError extends Error {
  override name = "TransportError";
  readonly timedOut: boolean;
  readonly refused: boolean;
  constructor(init: { timedOut: boolean; refused: boolean; cause: unknown }) {
    super(init.timedOut ? "timed out" : init.refused ? "connection refused" : "network error", { cause: init.cause });
    this.timedOut = init.timedOut;
    this.refused = init.refused;
  }
}

/** Composes layers around an inner handler; the first layer listed is the outermost. */
export function compose(inner: Handler, ...layers: Layer[]): Handler {
  return layers.reduceRight<Handler>((next, layer) => layer(next), inner);
}
