import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { HvsError } from '@hvs/domain';
import { refusedAddress, RefusedAddressError, refusingLookup, type Resolver } from './address-policy';
import { diskFull, httpStatusFailed, transportFailed, urlRefused } from './errors';
import { freeBytes, type PartFile } from './part-file';
import type { ProgressMeter } from './progress';

export const MAX_REDIRECTS = 5;

export interface HttpFetchOptions {
  image: string;
  url: string;
  /** Directory whose free space is checked before the body is written. */
  dir: string;
  /** Seconds of silence after which a connection counts as broken (default 30). */
  idleTimeoutMs?: number;
  /** DNS resolution (tests): refusingLookup wraps it. */
  resolve?: Resolver;
  signal?: AbortSignal;
}

/**
 * Where a redirect may go: http/https only (never file:, ftp:, data:...), at most
 * MAX_REDIRECTS hops. Pure: returns the next absolute URL or the reason for refusing it.
 */
export function nextHop(from: string, location: string | undefined, hops: number): { url: string } | { refused: string } {
  if (!location) return { refused: `a redirect from ${new URL(from).host} has no Location` };
  if (hops >= MAX_REDIRECTS) return { refused: `more than ${MAX_REDIRECTS} redirects` };
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { refused: 'a redirect names an unparsable Location' };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return { refused: `a redirect leads to the ${next.protocol} scheme (only http and https are followed)` };
  return { url: next.href };
}

/** The total size from a 206's Content-Range (`bytes a-b/total`), with its start; undefined when unusable. */
export function parseContentRange(header: string | undefined): { start: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (m === null) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/**
 * What to do with an answer to a (possibly ranged) GET, given `offset` bytes already on disk:
 * append (206 starting exactly at offset), restart from 0 (200: the server ignores Range, or a
 * 206 for another range), or `retryFromZero` (416: the part is not a prefix of the file). Pure.
 */
export function rangeDecision(status: number, offset: number, contentRange: string | undefined, contentLength: string | undefined):
  { action: 'append' | 'restart'; total: number | undefined } | { action: 'retryFromZero' } | { action: 'fail' } {
  const length = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  if (status === 206) {
    const r = parseContentRange(contentRange);
    if (r !== undefined && r.start === offset) return { action: 'append', total: r.total ?? (length !== undefined ? offset + length : undefined) };
    return { action: 'retryFromZero' };
  }
  if (status === 200) return { action: offset > 0 ? 'restart' : 'append', total: length };
  if (status === 416 && offset > 0) return { action: 'retryFromZero' };
  return { action: 'fail' };
}

/**
 * Downloads `url` into `part` from its current size on: `Range: bytes=<size>-` when something is
 * there, a restart from 0 when the server does not honour it. Redirects are followed (nextHop)
 * and every hop connects only to an allowed address (address-policy.ts: the lookup for names,
 * the literal itself for IP hosts). Checks free space once the size is known. Errors are coded:
 * HVS-IMAGE-URL-REFUSED, HVS-IMAGE-DOWNLOAD-FAILED (status, DNS, TLS, broken connection),
 * HVS-IMAGE-DISK-FULL. Resolves with the total size once the body is written (not yet closed:
 * the caller ends the part).
 */
export async function fetchHttp(o: HttpFetchOptions, part: PartFile, meter: ProgressMeter): Promise<number> {
  let res = await get(o, part.size);
  let decision = rangeDecision(res.statusCode ?? 0, part.size, header(res, 'content-range'), header(res, 'content-length'));
  if (decision.action === 'retryFromZero') {
    res.resume();
    await part.restart();
    res = await get(o, 0);
    decision = rangeDecision(res.statusCode ?? 0, 0, header(res, 'content-range'), header(res, 'content-length'));
  }
  if (decision.action !== 'append' && decision.action !== 'restart') {
    res.resume();
    throw httpStatusFailed(o.image, o.url, res.statusCode ?? 0);
  }
  if (decision.action === 'restart') await part.restart();
  const total = decision.total;
  if (total !== undefined) {
    const free = await freeBytes(o.dir);
    if (total - part.size > free) {
      res.destroy();
      throw diskFull(o.image, o.dir, total - part.size, free);
    }
  }
  meter.reset(part.size, total ?? 0);
  try {
    for await (const chunk of res) await part.write(chunk as Buffer, meter);
  } catch (e) {
    res.destroy();
    throw await failure(o, e);
  }
  if (total !== undefined && part.size !== total) {
    throw transportFailed(o.image, o.url, Object.assign(new Error(`the connection ended after ${part.size} of ${total} bytes`), { code: 'ECONNRESET' }));
  }
  return part.size;
}

/** Turns a write/stream failure into the coded error (ENOSPC -> disk full with the numbers). */
async function failure(o: HttpFetchOptions, e: unknown): Promise<HvsError> {
  if (e instanceof HvsError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC') return diskFull(o.image, o.dir, 0, await freeBytes(o.dir).catch(() => 0));
  return transportFailed(o.image, o.url, err);
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** GET with redirects; resolves at the first non-redirect answer (body unread). */
async function get(o: HttpFetchOptions, offset: number): Promise<IncomingMessage> {
  let url = o.url;
  for (let hops = 0; ; hops++) {
    const res = await getOnce(o, url, offset);
    const status = res.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status)) return res;
    res.resume();
    const next = nextHop(url, header(res, 'location'), hops);
    if ('refused' in next) throw urlRefused(o.image, o.url, next.refused);
    url = next.url;
  }
}

function getOnce(o: HttpFetchOptions, url: string, offset: number): Promise<IncomingMessage> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(urlRefused(o.image, url, 'the URL does not parse'));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(urlRefused(o.image, url, `the ${u.protocol} scheme is not downloaded (only http and https)`));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // Node skips `lookup` for an IP literal: check the literal itself.
  if (isIP(host)) {
    const why = refusedAddress(host);
    if (why) return Promise.reject(urlRefused(o.image, url, why));
  }
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, {
      method: 'GET', lookup: refusingLookup(o.resolve) as never, agent: false,
      headers: { 'user-agent': 'hvs-node-agent', 'accept-encoding': 'identity', ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
      ...(o.signal ? { signal: o.signal } : {}),
    }, resolve);
    req.setTimeout(o.idleTimeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error(`no data for ${Math.round((o.idleTimeoutMs ?? 30_000) / 1000)} s`), { code: 'ETIMEDOUT' })));
    req.once('error', (e) => reject(e instanceof RefusedAddressError ? urlRefused(o.image, url, e.message) : transportFailed(o.image, url, e)));
    req.end();
  });
}
