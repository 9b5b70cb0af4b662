import { AuditService, auditId } from '../../src/audit';
import { MemoryStore } from '../../src/store';

const entry = (name: string, operation = 'apply') => ({ actor: 'alice', operation, kind: 'VirtualMachine', name, generationBefore: 0, generationAfter: 1, result: 'ok' as const });

describe('AuditService', () => {
  it('ids sort in time order, also inside one millisecond', () => {
    const t = new Date('2030-01-01T00:00:00Z');
    const ids = [auditId(t), auditId(t), auditId(new Date(t.getTime() + 1)), auditId(new Date(t.getTime() + 10_000_000))];
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('lists newest first with filters and pages, and prunes what is older than the retention', async () => {
    const store = new MemoryStore();
    let now = new Date('2030-01-01T00:00:00Z');
    const audit = new AuditService(store, { retentionDays: 90, clock: () => now });
    await audit.append([entry('old')]);
    now = new Date('2030-03-01T00:00:00Z');
    await audit.append([entry('a'), entry('b', 'delete'), entry('c')]);
    const first = await audit.list({}, 2);
    expect(first.records.map((r) => r.name)).toEqual(['c', 'b']);
    const second = await audit.list({}, 2, first.continueToken);
    expect(second.records.map((r) => r.name)).toEqual(['a', 'old']);
    expect(second.continueToken).toBe('');
    expect((await audit.list({ operation: 'delete' })).records.map((r) => r.name)).toEqual(['b']);
    expect((await audit.list({ since: '2030-02-01T00:00:00Z' })).records).toHaveLength(3);
    await expect(audit.list({ since: 'yesterday' })).rejects.toMatchObject({ code: 'HVS-AUDIT-SINCE-INVALID' });

    now = new Date('2030-04-15T00:00:00Z'); // 'old' is 104 days old, the others 45
    expect(await audit.prune()).toBe(1);
    expect((await audit.list()).records.map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(await audit.prune()).toBe(0);
  });
});
