/**
 * NICs on an agent-made bridge (issue 13) are accepted and started by libvirt's test driver
 * (which does not need the bridge to exist), with the VLAN tag and MTU kept as rendered.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { renderDomainXml, vmDomainName } from '@hvs/domain';
import { requireBinary } from '../../../../test/harness/binaries';
import { RECIPES } from './recipes';
import { XmlScratch } from './xmllint';

const run = promisify(execFile);
beforeAll(() => requireBinary('virsh', 'libvirt-clients'));
const scratch = new XmlScratch();
afterAll(() => scratch.cleanup());

describe('bridge NICs with VLAN and MTU on the libvirt test driver', () => {
  it('defines and starts the domain; dumpxml keeps bridge, VLAN tag and MTU', async () => {
    const { vm, host } = RECIPES['vlan-mtu-nics']!;
    const file = scratch.write(renderDomainXml(vm, host));
    const name = vmDomainName(vm);
    // One virsh process: the test driver's state lives as long as the process.
    const { stdout } = await run('virsh', ['-c', 'test:///default', `define ${file}; start ${name}; domstate ${name}; dumpxml ${name}`], { timeout: 30_000 });
    expect(stdout).toContain(`Domain '${name}' started`);
    expect(stdout).toMatch(/^running$/m);
    expect(stdout).toContain("<source bridge='hvs-0a1b2c3d4e'/>");
    expect(stdout).toMatch(/<vlan>\s*<tag id='42'\/>\s*<\/vlan>/);
    expect(stdout).toContain("<mtu size='1450'/>");
  });
});
