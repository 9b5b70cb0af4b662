import { HvsError } from '@hvs/domain';

/**
 * The coded errors of the image cache (docs/images.md, "Troubleshooting"): each says what
 * failed, why, and how to fix it. None carries a URL's credentials (urls are shown without them).
 */

/** A URL for display: no user:password, no query (it may hold a signed token). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

export function urlRefused(image: string, url: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-URL-REFUSED', category: 'PermissionDenied',
    message: `image '${image}': download from ${shownUrl(url)} refused`,
    why,
    fix: 'serve the image from an http(s) server on a routable address (not link-local, not the cloud metadata address), redirecting at most 5 times and only to http(s)',
  });
}

export function downloadFailed(image: string, url: string, why: string, fix: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DOWNLOAD-FAILED', category: 'Unavailable',
    message: `image '${image}': download from ${shownUrl(url)} failed`, why, fix,
  });
}

/** Errors a resumed attempt may cure at once (a broken connection); others wait for the backoff. */
const resumable = new WeakSet<HvsError>();
export const isResumable = (e: unknown): boolean => e instanceof HvsError && resumable.has(e);
export function markResumable(e: HvsError): HvsError {
  resumable.add(e);
  return e;
}

/** A network-level failure (DNS, TLS, reset) as a coded error with the fix that fits its kind. */
export function transportFailed(image: string, url: string, e: NodeJS.ErrnoException): HvsError {
  const code = e.code ?? '';
  const out = transportError(image, url, e, code);
  if (['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code) || e.message === 'aborted') resumable.add(out);
  return out;
}

function transportError(image: string, url: string, e: NodeJS.ErrnoException, code: string): HvsError {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return downloadFailed(image, url, `the host name does not resolve on this node (${code})`, 'check the URL and this node\'s DNS (/etc/resolv.conf); the agent retries on its own');
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code) || /certificate|tls|ssl/i.test(e.message)) {
    return downloadFailed(image, url, `TLS failed: ${e.message} (${code || 'tls'})`, 'the server\'s certificate must be valid for its name and chain to a CA this node trusts (NODE_EXTRA_CA_CERTS for a private CA)');
  }
  return downloadFailed(image, url, `${e.message}${code ? ` (${code})` : ''}`, 'check that the server is reachable from this node; the agent resumes where it stopped');
}

export function httpStatusFailed(image: string, url: string, status: number): HvsError {
  const fix = status === 404 || status === 410 ? 'the file is not at that URL: fix spec.source.url (a dated cloud image URL does not move)'
    : status === 401 || status === 403 ? 'the server refuses this node: make the file readable without credentials, or upload it with `hvctl image import`'
      : 'the server failed; the agent retries with backoff';
  return downloadFailed(image, url, `the server answered HTTP ${status}`, fix);
}

export function diskFull(image: string, dir: string, neededBytes: number, freeBytes: number): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DISK-FULL', category: 'ResourceExhausted',
    message: `image '${image}': not enough space in ${dir}`,
    why: `the image needs ${neededBytes} bytes, ${freeBytes} bytes are free`,
    fix: `free at least ${Math.max(0, neededBytes - freeBytes)} bytes in ${dir} (or point HVS_AGENT_IMAGES_DIR at a larger disk); the agent retries on its own`,
  });
}

export function digestMismatch(image: string, expected: string, actual: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DIGEST-MISMATCH', category: 'FailedPrecondition',
    message: `image '${image}': the downloaded bytes do not match the expected digest`,
    why: `expected ${expected}, got ${actual}; the partial file was deleted and no VM starts from it`,
    fix: 'check the digest in the Image spec against the one the distribution publishes for this exact file (a moving "latest" URL changes its bytes); then re-apply the Image',
  });
}

export function sourceMissing(image: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-SOURCE-MISSING', category: 'FailedPrecondition',
    message: `image '${image}' has no source this node can download`,
    why: 'spec.source has neither an http(s) url nor upload, or upload is set and the agent has no controller',
    fix: 'give spec.source.url, or upload the file with `hvctl image import FILE` on a cluster with a controller',
  });
}

export function digestMissing(image: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DIGEST-MISSING', category: 'FailedPrecondition',
    message: `image '${image}' has no digest to verify against`,
    why: 'a digest (sha256 or sha512) is mandatory unless spec.allowUnverified is true',
    fix: 'add spec.sha256 (or spec.sha512) with the digest the distribution publishes, or set allowUnverified: true (trust on first download)',
  });
}
