/**
 * What the HTTP port accepts before any route runs, as pure decisions (transport-guard.ts
 * applies them):
 *  - Host: only names in the allowed list (any port), so a page on a DNS name its author
 *    controls cannot reach the controller by rebinding that name to it;
 *  - Origin / Sec-Fetch-Site: a browser request from another origin is refused unless that
 *    origin is configured; only configured origins get CORS headers;
 *  - request bodies: exactly application/json or application/yaml (parameters allowed,
 *    charset utf-8 only); every POST, PUT and PATCH needs one, so an HTML form (urlencoded,
 *    multipart, text/plain) never reaches a service.
 * Guarantees: a refusal is one coded HvsError; nothing here reads the body.
 */
import { HvsError } from '@hvs/domain';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpEdgePolicy {
  /** The port speaks TLS: same-origin means https://<Host>. */
  tls: boolean;
  /** Lower-case host names and IPs, without brackets or ports. */
  allowedHosts: ReadonlySet<string>;
  /** Exact origins (`https://console.example.com`) allowed to call cross-origin. */
  allowedOrigins: ReadonlySet<string>;
}

export interface EdgeRequest {
  method?: string;
  headers: IncomingHttpHeaders;
}

export type EdgeDecision =
  | { refused: HvsError }
  | { refused?: undefined; /** Headers to add (CORS for a configured origin). */ headers: Record<string, string>; /** A CORS preflight: answer 204 with `headers`, nothing more. */ preflight: boolean };

export const BODY_MEDIA_TYPES = ['application/json', 'application/yaml'] as const;
const CORS_METHODS = 'GET, POST, DELETE';
const CORS_HEADERS = 'authorization, content-type, x-hvs-file';
const HOW = 'see docs/troubleshooting.md#rest-requests-refused';

/** Loopback names, the listen host (unless a wildcard) and the served certificate's names. */
export function defaultAllowedHosts(listenHost: string, certificateNames: readonly string[]): string[] {
  const names = ['localhost', '127.0.0.1', '::1', ...(listenHost === '0.0.0.0' || listenHost === '::' ? [] : [listenHost]), ...certificateNames];
  return [...new Set(names.map((n) => n.toLowerCase().replace(/^\[(.*)\]$/, '$1')))];
}

/** The host of a Host header (`name`, `name:port`, `[v6]:port`), lower case without brackets; undefined if malformed. */
export function hostOfHeader(host: string | undefined): string | undefined {
  if (host === undefined || !/^[^\s/@?#\\]+$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/** `type/subtype` of a Content-Type in lower case when it is well formed and any charset is utf-8; else undefined. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [type, ...params] = header.split(';');
  const t = type.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(t)) return undefined;
  for (const p of params) {
    const m = /^\s*([A-Za-z0-9!#$&^_.+-]+)=("?)([A-Za-z0-9!#$&^_.+-]*)\2\s*$/.exec(p);
    if (m === null) return undefined;
    if (m[1].toLowerCase() === 'charset' && m[3].toLowerCase() !== 'utf-8') return undefined;
  }
  return t;
}

function header(req: EdgeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** A header value safe to quote in an error: bounded and JSON-escaped. */
function quoted(v: string): string {
  return JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}...` : v);
}

function hasBody(req: EdgeRequest): boolean {
  const len = header(req, 'content-length');
  return header(req, 'transfer-encoding') !== undefined || (len !== undefined && len !== '0');
}

export function contentTypeUnsupported(got: string | undefined, accepted: readonly string[] = BODY_MEDIA_TYPES): HvsError {
  return new HvsError({
    code: 'HVS-API-CONTENT-TYPE-UNSUPPORTED', category: 'InvalidArgument',
    message: got === undefined ? 'the request has no Content-Type' : `the Content-Type ${quoted(got)} is not accepted here`,
    why: `request bodies must be exactly ${accepted.join(' or ')} (a charset parameter may only say utf-8): other types are what HTML forms send, and a form on any web page could otherwise drive the API`,
    fix: `send the body as JSON with Content-Type: application/json (VM actions take {} when there is nothing to say); ${HOW}`,
  });
}

function hostRefused(host: string | undefined): HvsError {
  return new HvsError({
    code: 'HVS-API-HOST-NOT-ALLOWED', category: 'InvalidArgument',
    message: host === undefined ? 'the request has no valid Host header' : `the Host ${quoted(host)} is not a name this controller answers to`,
    why: 'the controller answers only for the names in HVS_HTTP_ALLOWED_HOSTS (default: localhost, its listen address and its certificate\'s names), so a web page cannot reach it through a DNS name the page\'s author controls (DNS rebinding)',
    fix: `call the controller by one of those names, or add this one to HVS_HTTP_ALLOWED_HOSTS; ${HOW}`,
  });
}

function originRefused(origin: string | undefined, site: string | undefined): HvsError {
  return new HvsError({
    code: 'HVS-API-ORIGIN-NOT-ALLOWED', category: 'PermissionDenied',
    message: origin !== undefined ? `requests from the web origin ${quoted(origin)} are not allowed` : `a ${quoted(site ?? '')} browser request without an Origin is not allowed`,
    why: 'a page from another origin would act with the browser\'s access to the controller (cross-site request forgery); only origins in HVS_HTTP_ALLOWED_ORIGINS may call across origins',
    fix: `call the API from the controller's own origin or a tool, or add the page's exact origin to HVS_HTTP_ALLOWED_ORIGINS; ${HOW}`,
  });
}

/** Same origin: the page was served by this port under the name the request was sent to. */
function sameOrigin(policy: HttpEdgePolicy, origin: string, host: string): boolean {
  try {
    return new URL(origin).origin === new URL(`${policy.tls ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return false;
  }
}

export function decide(policy: HttpEdgePolicy, req: EdgeRequest): EdgeDecision {
  const hostHeader = header(req, 'host');
  const host = hostOfHeader(hostHeader);
  if (host === undefined || !policy.allowedHosts.has(host)) return { refused: hostRefused(hostHeader) };

  const origin = header(req, 'origin');
  const site = header(req, 'sec-fetch-site')?.toLowerCase();
  const configured = origin !== undefined && policy.allowedOrigins.has(origin);
  const crossSite = site === 'cross-site' || site === 'same-site';
  if (!configured && (origin !== undefined ? !sameOrigin(policy, origin, hostHeader!) : crossSite)) return { refused: originRefused(origin, site) };
  const headers: Record<string, string> = origin !== undefined ? { vary: 'Origin' } : {};
  if (configured) headers['access-control-allow-origin'] = origin;

  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS' && configured && header(req, 'access-control-request-method') !== undefined) {
    return { headers: { ...headers, 'access-control-allow-methods': CORS_METHODS, 'access-control-allow-headers': CORS_HEADERS, 'access-control-max-age': '600' }, preflight: true };
  }
  if (method === 'POST' || method === 'PUT' || method === 'PATCH' || hasBody(req)) {
    const got = header(req, 'content-type');
    const type = mediaTypeOf(got);
    if (type === undefined || !(BODY_MEDIA_TYPES as readonly string[]).includes(type)) return { refused: contentTypeUnsupported(got) };
  }
  return { headers, preflight: false };
}
