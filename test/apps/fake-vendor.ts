/**
 * The one helper every HTTP vendor fake is built on: a local server that records each request
 * (method, path, query, headers, parsed body: JSON or form) and answers from the fake's handler.
 * Each fake (test/apps/fakes.ts) is written from its vendor's public API reference.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** JSON parsed, a form as an object, else the text. */
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (call: FakeCall) => FakeAnswer;

export interface FakeVendor {
  url: string;
  calls: FakeCall[];
  /** Answers the next `n` requests with `answer` (a 5xx, a 429) before the handler again. */
  failNext(answer: FakeAnswer, n?: number): void;
  close(): Promise<void>;
}

export async function fakeVendor(handler: FakeHandler): Promise<FakeVendor> {
  const calls: FakeCall[] = [];
  const queued: FakeAnswer[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString("utf8");
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const type = req.headers["content-type"] ?? "";
      let body: unknown = raw;
      if (type.includes("application/json") && raw) body = JSON.parse(raw);
      else if (type.includes("application/x-www-form-urlencoded")) body = Object.fromEntries(new URLSearchParams(raw));
      const call = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      calls.push(call);
      const answer = queued.shift() ?? handler(call);
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status ?? 200, {
        "content-type": typeof answer.body === "string" ? "text/plain" : "application/json",
        ...answer.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext(answer, n = 1) {
      for (let i = 0; i < n; i++) queued.push(answer);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
