/**
 * The one way the REST specs call the controller: node:http/https (fetch may not set Host, and
 * trusts only the system CAs). Every REST request of a spec goes through `restFetch`, so the
 * credentials authentication will require are added here, in one place.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface RestInit {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as is; no Content-Type is added. */
  body?: string;
  /** PEM CA to trust for https (the cluster CA, or the operator certificate's). */
  ca?: string;
  /** TLS server name to send and check; default the URL's host (never the Host header, which a spec may forge). */
  servername?: string;
}

export interface RestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The certificate the server presented (https only). */
  peer?: PeerCertificate;
}

/** One request with a 20 s deadline; rejects on connection or TLS failure. */
export function restFetch(url: string, init: RestInit = {}): Promise<RestResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  const name = init.servername ?? u.hostname.replace(/^\[(.*)\]$/, '$1');
  const tls = { ca: init.ca, servername: isIP(name) ? '' : name, checkServerIdentity: (_h: string, cert: PeerCertificate) => checkServerIdentity(name, cert) };
  // agent false: a fresh connection (and TLS handshake) per request, never one kept alive from an earlier one.
  const options = { method: init.method ?? 'GET', headers, timeout: 20_000, agent: false, ...(u.protocol === 'https:' ? tls : {}) };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      const peer = u.protocol === 'https:' ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, peer });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method} ${url}: no answer within 20 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The rejection of a request that must fail (TLS refused, connection reset). */
export async function restFailure(url: string, init: RestInit = {}): Promise<Error> {
  try {
    const r = await restFetch(url, init);
    throw Object.assign(new Error(`expected ${url} to fail, got HTTP ${r.status}`), { unexpected: true });
  } catch (e) {
    if ((e as { unexpected?: boolean }).unexpected) throw e;
    return e as Error;
  }
}
