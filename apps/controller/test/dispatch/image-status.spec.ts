// Image status from the agents' reports: per-node entries, the overall phase, trust on first
// download (pinned once, with a Warning event and an audit record), and at most one write per
// second per Image however often the nodes report.
import type { Image } from '@hvs/domain';
import { FakeClock } from '@hvs/reconcile';
import type { agentv1 } from '@hvs/proto';
import type { AuditEntry } from '../../src/audit';
import { ImageStatusWriter, mergedStatus } from '../../src/dispatch/image-status';
import type { EventInput } from '../../src/events/event-record';
import { MemoryStore } from '../../src/store/memory-store';

const HEX = 'ab'.repeat(32);
const report = (image: string, o: Partial<agentv1.ImageObserved> = {}): agentv1.ImageObserved => ({
  image, phase: 'Downloading', bytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: 0, verified: false, digest: '', reason: '', message: '', expectedDigest: '', actualDigest: '', error: undefined, ...o,
});
const image = (name: string, spec: Partial<Image['spec']> = {}): Image =>
  ({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name }, spec: { source: { url: `https://images.example/${name}` }, format: 'qcow2', ...spec } });

describe('mergedStatus (pure)', () => {
  const deb = image('deb', { sha256: HEX });

  it('a downloading node: its progress in nodes[], the Image Downloading with the spec digest', () => {
    const s = mergedStatus(deb, new Map([['n1', report('deb', { bytes: 100, totalBytes: 1000, bytesPerSecond: 50, etaSeconds: 18 })]]));
    expect(s).toEqual({
      phase: 'Downloading', digest: `sha256:${HEX}`,
      nodes: [{ node: 'n1', phase: 'Downloading', cached: false, verified: false, bytes: 100, totalBytes: 1000, bytesPerSecond: 50, etaSeconds: 18 }],
    });
  });

  it('Ready once a node verified its copy; other nodes keep their entries, sorted by node', () => {
    const first = { ...deb, status: mergedStatus(deb, new Map([['n2', report('deb', { bytes: 5, totalBytes: 1000 })]])) };
    const s = mergedStatus(first, new Map([['n1', report('deb', { phase: 'Ready', verified: true, bytes: 1000, totalBytes: 1000, digest: `sha256:${HEX}` })]]));
    expect(s.phase).toBe('Ready');
    expect(s.sizeBytes).toBe(1000);
    expect(s.nodes?.map((n) => [n.node, n.phase, n.cached])).toEqual([['n1', 'Ready', true], ['n2', 'Downloading', false]]);
  });

  it('a digest mismatch on any node makes the Image Failed, with both digests', () => {
    const s = mergedStatus(deb, new Map([
      ['n1', report('deb', { phase: 'Ready', verified: true, digest: `sha256:${HEX}` })],
      ['n2', report('deb', { phase: 'Failed', reason: 'DigestMismatch', message: 'digest differs', expectedDigest: `sha256:${HEX}`, actualDigest: `sha256:${'00'.repeat(32)}` })],
    ]));
    expect(s.phase).toBe('Failed');
    expect(s.nodes?.[1]).toMatchObject({ reason: 'DigestMismatch', expectedDigest: `sha256:${HEX}`, actualDigest: `sha256:${'00'.repeat(32)}` });
  });

  it('an uploaded Image stays Ready whatever nodes are doing', () => {
    const up = { ...image('up', { source: { upload: true }, sha256: HEX }), status: { phase: 'Ready' as const, uploaded: true, digest: `sha256:${HEX}` } };
    expect(mergedStatus(up, new Map([['n1', report('up', { bytes: 1 })]])).phase).toBe('Ready');
  });
});

describe('ImageStatusWriter', () => {
  let store: MemoryStore;
  let clock: FakeClock;
  let events: EventInput[];
  let audits: AuditEntry[];
  let writes: number;
  let writer: ImageStatusWriter;

  beforeEach(async () => {
    store = new MemoryStore();
    clock = new FakeClock(1_000_000);
    events = [];
    audits = [];
    writes = 0;
    const updateStatus = store.updateStatus.bind(store);
    store.updateStatus = (o) => (writes++, updateStatus(o));
    writer = new ImageStatusWriter({
      store, clock, events: { record: async (e) => void events.push(e) }, audit: { append: async (a) => void audits.push(...a) },
    });
    await store.create(image('deb', { sha256: HEX }));
    await store.create(image('tofu', { allowUnverified: true }));
  });
  afterEach(() => writer.stop());

  it('coalesces progress: 2 reports per second from 2 nodes for 5 s make at most one write per second, the last one kept', async () => {
    for (let t = 0; t < 10; t++) {
      writer.observe('n1', report('deb', { bytes: t * 100, totalBytes: 1000 }));
      writer.observe('n2', report('deb', { bytes: t * 50, totalBytes: 1000 }));
      await clock.advance(500);
    }
    await clock.advance(1_000);
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(writes).toBeLessThanOrEqual(6);
    const s = (await store.get<Image>('Image', 'deb')).status!;
    expect(s.nodes?.map((n) => [n.node, n.bytes])).toEqual([['n1', 900], ['n2', 450]]);
  });

  it('trust on first download: the first verified digest is pinned once, with a Warning event and an audit record', async () => {
    writer.observe('n2', report('tofu', { phase: 'Ready', verified: true, digest: `sha256:${HEX}`, totalBytes: 10, bytes: 10 }));
    await clock.advance(1_000);
    writer.observe('n1', report('tofu', { phase: 'Ready', verified: true, digest: `sha256:${'cd'.repeat(32)}`, totalBytes: 10, bytes: 10 }));
    await clock.advance(2_000);
    const s = (await store.get<Image>('Image', 'tofu')).status!;
    expect([s.pinned, s.digest, s.phase]).toEqual([true, `sha256:${HEX}`, 'Ready']);
    expect(events).toEqual([expect.objectContaining({ kind: 'Image', name: 'tofu', type: 'Warning', reason: 'DigestPinned', node: 'n2' })]);
    expect(audits).toEqual([expect.objectContaining({ operation: 'pin-digest', kind: 'Image', name: 'tofu', actor: 'node:n2', result: 'ok' })]);
  });

  it('an Image with a digest in its spec is never pinned', async () => {
    writer.observe('n1', report('deb', { phase: 'Ready', verified: true, digest: `sha256:${HEX}` }));
    await clock.advance(1_000);
    const s = (await store.get<Image>('Image', 'deb')).status!;
    expect(s.pinned).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('a write that loses a race re-reads and merges (the other writer\'s status is kept)', async () => {
    const cur = await store.get<Image>('Image', 'deb');
    // A stale cached copy: the writer decides on it, conflicts, re-reads the store.
    const stale = { ...cur };
    await store.updateStatus({ ...cur, status: { sizeBytes: 42 } });
    const w = new ImageStatusWriter({ store, clock, images: { get: () => stale } });
    w.observe('n1', report('deb', { bytes: 1, totalBytes: 2 }));
    await clock.advance(1_000);
    await w.flush();
    const s = (await store.get<Image>('Image', 'deb')).status!;
    expect(s.sizeBytes).toBe(42);
    expect(s.nodes?.[0]?.bytes).toBe(1);
    w.stop();
  });

  it('a report about an Image that is gone writes nothing', async () => {
    writer.observe('n1', report('nope'));
    await clock.advance(1_000);
    expect(writes).toBe(0);
  });
});
