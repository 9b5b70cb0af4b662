import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { AssignmentStore } from '../../src/state/assignment-store';
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
});
