import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Which addresses an image download may connect to. Refused: link-local (169.254.0.0/16,
 * fe80::/10; the cloud metadata service 169.254.169.254 lives there) and unspecified (0.0.0.0,
 * ::), also as IPv4-mapped IPv6. Checked on the address actually connected (a custom `lookup`
 * for every hop, redirects included), so a DNS name cannot smuggle a refused address past it.
 * Loopback and private ranges stay allowed: a local mirror is a normal source.
 * Returns the reason for a refused address, undefined for an allowed one.
 */
export function refusedAddress(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return refusedV4(ip);
  if (family !== 6) return `"${ip}" is not an IP address`;
  const lower = ip.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return refusedV4(mapped[1]);
  const words = expandV6(lower);
  if (words.every((w) => w === 0)) return `${ip} is the unspecified address`;
  if ((words[0] & 0xffc0) === 0xfe80) return `${ip} is link-local (fe80::/10)`;
  return undefined;
}

function refusedV4(ip: string): string | undefined {
  const [a, b] = ip.split('.').map(Number);
  if (ip === '169.254.169.254') return `${ip} is the cloud metadata address`;
  if (a === 169 && b === 254) return `${ip} is link-local (169.254.0.0/16)`;
  if (a === 0) return `${ip} is unspecified (0.0.0.0/8)`;
  return undefined;
}

function expandV6(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // An embedded IPv4 tail takes two words.
  const last = t.length > 0 ? t : h;
  if (last.length > 0 && last[last.length - 1].includes('.')) {
    const [a, b, c, d] = last.pop()!.split('.').map(Number);
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((w) => parseInt(w || '0', 16));
}

/** Thrown by the lookup below; the downloader turns it into HVS-IMAGE-URL-REFUSED. */
export class RefusedAddressError extends Error {
  readonly code = 'HVS-IMAGE-URL-REFUSED';
  constructor(readonly host: string, readonly reason: string) {
    super(`${host} resolves to a refused address: ${reason}`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (host: string, options: LookupOptions, cb: LookupCallback) => void;

/**
 * A `lookup` for http.request: resolves like dns.lookup, then refuses any address above. Node
 * connects to exactly what lookup returns, so the check applies to the connected address. With
 * `all` (happy eyeballs), a refused address anywhere in the answer refuses the host (a name that
 * mixes a metadata address in is not a mirror).
 */
export function refusingLookup(resolve: Resolver = dnsLookup as unknown as Resolver): Resolver {
  return (host, options, cb) => {
    resolve(host, options, (err, address, family) => {
      if (err) {
        cb(err, address, family);
        return;
      }
      const all = Array.isArray(address) ? address : [{ address, family: family ?? isIP(address) }];
      for (const a of all) {
        const why = refusedAddress(a.address);
        if (why) {
          cb(new RefusedAddressError(host, why) as unknown as NodeJS.ErrnoException, address, family);
          return;
        }
      }
      cb(null, address, family);
    });
  };
}
