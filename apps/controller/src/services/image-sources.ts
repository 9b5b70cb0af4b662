/**
 * Where nodes download images from is decided at apply, in the service layer both transports
 * call: an Image whose source.url is new or changed needs the permission `images.url` on top of
 * cluster.write (a role may manage images without choosing what every node fetches), and the
 * URL must start with one of the controller's HVS_IMAGE_URL_PREFIXES when that list is set.
 */
import { HvsError, type AnyResource, type Image } from '@hvs/domain';
import { authorize } from '../identity';
import type { StoredObject } from '../store';
import { principalOf } from './access';
import type { CallContext } from './call-context';

export function imageUrlNotAllowed(name: string, url: string, prefixes: readonly string[]): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-URL-NOT-ALLOWED', category: 'PermissionDenied', path: 'spec.source.url',
    message: `Image ${name}: the URL ${url.slice(0, 256)} is outside the allowed prefixes (${prefixes.join(', ')})`,
    why: 'the controller restricts where nodes may download images from (HVS_IMAGE_URL_PREFIXES)',
    fix: 'use a URL under one of the allowed prefixes, or ask the operator to add one to HVS_IMAGE_URL_PREFIXES (docs/controller-config.md)',
  });
}

/**
 * An uploaded Image's digest belongs to its upload: `hvctl image import` records the sha256 it
 * computed, and a manifest that names the Image without a digest (examples/quickstart.yaml)
 * keeps it instead of asking to remove it. A manifest that gives a digest still wins (a
 * different one then fails the nodes' verification, as it should).
 */
export function withUploadDigest(desired: AnyResource, current: StoredObject | undefined): AnyResource {
  if (desired.kind !== 'Image' || current?.kind !== 'Image') return desired;
  const spec = (desired as Image).spec;
  const stored = (current as unknown as Image).spec;
  if (spec.source.upload !== true || stored.source.upload !== true || spec.sha256 || spec.sha512 || spec.allowUnverified || !stored.sha256) return desired;
  return { ...desired, spec: { ...spec, sha256: stored.sha256 } } as AnyResource;
}

/** `resources[i]` is applied over `currents[i]` (undefined: created). Throws for the first Image refused. */
export function checkImageSources(resources: readonly AnyResource[], currents: readonly (StoredObject | undefined)[], ctx: CallContext, prefixes: readonly string[] = []): void {
  resources.forEach((r, i) => {
    if (r.kind !== 'Image') return;
    const url = (r as Image).spec.source.url;
    if (url === undefined) return;
    const before = (currents[i] as Image | undefined)?.spec.source.url;
    if (url !== before) authorize(principalOf(ctx), 'images.url', `apply Image/${r.metadata.name} with source.url ${url.slice(0, 256)}`, { labels: r.metadata.labels ?? {} });
    if (prefixes.length > 0 && !prefixes.some((p) => url.startsWith(p))) throw imageUrlNotAllowed(r.metadata.name, url, prefixes);
  });
}
