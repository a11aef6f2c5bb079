/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for Cliniko in client tests. Each
 * test installs a handler; every request is recorded with its receive time, so tests can assert
 * on headers, bodies and pacing as seen on the wire.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serveOwnOrigin } from "../../../src/net/own-origins.ts";

export interface Received {
  method: string;
  url: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export type Handler = (req: Received, res: ServerResponse, n: number) => void | Promise<void>;

export interface TestServer {
  origin: string;
  /** `${origin}/v1` */
  baseUrl: string;
  port: number;
  requests: Received[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { "content-type": "application/json" } : {}), ...headers });
  res.end(text);
}

export async function startServer(port = 0): Promise<TestServer> {
  let handler: Handler = (_req, res) => json(res, 200, {});
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      const received: Received = {
        method: req.method ?? "",
        url,
        path: url.split("?")[0] ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at,
      };
      requests.push(received);
      Promise.resolve()
        .then(() => handler(received, res, requests.length))
        .catch((err) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${actual}`;
  // A fake Cliniko in this test's own process: its clients may reach it (src/net/own-origins.ts).
  const withdraw = serveOwnOrigin(origin);
  return {
    origin,
    baseUrl: `${origin}/v1`,
    port: actual,
    requests,
    handle(h) {
      handler = h;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        withdraw();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let keySeq = 0;
/** A fresh API key per test: limiters are shared per key within the process. */
export function testKey(shard = "au1"): string {
  keySeq++;
  return `MS0xLTEyMzQ1Njc4OTAtdGVzdGtleS${process.pid}x${keySeq}-${shard}`;
}
