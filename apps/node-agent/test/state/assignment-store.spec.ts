import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AssignmentStore } from '../../src/state/assignment-store';
import { splitCloudInit } from '../../src/state/cloud-init-material';
import { tempDir, testVm } from '../support/fixtures';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

describe('AssignmentStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('hvs-state-')));
  afterEach(() => cleanup());

  const assignment = (generation: number, fencingToken: number, vms = [testVm('web-1', A)]) => ({ generation, fencingToken, vms, networks: {} });

  it('persists the assignment (0600, no temp file left) and loads it in a new instance', async () => {
    const s = new AssignmentStore(dir, 'node-1');
    await s.load();
    await s.replace(assignment(3, 7, [testVm('web-1', A), testVm('web-2', B)]));
    expect((await stat(s.path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['assignment.json']);
    const again = new AssignmentStore(dir, 'node-1');
    await again.load();
    expect(again.generation).toBe(3);
    expect(again.fencingToken).toBe(7);
    expect(again.desired(B)?.metadata.name).toBe('web-2');
  });

  it('refuses an older generation and an older fencing token, keeping what it had', async () => {
    const s = new AssignmentStore(dir, 'node-1');
    await s.load();
    await s.replace(assignment(5, 10));
    await expect(s.replace(assignment(4, 11, []))).rejects.toMatchObject({ code: 'HVS-AGENT-STALE-GENERATION', category: 'FailedPrecondition' });
    await expect(s.replace(assignment(6, 9, []))).rejects.toMatchObject({ code: 'HVS-AGENT-STALE-FENCING-TOKEN' });
    await expect(s.replace(assignment(5, 10, []))).rejects.toMatchObject({ code: 'HVS-AGENT-GENERATION-REUSED' });
    expect(s.desired(A)).toBeDefined();
    expect(JSON.parse(await readFile(s.path, 'utf8')).generation).toBe(5);
  });

  it('treats a repeated Assign (same generation and content) as a no-op', async () => {
    const s = new AssignmentStore(dir, 'node-1');
    await s.load();
    await s.replace(assignment(2, 2));
    await expect(s.replace(assignment(2, 2))).resolves.toEqual({ removed: [], unchanged: true });
  });

  it('keeps a dropped VM in "removing" across a restart until its removal finishes', async () => {
    const s = new AssignmentStore(dir, 'node-1');
    await s.load();
    await s.replace(assignment(1, 1, [testVm('web-1', A), testVm('web-2', B)]));
    await expect(s.replace(assignment(2, 2))).resolves.toEqual({ removed: [B], unchanged: false });
    const after = new AssignmentStore(dir, 'node-1');
    await after.load();
    expect(after.isRemoving(B)).toBe(true);
    expect(after.uids().sort()).toEqual([A, B]);
    await after.finishRemoval(B);
    const last = new AssignmentStore(dir, 'node-1');
    await last.load();
    expect(last.uids()).toEqual([A]);
  });

  it('refuses a corrupt state file with a fix that says how to recover', async () => {
    const s = new AssignmentStore(dir, 'node-1');
    await writeFile(s.path, '{"version":1,');
    await expect(s.load()).rejects.toMatchObject({ code: 'HVS-AGENT-STATE-CORRUPT', fix: expect.stringContaining('mv ') });
  });

  describe('reloading after a restart: trusted by its checksum, not validated a second time', () => {
    const save = async () => {
      const s = new AssignmentStore(dir, 'node-1');
      await s.load();
      await s.replace(assignment(3, 7, [testVm('web-1', A), testVm('web-2', B)]));
      return JSON.parse(await readFile(s.path, 'utf8')) as Record<string, unknown> & { vms: { spec: Record<string, unknown> }[] };
    };
    const reload = async () => {
      const s = new AssignmentStore(dir, 'node-1');
      await s.load();
      return s;
    };

    it('writes the sha256 of its content and loads a matching file', async () => {
      const file = await save();
      expect(file.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect((await reload()).desiredVms().map((v) => v.metadata.name)).toEqual(['web-1', 'web-2']);
    });

    it('refuses a file changed after the agent wrote it (the checksum no longer matches)', async () => {
      const file = await save();
      file.vms[0].spec.runState = 'Stopped';
      await writeFile(join(dir, 'assignment.json'), JSON.stringify(file));
      await expect(reload()).rejects.toMatchObject({ code: 'HVS-AGENT-STATE-CORRUPT', why: expect.stringContaining('checksum'), fix: expect.stringContaining('mv ') });
    });

    it('does not run the schema over a file it wrote itself: the checksum is the proof', async () => {
      // A spec the schema would refuse (cores 0), written with a matching checksum: only this
      // class writes such a file after the gRPC edge validated the Assign, so it is trusted.
      const file = await save();
      const { checksum: _old, ...body } = file;
      (body.vms[0].spec.cpu as { cores: number }).cores = 0;
      await writeFile(join(dir, 'assignment.json'), JSON.stringify({ ...body, checksum: createHash('sha256').update(JSON.stringify(body)).digest('hex') }));
      expect((await reload()).desired(A)?.spec.cpu.cores).toBe(0);
    });

    it('still refuses, with a matching checksum, a VM whose uid cannot name a domain', async () => {
      const file = await save();
      const { checksum: _old, ...body } = file;
      (body.vms[1] as unknown as { metadata: { uid: string } }).metadata.uid = '../x';
      await writeFile(join(dir, 'assignment.json'), JSON.stringify({ ...body, checksum: createHash('sha256').update(JSON.stringify(body)).digest('hex') }));
      await expect(reload()).rejects.toMatchObject({ code: 'HVS-AGENT-STATE-CORRUPT', why: expect.stringContaining('uid') });
    });

    it('a file from an older agent (no checksum) is validated in full once, and gets its checksum on the next write', async () => {
      const file = await save();
      const { checksum: _old, ...legacy } = file;
      await writeFile(join(dir, 'assignment.json'), JSON.stringify(legacy));
      const s = await reload();
      expect(s.generation).toBe(3);
      await s.replace(assignment(4, 8));
      expect(JSON.parse(await readFile(s.path, 'utf8')).checksum).toMatch(/^[0-9a-f]{64}$/);
      (legacy.vms[0].spec.cpu as { cores: number }).cores = 0;
      await writeFile(join(dir, 'assignment.json'), JSON.stringify(legacy));
      await expect(reload()).rejects.toMatchObject({ code: 'HVS-AGENT-STATE-CORRUPT', why: expect.stringContaining('invalid') });
    });
  });

  describe('cloud-init material (docs/architecture/secrets.md#on-a-node)', () => {
    const withCloudInit = (uid: string) => {
      const vm = testVm('web-1', uid);
      return { ...vm, spec: { ...vm.spec, cloudInit: { userData: '#cloud-config\npassword: hunter2-ud\n', secretRefs: ['db'] } } };
    };
    const material = { userData: '#cloud-config\npassword: hunter2-ud\n', secrets: { 'db/password': Buffer.from('hunter2-pw') } };

    it('is held in memory only: the file has none, a restarted store has none until the next Assign of the same generation', async () => {
      const s = new AssignmentStore(dir, 'node-1');
      await s.load();
      const vm = splitCloudInit(withCloudInit(A)).vm;
      await s.replace({ ...assignment(3, 3, [vm]), cloudInit: { [A]: material } });
      expect(s.cloudInit(A)).toEqual(material);
      expect(await readFile(s.path, 'utf8')).not.toMatch(/hunter2/);
      const again = new AssignmentStore(dir, 'node-1');
      await again.load();
      expect(again.desired(A)?.spec.cloudInit).toEqual({ secretRefs: ['db'] });
      expect(again.cloudInit(A)).toBeUndefined();
      await expect(again.replace({ ...assignment(3, 3, [vm]), cloudInit: { [A]: material } })).resolves.toEqual({ removed: [], unchanged: true });
      expect(again.cloudInit(A)).toEqual(material);
    });

    it('refuses to persist a VM that still carries inline cloud-init (HVS-AGENT-STATE-PLAINTEXT), writing nothing', async () => {
      const s = new AssignmentStore(dir, 'node-1');
      await s.load();
      await expect(s.replace(assignment(1, 1, [withCloudInit(A)]))).rejects.toMatchObject({ code: 'HVS-AGENT-STATE-PLAINTEXT' });
      expect(await readdir(dir)).toEqual([]);
    });

    it('a state file of an older agent with inline cloud-init is rewritten without it at load', async () => {
      const body = { version: 1, node: 'node-1', generation: 2, fencingToken: 2, vms: [withCloudInit(A)], networks: {}, removing: [], savedAt: '' };
      await writeFile(join(dir, 'assignment.json'), JSON.stringify({ ...body, checksum: createHash('sha256').update(JSON.stringify(body)).digest('hex') }));
      const s = new AssignmentStore(dir, 'node-1');
      await s.load();
      expect(await readFile(s.path, 'utf8')).not.toMatch(/hunter2/);
      expect(s.desired(A)?.spec.cloudInit).toEqual({ secretRefs: ['db'] });
      expect((await stat(s.path)).mode & 0o777).toBe(0o600);
    });
  });
});
