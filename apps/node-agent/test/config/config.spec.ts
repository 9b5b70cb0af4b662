import { hostname } from 'node:os';
import { join } from 'node:path';
import { HvsError } from '@hvs/domain';
import { loadAgentConfig } from '../../src/config/config';
import { chooseHypervisor } from '../../src/config/hypervisor-choice';
import { tempDir } from '../support/fixtures';

describe('loadAgentConfig', () => {
  it('has the documented defaults', () => {
    const c = loadAgentConfig({ HVS_NODE_NAME: 'node-1' });
    expect(c).toMatchObject({
      nodeName: 'node-1', listen: { host: '127.0.0.1', port: 7450 }, advertise: '127.0.0.1:7450', libvirtUri: 'auto',
      stateDir: '/var/lib/hvs/agent', metricsListen: { host: '127.0.0.1', port: 9450 }, heartbeatIntervalMs: 2000,
      pools: { default: '/var/lib/hvs/agent/pools/default' }, imagesDir: '/var/lib/hvs/agent/images', imageDownloads: 2, imageRehashMs: 86_400_000, diskPolicy: 'delete', workers: 8,
    });
    expect(c.controller).toBeUndefined();
  });

  it('defaults the node name to the host name (first label) when that is a DNS label', () => {
    const h = hostname().split('.')[0].toLowerCase();
    if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(h)) expect(loadAgentConfig({}).nodeName).toBe(h);
    else expect(() => loadAgentConfig({})).toThrow(/HVS_NODE_NAME/);
  });

  it('lets flags override the environment', () => {
    const c = loadAgentConfig({ HVS_NODE_NAME: 'a', HVS_AGENT_LISTEN: '127.0.0.1:1' }, ['--listen', '0.0.0.0:7451', '--node-name=b', '--pools', 'default=/p/d,fast=/nvme']);
    expect(c).toMatchObject({ nodeName: 'b', listen: { host: '0.0.0.0', port: 7451 }, pools: { default: '/p/d', fast: '/nvme' } });
  });

  it('reports every bad value at once, each with a code naming the field, the variable and a fix', () => {
    let err: unknown;
    try {
      loadAgentConfig({ HVS_NODE_NAME: 'Node_1', HVS_AGENT_LISTEN: 'localhost', HVS_LIBVIRT_URI: 'test://relative', HVS_AGENT_STATE_DIR: 'var/x', HVS_AGENT_HEARTBEAT_MS: '5', HVS_AGENT_POOLS: 'Bad=/x' }, ['--bogus', '1']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HvsError);
    const codes = (err as HvsError).problems.map((p) => p.code);
    expect(codes).toEqual([
      'HVS-AGENT-CONFIG-FLAG-UNKNOWN', 'HVS-AGENT-CONFIG-NODE-NAME-INVALID', 'HVS-AGENT-CONFIG-LISTEN-INVALID', 'HVS-AGENT-CONFIG-LIBVIRT-URI-INVALID',
      'HVS-AGENT-CONFIG-STATE-DIR-INVALID', 'HVS-AGENT-CONFIG-HEARTBEAT-INTERVAL-INVALID', 'HVS-AGENT-CONFIG-POOLS-INVALID',
    ]);
    for (const p of (err as HvsError).problems) expect(p.fix.length).toBeGreaterThan(10);
    expect((err as HvsError).problems[2]).toMatchObject({ path: 'HVS_AGENT_LISTEN', fix: expect.stringContaining('--listen') });
  });

  it('reads the image cache settings: downloads at once and the re-hash period (0: only at start)', () => {
    expect(loadAgentConfig({ HVS_NODE_NAME: 'n', HVS_AGENT_IMAGE_DOWNLOADS: '4', HVS_AGENT_IMAGE_REHASH_MS: '0' })).toMatchObject({ imageDownloads: 4, imageRehashMs: 0 });
    expect(loadAgentConfig({ HVS_NODE_NAME: 'n' }, ['--image-rehash-ms', '3600000']).imageRehashMs).toBe(3_600_000);
    for (const [env, value, code] of [['HVS_AGENT_IMAGE_DOWNLOADS', '0', 'HVS-AGENT-CONFIG-IMAGE-DOWNLOADS-INVALID'], ['HVS_AGENT_IMAGE_REHASH_MS', '1000', 'HVS-AGENT-CONFIG-IMAGE-REHASH-INVALID']]) {
      expect(() => loadAgentConfig({ HVS_NODE_NAME: 'n', [env]: value })).toThrow(expect.objectContaining({ code }));
    }
  });

  it('turns metrics off with "off" and accepts the three URI forms', () => {
    expect(loadAgentConfig({ HVS_NODE_NAME: 'n', HVS_AGENT_METRICS_LISTEN: 'off' }).metricsListen).toBeUndefined();
    for (const u of ['qemu:///system', 'qemu+unix:///system?socket=/run/x.sock', 'test:///tmp/node.xml', 'auto']) {
      expect(loadAgentConfig({ HVS_NODE_NAME: 'n', HVS_LIBVIRT_URI: u }).libvirtUri).toBe(u);
    }
  });
});

describe('chooseHypervisor', () => {
  const base = (stateDir: string, uri = 'auto') => ({ ...loadAgentConfig({ HVS_NODE_NAME: 'n', HVS_AGENT_STATE_DIR: stateDir, HVS_LIBVIRT_URI: uri }) });
  const probes = (kvm: boolean, libvirtd: boolean) => ({ kvmUsable: async () => kvm, libvirtdReachable: async () => libvirtd });

  it('auto: KVM when usable and libvirtd answers, TCG when only libvirtd answers, else a generated test node', async () => {
    const t = await tempDir('hvs-choice-');
    try {
      await expect(chooseHypervisor(base(t.dir), probes(true, true))).resolves.toMatchObject({ uri: 'qemu:///system', mode: 'kvm', domainType: 'kvm' });
      await expect(chooseHypervisor(base(t.dir), probes(false, true))).resolves.toMatchObject({ uri: 'qemu:///system', mode: 'qemu', domainType: 'qemu', reason: expect.stringContaining('KVM is not usable') });
      const test = await chooseHypervisor(base(t.dir), probes(true, false));
      expect(test).toMatchObject({ uri: `test://${join(t.dir, 'test-node.xml')}`, mode: 'test', reason: expect.stringContaining('no libvirtd answers') });
    } finally {
      await t.cleanup();
    }
  });

  it('uses an explicit URI as given', async () => {
    await expect(chooseHypervisor(base('/x', 'test:///tmp/n.xml'), probes(true, true))).resolves.toMatchObject({ uri: 'test:///tmp/n.xml', mode: 'test' });
    await expect(chooseHypervisor(base('/x', 'qemu:///system'), probes(false, false))).resolves.toMatchObject({ mode: 'qemu', domainType: 'qemu' });
  });
});
