// The scope of one node's Assign (pure): what is in it, and that nothing outside it changes the
// content hash (an equal hash is what keeps the dispatcher from re-sending).
import type { Network, Secret, VirtualMachine } from '@hvs/domain';
import { buildAssignment } from '../../src/dispatch/assignment';
import { scopeOf, type ScopeSources } from '../../src/dispatch/assignment-scope';
import { vmDoc } from '../runtime/fixtures';

const net = (name: string, mode = 'nat'): Network => ({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name }, spec: { mode } } as unknown as Network);
const withUid = (vm: VirtualMachine, uid: string): VirtualMachine => ({ ...vm, metadata: { ...vm.metadata, uid } });
const sources = (vms: VirtualMachine[], networks: Network[]): ScopeSources => ({ vms, networks: new Map(networks.map((n) => [n.metadata.name, n])) });
const hashOf = (node: string, s: ScopeSources) => buildAssignment({ node, scope: scopeOf(node, s), peers: [] }).hash;

describe('scopeOf', () => {
  const web = withUid(vmDoc('web', { node: 'a', networks: ['lan'] }), 'u-web');
  const db = withUid(vmDoc('db', { node: 'a' }), 'u-db');
  const other = withUid(vmDoc('other', { node: 'b', networks: ['dmz'] }), 'u-other');
  const unbound = withUid(vmDoc('pending', { networks: ['lan'] }), 'u-pending');
  const base = () => sources([web, other, db, unbound], [net('lan'), net('dmz'), net('unused')]);

  it('holds the VMs bound to the node, sorted, and only the Networks their NICs use', () => {
    const s = scopeOf('a', base());
    expect(s.vms.map((v) => v.metadata.name)).toEqual(['db', 'web']);
    expect(s.networks.map((n) => n.metadata.name)).toEqual(['lan']);
  });

  it('leaves a deleting VM out (its agent cleans it up), and the Networks only it used', () => {
    const deleting = { ...web, metadata: { ...web.metadata, deletionTimestamp: '2026-12-07T00:00:00Z' } };
    const s = scopeOf('a', sources([deleting, db], [net('lan')]));
    expect(s.vms.map((v) => v.metadata.name)).toEqual(['db']);
    expect(s.networks).toEqual([]);
  });

  it('a NIC naming a Network that does not exist yet adds nothing (the agent reports it missing)', () => {
    expect(scopeOf('a', sources([web], [])).networks).toEqual([]);
  });

  it('changes outside the scope leave the hash equal: another node\'s VM, an unused Network, an unbound VM', () => {
    const before = hashOf('a', base());
    const changed = sources(
      [web, { ...other, metadata: { ...other.metadata, labels: { x: 'y' } } }, db, { ...unbound, spec: { ...unbound.spec, cpu: { cores: 4 } } }],
      [net('lan'), net('dmz', 'isolated'), net('unused', 'isolated'), net('brand-new')],
    );
    expect(hashOf('a', changed)).toBe(before);
  });

  it('changes inside the scope change the hash: a VM spec, a used Network, a VM bound here', () => {
    const before = hashOf('a', base());
    expect(hashOf('a', sources([{ ...web, spec: { ...web.spec, cpu: { cores: 2 } } }, other, db], [net('lan'), net('dmz')]))).not.toBe(before);
    expect(hashOf('a', sources([web, other, db, unbound], [net('lan', 'isolated'), net('dmz')]))).not.toBe(before);
    expect(hashOf('a', sources([web, other, db, { ...unbound, status: { node: 'a', phase: 'Scheduled' } }], [net('lan'), net('dmz')]))).not.toBe(before);
  });

  it('status and resourceVersion are not part of what the agent gets, so status writes never re-send', () => {
    const before = hashOf('a', base());
    const noisy = { ...web, metadata: { ...web.metadata, resourceVersion: '999' }, status: { node: 'a', phase: 'Running' as const, ips: ['10.0.0.9'] } };
    expect(hashOf('a', sources([noisy, other, db, unbound], [net('lan'), net('dmz'), net('unused')]))).toBe(before);
  });
});

describe('secretRefs in the Assign', () => {
  const secret = (name: string, data: Record<string, string>): Secret => ({ apiVersion: 'hvs/v1', kind: 'Secret', metadata: { name }, spec: { data } });
  const withRefs = (vm: VirtualMachine, refs: string[]): VirtualMachine => ({ ...vm, spec: { ...vm.spec, cloudInit: { secretRefs: refs } } });
  const web = withRefs(withUid(vmDoc('web', { node: 'a' }), 'u-web'), ['db-creds', 'missing']);
  const plain = withUid(vmDoc('plain', { node: 'a' }), 'u-plain');
  const other = withRefs(withUid(vmDoc('other', { node: 'b' }), 'u-other'), ['api-key']);
  const secrets = (db = 'hunter2') => new Map([['db-creds', secret('db-creds', { password: db, user: 'app' })], ['api-key', secret('api-key', { k: 'zzz' })]]);
  const src = (db?: string): ScopeSources => ({ ...sources([web, plain, other], []), secrets: secrets(db) });

  it('resolves exactly the referenced values into that VM\'s entry only; a missing Secret adds nothing', () => {
    const a = buildAssignment({ node: 'a', scope: scopeOf('a', src()), peers: [] });
    const entries = a.request.vms.map((v) => Object.fromEntries(Object.entries(v.secrets).map(([k, b]) => [k, b.toString()])));
    expect(entries).toEqual([{}, { 'db-creds/password': 'hunter2', 'db-creds/user': 'app' }]);
    expect(a.request.vms.map((v) => v.vm?.metadata?.name)).toEqual(['plain', 'web']);
    expect(JSON.stringify(a.request)).not.toContain('zzz');
  });

  it('a changed referenced value changes the hash (re-sent); an unreferenced Secret does not', () => {
    const before = buildAssignment({ node: 'a', scope: scopeOf('a', src()), peers: [] }).hash;
    expect(buildAssignment({ node: 'a', scope: scopeOf('a', src('s3cret')), peers: [] }).hash).not.toBe(before);
    const more = { ...src(), secrets: new Map([...secrets(), ['unused', secret('unused', { x: 'y' })]]) };
    expect(buildAssignment({ node: 'a', scope: scopeOf('a', more), peers: [] }).hash).toBe(before);
  });
});
