import { createHash, randomBytes } from 'node:crypto';
import { StreamHasher } from '../../src/images/stream-hasher';

describe('StreamHasher (batched onto a worker thread)', () => {
  it('gives the digest of the bytes in order, whatever the chunk sizes around its 1 MiB batches', async () => {
    const sizes = [1, 65_536, (1 << 20) - 65_537, 1 << 20, 3 << 20, 17, 0, (1 << 20) + 1, 4096];
    const chunks = sizes.map((n) => randomBytes(n));
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const h = new StreamHasher(algorithm);
      for (const c of chunks) h.update(c);
      await expect(h.digestHex()).resolves.toBe(createHash(algorithm).update(Buffer.concat(chunks)).digest('hex'));
    }
  });

  it('hashes nothing to the empty digest, and a chunk reused by the caller after update() does not change it', async () => {
    const empty = new StreamHasher('sha256');
    await expect(empty.digestHex()).resolves.toBe(createHash('sha256').digest('hex'));
    const buf = Buffer.alloc(1000, 1);
    const h = new StreamHasher('sha256');
    h.update(buf);
    buf.fill(2); // the caller's buffer is rewritten (as a socket's would be): the hasher kept a copy
    await expect(h.digestHex()).resolves.toBe(createHash('sha256').update(Buffer.alloc(1000, 1)).digest('hex'));
  });
});
