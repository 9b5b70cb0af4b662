// Images in the Assign (pure): the Images a node's VMs use go into request.images, and each VM
// entry carries the digest every copy must have (spec, else the pinned one).
import type { Image, VirtualMachine } from '@hvs/domain';
import { buildAssignment } from '../../src/dispatch/assignment';
import { scopeOf, type ScopeSources } from '../../src/dispatch/assignment-scope';
import { vmDoc } from '../runtime/fixtures';

const HEX = 'ab'.repeat(32);
const img = (name: string, spec: Partial<Image['spec']> = {}, status?: Image['status']): Image =>
  ({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name }, spec: { source: { url: `https://images.example/${name}` }, format: 'qcow2', ...spec }, ...(status ? { status } : {}) });
const using = (name: string, node: string, disks: string[], cdrom?: string): VirtualMachine => {
  const vm = vmDoc(name, { node });
  return { ...vm, metadata: { ...vm.metadata, uid: `u-${name}` }, spec: { ...vm.spec, disks: disks.map((d, i) => ({ name: `d${i}`, size: '1GiB', image: d })), ...(cdrom ? { cdrom: { image: cdrom } } : {}) } };
};
const sources = (vms: VirtualMachine[], images: Image[]): ScopeSources => ({ vms, networks: new Map(), images: new Map(images.map((i) => [i.metadata.name, i])) });
const assign = (s: ScopeSources, node = 'a') => buildAssignment({ node, scope: scopeOf(node, s), peers: [] });

describe('images in the Assign', () => {
  const images = [
    img('deb', { sha256: HEX }),
    img('alp', { sha512: 'cd'.repeat(64) }),
    img('tofu', { allowUnverified: true }),
    img('tofu-pinned', { allowUnverified: true }, { pinned: true, digest: `sha256:${'ef'.repeat(32)}`, phase: 'Ready' }),
    img('iso', { format: 'iso', sha256: HEX.toUpperCase() }),
    img('unused', { sha256: HEX }),
  ];

  it('sends the Images the node\'s VMs use (disks and cdrom), sorted, without status', () => {
    const a = assign(sources([using('v1', 'a', ['deb', 'tofu-pinned'], 'iso'), using('v2', 'a', ['alp', 'deb']), using('v3', 'b', ['unused'])], images));
    expect(a.request.images.map((o) => o.metadata?.name)).toEqual(['alp', 'deb', 'iso', 'tofu-pinned']);
    expect(a.request.images.every((o) => o.statusJson === '' || o.statusJson === undefined)).toBe(true);
  });

  it('each VM gets the digest of every Image it uses: spec sha256/sha512, else the pin; an unpinned allowUnverified Image none', () => {
    const a = assign(sources([using('v1', 'a', ['deb', 'tofu', 'tofu-pinned'], 'iso'), using('v2', 'a', ['alp', 'missing'])], images));
    const [v1, v2] = a.request.vms;
    expect(v1!.imageDigests).toEqual({ deb: `sha256:${HEX}`, iso: `sha256:${HEX}`, 'tofu-pinned': `sha256:${'ef'.repeat(32)}` });
    expect(v2!.imageDigests).toEqual({ alp: `sha512:${'cd'.repeat(64)}` });
  });

  it('the hash is deterministic, ignores Image status progress, and changes when a digest is pinned', () => {
    const vms = [using('v1', 'a', ['tofu'])];
    const before = assign(sources(vms, images)).hash;
    expect(assign(sources([...vms].reverse(), [...images].reverse())).hash).toBe(before);
    const progressing = img('tofu', { allowUnverified: true }, { phase: 'Downloading', nodes: [{ node: 'a', phase: 'Downloading', cached: false, bytes: 10 }] });
    expect(assign(sources(vms, [...images.filter((i) => i.metadata.name !== 'tofu'), progressing])).hash).toBe(before);
    const pinned = img('tofu', { allowUnverified: true }, { phase: 'Ready', pinned: true, digest: `sha256:${HEX}` });
    expect(assign(sources(vms, [...images.filter((i) => i.metadata.name !== 'tofu'), pinned])).hash).not.toBe(before);
  });
});
