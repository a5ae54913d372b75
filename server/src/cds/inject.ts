// A GET into Meridian's own request pipeline without a network hop: a synthetic Node request is
// handed to the app's own request handler (koa.callback()), so it passes exactly what an HTTP
// request with the same bearer token would pass — authentication, scopes, compartments, the audit
// trail — and answers the same status and body. Used when a CDS request's fhirServer is Meridian.
import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface InjectedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function injectGet(handler: RequestHandler, url: string, headers: IncomingHttpHeaders): Promise<InjectedResponse> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = url;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.headers = { ...headers };
    req.push(null);
    const res = new ServerResponse(req);
    const chunks: Buffer[] = [];
    const add = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    };
    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      add(chunk, encoding);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, encoding?: unknown) => {
      add(chunk, encoding);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.getHeaders())) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
      resolve({ status: res.statusCode, headers: out, body: Buffer.concat(chunks).toString('utf8') });
      res.emit('finish');
      return res;
    }) as ServerResponse['end'];
    try {
      Promise.resolve(handler(req, res)).catch(reject);
    } catch (err) {
      reject(err);
    }
  });
}
