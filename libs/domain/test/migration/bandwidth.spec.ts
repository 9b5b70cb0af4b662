import type { Node } from '../../src';
import { estimateMigration, linkBandwidth, planDrain, MIGRATION_BANDWIDTH_ANNOTATION, parseBandwidth, tryParseBandwidth } from '../../src/migration';
import { node } from '../scheduler/fixtures';

function annotated(name: string, bw?: string): Node {
  const n = node(name);
  return bw === undefined ? n : { ...n, metadata: { ...n.metadata, annotations: { [MIGRATION_BANDWIDTH_ANNOTATION]: bw } } };
}

describe('bandwidth', () => {
  it.each([
    ['10Gbit', 1.25e9], ['10gbit/s', 1.25e9], ['940Mbit', 117.5e6], ['100Mbps', 12.5e6], ['1250MB', 1.25e9], ['1.2GB/s', 1.2e9],
    ['800MiB', 800 * 1024 ** 2], ['1 GiB/s', 1024 ** 3], ['8000bit', 1000],
  ])('%s is %d bytes/s', (v, bps) => expect(tryParseBandwidth(v)).toBe(bps));

  it.each(['', '10', 'fast', '10Gb', '-1Gbit', '0MB', '10 Gbit per second', 'x'.repeat(40), '1e3MB'])('%j is refused with a code, why and fix', (v) => {
    expect(tryParseBandwidth(v)).toBeUndefined();
    expect(() => parseBandwidth(v)).toThrow(expect.objectContaining({ code: 'HVS-MIGRATION-BANDWIDTH-INVALID', why: expect.stringMatching(/Gbit/), fix: expect.stringMatching(/10Gbit/) }));
  });

  it('the link is the slower end; a malformed annotation is reported and the other end used', () => {
    expect(linkBandwidth(annotated('a', '10Gbit'), annotated('b', '1Gbit'))).toMatchObject({ bytesPerSecond: 125e6, problems: [] });
    expect(linkBandwidth(annotated('a', '10Gbit'), annotated('b')).notes.join()).toMatch(/1250 MB\/s from node a/);
    const bad = linkBandwidth(annotated('a', 'fast'), annotated('b', '10Gbit'));
    expect(bad.bytesPerSecond).toBe(1.25e9);
    expect(bad.problems).toEqual([expect.objectContaining({ code: 'HVS-MIGRATION-BANDWIDTH-INVALID', path: expect.stringMatching(/^node\/a: /) })]);
    expect(linkBandwidth(annotated('a'), undefined)).toEqual({ notes: [], problems: [] });
  });

  it('a drain plan estimates each move on the link to its target', () => {
    const vm = { apiVersion: 'hvs/v1' as const, kind: 'VirtualMachine' as const, metadata: { name: 'v' }, spec: { cpu: { cores: 1 }, memory: { size: '1GiB' }, disks: [], networks: [], runState: 'Running' as const }, status: { node: 'a', phase: 'Running' as const } };
    const plan = planDrain({ node: 'a', nodes: [annotated('a', '10Gbit'), annotated('b', '1Gbit')], vms: [vm], pools: { get: () => undefined } });
    expect(plan.items[0]).toMatchObject({ target: 'b', estimate: { bandwidthBps: 125e6 } });
    const none = planDrain({ node: 'a', nodes: [annotated('a'), annotated('b')], vms: [vm], pools: { get: () => undefined } });
    expect(none.items[0]!.estimate!.notes.join('\n')).toMatch(/no hvs.dev\/migration-bandwidth annotation on a or b.*\n.*dirty rate assumed: a drain plan does not sample each VM/s);
  });

  it('the estimate says why an input was assumed, and a measured rate and link change the figures', () => {
    const assumed = estimateMigration({ mode: 'live', memoryBytes: 2 * 1024 ** 3, running: true, dirtyRateAssumedWhy: 'node a runs libvirt\'s test driver', bandwidthAssumedWhy: 'no annotation' });
    expect(assumed.notes).toEqual([expect.stringMatching(/^link bandwidth assumed .*: no annotation;/), expect.stringMatching(/^dirty rate assumed: node a runs libvirt's test driver; /)]);
    const measured = estimateMigration({ mode: 'live', memoryBytes: 2 * 1024 ** 3, running: true, dirtyRateBps: 0, bandwidthBps: 1.25e9 });
    expect(measured.notes).toEqual([]);
    expect(measured.durationMs).toBeLessThan(assumed.durationMs);
  });
});
