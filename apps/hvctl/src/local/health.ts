/** Health probes of the single-host components; each answers within about a second. */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';

export async function httpOk(url: string, check?: (body: string) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return false;
    return check ? check(await res.text()) : true;
  } catch {
    return false;
  }
}

/** The client TLS material etcd's health endpoint needs (`--client-cert-auth` guards it too). */
export interface EtcdProbeTls {
  caCert: string;
  clientCert: string;
  clientKey: string;
}

/**
 * GET https://127.0.0.1:<port>/health presenting the local client certificate; true on
 * {"health":"true"}. Missing or unreadable files are simply "not healthy".
 */
export function etcdHealthy(port: number, tls: EtcdProbeTls): Promise<boolean> {
  let options: https.RequestOptions;
  try {
    options = { ca: fs.readFileSync(tls.caCert), cert: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey), servername: 'localhost' };
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const req = https.get({ ...options, host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** One RESP PING; true on +PONG. */
export function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
  });
}
