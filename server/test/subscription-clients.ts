// Real clients for subscription tests: a websocket client that collects what the server sends, and an
// HTTP receiver for rest-hooks that records every request and answers with the status it is told.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

export class WsClient {
  readonly messages: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(data.toString());
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    });
    return new WsClient(ws);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Waits until `count` messages matching the predicate have arrived (from the start), and returns them. */
  async waitFor(predicate: (m: string) => boolean, count = 1, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter(predicate);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} messages; got ${found.length}: ${this.messages.slice(-3).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Parsed JSON messages (notification Bundles, OperationOutcomes). */
  json<T = any>(): T[] {
    return this.messages.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m) as T);
  }

  close(): void {
    this.ws.close();
  }
}

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class Receiver {
  readonly requests: Received[] = [];
  /** The status the next requests get. */
  status = 200;
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Receiver> {
    let receiver!: Receiver;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        receiver.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.statusCode = receiver.status;
        res.end();
        for (const w of receiver.waiters.splice(0)) w();
      });
    });
    receiver = new Receiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  bundles(): any[] {
    return this.requests.filter((r) => r.body).map((r) => JSON.parse(r.body));
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} requests; got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requests;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The SubscriptionStatus (first entry) of a notification Bundle, as name -> value. */
export function statusOf(bundle: any): Record<string, any> {
  const params = bundle.entry[0].resource.parameter as any[];
  const out: Record<string, any> = {};
  for (const p of params) {
    const value = p.part ?? Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
    out[p.name] = p.name === 'notification-event' ? [...(out[p.name] ?? []), value] : value;
  }
  return out;
}

export const eventNumbers = (bundle: any): string[] =>
  (statusOf(bundle)['notification-event'] ?? []).map((parts: any[]) => parts.find((p) => p.name === 'event-number').valueString);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
