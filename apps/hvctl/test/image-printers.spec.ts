// The image table, progress bars and the import format rule (pure).
import { importFormat } from '../src/commands/images';
import { palette } from '../src/printers/colour';
import { bar, downloadLines, formatEta, progressLine, renderImageTable, shortDigest } from '../src/printers/images';

const HEX = '0123456789abcdef'.repeat(4);

describe('image printers', () => {
  it('bar, rate and ETA', () => {
    expect(bar(0, 100, 10)).toBe('[..........]   0%');
    expect(bar(50, 100, 10)).toBe('[#####.....]  50%');
    expect(bar(100, 100, 10)).toBe('[##########] 100%');
    expect(bar(5, undefined, 4)).toBe('[????]    ?');
    expect(formatEta(42)).toBe('42s');
    expect(formatEta(125)).toBe('2m05s');
    expect(formatEta(7300)).toBe('2h01m');
    expect(progressLine('x', 1024 ** 3, 4 * 1024 ** 3, 30 * 1024 ** 2, 90)).toBe('x [######..................]  25% 1GiB/4GiB 30MiB/s ETA 1m30s');
  });

  it('the table: NAME FORMAT SIZE DIGEST PHASE NODES, digests shortened, pins marked', () => {
    const t = renderImageTable([
      { metadata: { name: 'up' }, spec: { format: 'raw', source: { upload: true } }, status: { phase: 'Ready', uploaded: true, sizeBytes: 1024, digest: `sha256:${HEX}` } },
      { metadata: { name: 'tofu' }, spec: { format: 'qcow2', allowUnverified: true }, status: { phase: 'Ready', pinned: true, digest: `sha256:${HEX}`, nodes: [{ node: 'a', phase: 'Ready' }, { node: 'b', phase: 'Downloading' }] } },
      { metadata: { name: 'new' }, spec: { format: 'iso', sha512: 'ab'.repeat(64) } },
    ], palette(false));
    expect(t.split('\n').map((l) => l.trimEnd())).toEqual([
      'NAME   FORMAT   SIZE     DIGEST                          PHASE     NODES',
      'up     raw      1KiB     sha256:0123456789ab…            Ready     controller',
      'tofu   qcow2    <none>   sha256:0123456789ab… (pinned)   Ready     1/2 ready',
      'new    iso      <none>   sha512:abababababab…            Pending   <none>',
      '',
    ]);
    expect(shortDigest(undefined)).toBe('<none>');
  });

  it('a line per copy downloading, and per failed copy with both digests', () => {
    expect(downloadLines([{ metadata: { name: 'deb' }, status: { nodes: [
      { node: 'a', phase: 'Downloading', bytes: 512, totalBytes: 1024, bytesPerSecond: 256, etaSeconds: 2 },
      { node: 'b', phase: 'Ready' },
      { node: 'c', phase: 'Failed', reason: 'DigestMismatch', message: 'digest differs', expectedDigest: 'sha256:aa', actualDigest: 'sha256:bb' },
    ] } }])).toEqual([
      'deb on a [############............]  50% 512B/1KiB 256B/s ETA 2s',
      'deb on c Failed DigestMismatch: digest differs (expected sha256:aa, got sha256:bb)',
    ]);
  });

  it('the import format: --format, else the extension; anything else must be said', () => {
    expect(importFormat('/x/debian.QCOW2', undefined)).toBe('qcow2');
    expect(importFormat('a.img', undefined)).toBe('raw');
    expect(importFormat('a.raw', undefined)).toBe('raw');
    expect(importFormat('a.iso', undefined)).toBe('iso');
    expect(importFormat('a.bin', 'raw')).toBe('raw');
    expect(() => importFormat('a.bin', undefined)).toThrow(/cannot tell the format of a.bin/);
    expect(() => importFormat('a.qcow2', 'vmdk')).toThrow(/not iso, qcow2 or raw/);
  });
});
