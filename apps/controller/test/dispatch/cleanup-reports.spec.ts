import { CleanupReports, type RemovedVm } from '../../src/dispatch/cleanup-reports';

const web: RemovedVm = { uid: 'u-web', name: 'web' };
const db: RemovedVm = { uid: 'u-db', name: 'db' };

describe('CleanupReports (what agents confirmed about deleted VMs)', () => {
  it('an Assign answer confirms the left-out VMs it does not list as removing, once each', () => {
    const told: string[] = [];
    const r = new CleanupReports((node, vm) => told.push(`${node}/${vm.name}`));
    r.assigned('n1', [web, db], ['u-db']);
    expect([r.isConfirmed('n1', 'u-web'), r.isConfirmed('n1', 'u-db')]).toEqual([true, false]);
    expect(r.isConfirmed('n2', 'u-web')).toBe(false);
    r.assigned('n1', [web, db], ['u-db']);
    expect(told).toEqual(['n1/web']);
  });

  it('a cleaned-up report that overtakes the answer still listing the VM stays confirmed', () => {
    const r = new CleanupReports();
    r.confirm('n1', db);
    r.assigned('n1', [db], ['u-db']);
    expect(r.isConfirmed('n1', 'u-db')).toBe(true);
  });

  it('asks again (unknown) only about VMs neither confirmed nor reported as being removed', () => {
    const r = new CleanupReports();
    expect(r.unknown('n1', [web])).toBe(true);
    r.assigned('n1', [web], ['u-web']);
    expect(r.unknown('n1', [web])).toBe(false);
    expect(r.unknown('n1', [web, db])).toBe(true);
    r.confirm('n1', db);
    expect(r.unknown('n1', [web, db])).toBe(false);
    r.forget('u-db');
    expect(r.isConfirmed('n1', 'u-db')).toBe(false);
  });
});
