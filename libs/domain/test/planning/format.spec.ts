import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPlan, formatSummary, planBatch, planKey, planObject } from '../../src/planning';
import { edit, labNetwork, storedWebVm, webVm } from './fixtures';

describe('formatPlan', () => {
  const stored = storedWebVm();
  const currents = new Map([[planKey(stored), stored]]);

  it('renders an update with restart, a create and the summary line', () => {
    const plans = planBatch(currents, [edit(webVm(), (s) => (s.memory.size = '4GiB')), labNetwork()]);
    expect(formatPlan(plans)).toBe(
      [
        '~ VirtualMachine/web-1 (update, restart required)',
        '    spec.memory.size: "2GiB" -> "4GiB" (restart)',
        '+ Network/lab (create)',
        '',
        'Plan: 1 to create, 1 to update (1 needs restart), 0 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('shows notes, hot-plug and migration tags, and hides unchanged objects unless asked', () => {
    const vm = edit(webVm(), (s) => {
      s.runState = 'Stopped';
      s.networks.push({ name: 'eth1', network: 'storage' });
      s.placement.nodeSelector.zone = 'b';
    });
    const plans = [planObject(stored, vm), planObject(labNetwork(), labNetwork())];
    const text = formatPlan(plans);
    expect(text).toContain('~ VirtualMachine/web-1 (update, may need migration, hot-plugged)');
    expect(text).toContain('    spec.runState: "Running" -> "Stopped" (stop)');
    expect(text).toContain('    spec.networks[name=eth1]: (none) -> {"name":"eth1","network":"storage","model":"virtio"} (hotplug)');
    expect(text).toContain('    spec.placement.nodeSelector.zone: "a" -> "b" (migration, moves if its node no longer fits the placement)');
    expect(text).not.toContain('Network/lab');
    expect(text).toContain('Plan: 0 to create, 1 to update (0 needs restart, 1 may need migration), 1 unchanged.');
    expect(formatPlan(plans, { showUnchanged: true })).toContain('= Network/lab (unchanged)');
  });

  it('says so when nothing changes', () => {
    const text = formatPlan(planBatch(currents, [webVm()]));
    expect(text).toBe('No changes: every object already matches.\n\nPlan: 0 to create, 0 to update, 1 unchanged.\n');
  });

  it('never prints secret values', () => {
    const plans = planBatch(currents, [edit(webVm(), (s) => (s.cloudInit.userData = '#cloud-config\npassword: s3cret\n'))]);
    const text = formatPlan(plans);
    expect(text).toContain('    spec.cloudInit.userData: (sensitive value changed) (restart, cloud-init reads it at boot)');
    expect(text).not.toMatch(/hunter2|s3cret/);
  });

  it('the summary counts each object once even with several restart fields', () => {
    const plans = planBatch(currents, [edit(webVm(), (s) => ((s.memory.size = '8GiB'), (s.cpu.cores = 8)))]);
    expect(formatSummary(plans)).toBe('Plan: 0 to create, 1 to update (1 needs restart), 0 unchanged.');
  });

  it('the example in docs/architecture/planning.md is what formatPlan prints', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/architecture/planning.md'), 'utf8');
    const plans = planBatch(currents, [edit(webVm(), (s) => ((s.memory.size = '4GiB'), (s.runState = 'Stopped'))), labNetwork()]);
    expect(doc).toContain(formatPlan(plans).trim());
  });
});
