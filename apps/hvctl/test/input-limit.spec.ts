/** Bounded reading of manifest input (io.ts readBounded, manifest/read.ts): every input and all of them together. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { HvsError } from '@hvs/domain';
import { readBounded } from '../src/io';
import { readManifestFiles } from '../src/manifest/read';
import { fakeIo } from './fake-io';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-limit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<HvsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HvsError) return e;
    throw e;
  }
  throw new Error('expected HVS-CLI-INPUT-TOO-LARGE');
}

describe('bounded input', () => {
  it('readBounded returns the text up to the limit and refuses one byte more, without reading the rest', async () => {
    expect(await readBounded(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4, 'x')).toBe('abcd');
    let pulled = 0;
    const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(10)); } });
    const e = await refusal(readBounded(endless, 25, 'the pipe'));
    expect(e).toMatchObject({ code: 'HVS-CLI-INPUT-TOO-LARGE', category: 'InvalidArgument', message: expect.stringMatching(/^the pipe is larger than 25 bytes/) });
    expect(pulled).toBeLessThan(10);
    expect(endless.destroyed).toBe(true);
  });

  it('the limit counts all inputs together: the file that crosses it is named', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'x'.repeat(60));
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'y'.repeat(60));
    expect((await readManifestFiles([path.join(dir, 'a.yaml')], false, fakeIo(), 100)).map((f) => f.text.length)).toEqual([60]);
    const e = await refusal(readManifestFiles([dir], false, fakeIo(), 100));
    expect(e.message).toMatch(/b\.yaml with the manifests before it is larger than 100 bytes/);
    const stdin = await refusal(readManifestFiles([path.join(dir, 'a.yaml'), '-'], false, fakeIo({ stdin: 'z'.repeat(50) }), 100));
    expect(stdin.message).toMatch(/^standard input with the manifests before it is larger than 100 bytes/);
  });
});
