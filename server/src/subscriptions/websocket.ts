// Websocket delivery at [base]/ws. Two protocols on one socket:
// - R4: the client sends "bind <id>", the server answers "bound <id>" and sends "ping <id>" per
//   event; the connection authenticates with its access token (Authorization header, or
//   ?access_token= since browsers cannot set headers on a websocket) and must be the subscription's owner.
// - Backport IG: "bind-with-token <token>" (or Medplum's JSON frame {"type":"bind-with-token",
//   "payload":{"token":...}}) with a token from $get-ws-binding-token; the server sends a handshake
//   Bundle, then a notification Bundle per event and heartbeats.
// Every process delivers to its own sockets: woken by NOTIFY after any process recorded notifications,
// it reads what each bound subscription has beyond the socket's cursor, so a client on either
// process gets every event once.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Provider } from 'oidc-provider';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Principal } from '../fhir/context.js';
import type { Logger } from '../logger.js';
import { principalOf } from '../auth/bearer.js';
import { outcome, issue } from '../fhir/outcome.js';
import { eventCount, notificationBundle, storedEvents, type StoredEvent } from './notification.js';
import { sameOwner } from './owner.js';
import type { SubscriptionRegistry } from './registry.js';
import type { SubscriptionSpec } from './spec.js';
import { SerialRunner } from './serial.js';

interface Binding {
  socket: Client;
  spec: SubscriptionSpec;
  /** R4 protocol ("ping <id>") or notification Bundles. */
  bundles: boolean;
  cursor: bigint;
  lastSent: number;
}

interface Client {
  ws: WebSocket;
  principal: Principal;
  bindings: Map<string, Binding>;
}

export class WebsocketHub {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly bindings = new Set<Binding>();
  private readonly runs = new SerialRunner(
    () => this.deliver(),
    (err) => this.log.error({ error: err.message }, 'websocket delivery failed'),
  );
  private timer?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly registry: SubscriptionRegistry,
    private readonly provider: Provider,
    private readonly path: string,
  ) {}

  async start(httpServer: http.Server): Promise<void> {
    httpServer.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    this.unlisten = await this.db.listen('meridian_delivery', () => this.wake());
    // heartbeats, websocket pings that keep proxies from closing idle sockets, and the poll
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.();
    for (const ws of this.server.clients) ws.terminate();
    this.server.close();
    await this.runs.stop();
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.path) return void socket.destroy();
    let principal: Principal = this.config.authMode === 'open' ? { kind: 'open' } : { kind: 'anonymous' };
    const token = url.searchParams.get('access_token');
    if (principal.kind === 'anonymous' && (req.headers.authorization || token)) {
      try {
        principal = await principalOf(req.headers.authorization ?? `Bearer ${token}`, this.config, this.provider);
      } catch {
        socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n');
        return;
      }
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.connected({ ws, principal, bindings: new Map() }));
  }

  private connected(client: Client): void {
    client.ws.on('message', (data) => void this.message(client, data.toString()).catch((err) => this.refuse(client, (err as Error).message)));
    client.ws.on('close', () => {
      for (const b of client.bindings.values()) this.bindings.delete(b);
      client.bindings.clear();
    });
    client.ws.on('error', () => undefined);
  }

  private async message(client: Client, text: string): Promise<void> {
    const trimmed = text.trim();
    let command = trimmed.split(/\s+/)[0];
    let argument = trimmed.slice(command.length).trim();
    if (trimmed.startsWith('{')) {
      const frame = JSON.parse(trimmed) as { type?: string; payload?: { token?: string } };
      command = frame.type ?? '';
      argument = frame.payload?.token ?? '';
    }
    if (command === 'bind') return this.bindById(client, argument);
    if (command === 'bind-with-token') return this.bindWithToken(client, argument);
    if (command === 'unbind') {
      const b = client.bindings.get(argument);
      if (b) this.bindings.delete(b);
      client.bindings.delete(argument);
      return;
    }
    this.refuse(client, `Unknown message "${command}" (bind <id>, bind-with-token <token>, unbind <id>)`);
  }

  /** R4: the connection's own token must be the subscription owner's. */
  private async bindById(client: Client, id: string): Promise<void> {
    if (client.principal.kind === 'anonymous') return this.refuse(client, 'bind needs an access token (Authorization header or ?access_token=), or use bind-with-token');
    const sub = (await this.registry.current(this.db)).get(id);
    if (!sub || sub.spec.channel !== 'websocket') return this.refuse(client, `Subscription/${id} is not a websocket subscription here`);
    if (!sameOwner(client.principal, sub.owner)) return this.refuse(client, `Subscription/${id} belongs to another client or user`);
    await this.bind(client, sub.spec, !!sub.spec.topic);
    client.ws.send(`bound ${id}`);
  }

  /** Backport IG: a token from $get-ws-binding-token (it names the subscriptions it is good for). */
  private async bindWithToken(client: Client, token: string): Promise<void> {
    const { rows } = await this.db.query<{ subscriptions: string[] }>('SELECT subscriptions FROM subscription_ws_token WHERE token = $1 AND expires_at > now()', [token]);
    if (!rows.length) return this.refuse(client, 'The binding token is unknown or expired');
    const subscriptions = await this.registry.current(this.db);
    for (const id of rows[0].subscriptions) {
      const sub = subscriptions.get(id);
      if (!sub || sub.spec.channel !== 'websocket') continue;
      const binding = await this.bind(client, sub.spec, true);
      this.send(binding, notificationBundle({ baseUrl: this.config.baseUrl, spec: sub.spec, status: sub.spec.status, type: 'handshake', eventsSinceStart: String(binding.cursor) }));
    }
  }

  private async bind(client: Client, spec: SubscriptionSpec, bundles: boolean): Promise<Binding> {
    const old = client.bindings.get(spec.id);
    if (old) this.bindings.delete(old);
    const binding: Binding = { socket: client, spec, bundles, cursor: BigInt(await eventCount(this.db, spec.id)), lastSent: Date.now() };
    client.bindings.set(spec.id, binding);
    this.bindings.add(binding);
    return binding;
  }

  private refuse(client: Client, text: string): void {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(outcome([issue('error', 'processing', text)])));
  }

  private send(binding: Binding, message: unknown): void {
    binding.lastSent = Date.now();
    const ws = binding.socket.ws;
    if (ws.readyState === ws.OPEN) ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends every bound subscription what was recorded beyond its socket's cursor. */
  wake(): void {
    this.runs.wake();
  }

  private async deliver(): Promise<void> {
    if (!this.bindings.size) return;
    const subscriptions = await this.registry.current(this.db);
    for (const b of this.bindings) b.spec = subscriptions.get(b.spec.id)?.spec ?? b.spec;
    const lowest = new Map<string, bigint>();
    let content = false;
    for (const b of this.bindings) {
      const c = lowest.get(b.spec.id);
      if (c === undefined || b.cursor < c) lowest.set(b.spec.id, b.cursor);
      content ||= b.bundles && b.spec.content === 'full-resource';
    }
    const found = await storedEvents(this.db, [...lowest].map(([subscription, after]) => ({ subscription, after: String(after) })), content, 5000);
    for (const b of this.bindings) {
      const events = (found.get(b.spec.id) ?? []).filter((e) => BigInt(e.eventNumber) > b.cursor);
      for (const e of events) this.deliverEvent(b, e);
    }
  }

  private deliverEvent(b: Binding, e: StoredEvent): void {
    b.cursor = BigInt(e.eventNumber);
    if (!b.bundles) return this.send(b, `ping ${b.spec.id}`);
    this.send(b, notificationBundle({ baseUrl: this.config.baseUrl, spec: b.spec, status: 'active', type: 'event-notification', eventsSinceStart: e.eventNumber, events: [e] }));
  }

  private tick(): void {
    const now = Date.now();
    for (const b of this.bindings) {
      if (b.bundles && b.spec.heartbeatSeconds > 0 && now - b.lastSent >= b.spec.heartbeatSeconds * 1000) {
        this.send(b, notificationBundle({ baseUrl: this.config.baseUrl, spec: b.spec, status: 'active', type: 'heartbeat', eventsSinceStart: String(b.cursor) }));
      }
    }
    if (now % 30_000 < 1000) for (const ws of this.server.clients) ws.ping();
    this.wake(); // the poll: a NOTIFY lost while the listening connection was down
  }
}
