/**
 * Golden texts of the NoCloud seed for each shape: structured user-data, raw user-data, DHCP vs
 * static addresses, two NICs, secrets; the instance-id rule; and that no error ever quotes
 * user-data or a secret value.
 */
import { HvsError, renderCloudInitSeed, cloudInitNics, type CloudInitNic, type VirtualMachine } from '../../src';

const UID = '8d3c1a52-0f4e-4b7a-9c61-2f0b5e7d9a10';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvsTestKeyOnlyForGoldenFilesAAAAAAAAAAAAAAAA dev@laptop';

function vm(cloudInit: NonNullable<VirtualMachine['spec']['cloudInit']>, networks: VirtualMachine['spec']['networks'] = []): VirtualMachine {
  return {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'web-1', uid, generation: 1 },
    spec: { cpu: { cores: 1 }, memory: { size: '512MiB' }, disks: [{ name: 'root', size: '4GiB' }], networks, runState: 'Running', cloudInit },
  };
}
const uid = UID;

const nic = (o: Partial<CloudInitNic> = {}): CloudInitNic => ({
  name: 'eth0', network: 'lan', mac: '52:54:00:12:34:56', ipv4: '10.20.0.11', prefixLength: 24, gateway: '10.20.0.1',
  dnsName: 'web-1.lan.example', static: false, dnsServers: ['10.20.0.1'], ...o,
});

describe('renderCloudInitSeed', () => {
  it('structured user-data: hostname, fqdn, users, default-user keys, packages, runcmd; DHCP network-config', () => {
    const seed = renderCloudInitSeed(vm({
      hostname: 'web', users: [{ name: 'ops', sshAuthorizedKeys: [KEY], sudo: true, shell: '/bin/bash', groups: ['adm', 'sudo'] }],
      sshAuthorizedKeys: [KEY], packages: ['nginx', 'qemu-guest-agent'], runcmd: ['systemctl enable --now nginx', 'echo yes > /tmp/on'],
    }), [nic()], { secrets: {} });
    expect(seed.userData).toBe(`#cloud-config
hostname: web
fqdn: web-1.lan.example
users:
  - default
  - name: ops
    ssh_authorized_keys:
      - ${KEY}
    sudo: ALL=(ALL) NOPASSWD:ALL
    shell: /bin/bash
    groups:
      - adm
      - sudo
ssh_authorized_keys:
  - ${KEY}
packages:
  - nginx
  - qemu-guest-agent
runcmd:
  - systemctl enable --now nginx
  - echo yes > /tmp/on
`);
    expect(seed.networkConfig).toBe(`version: 2
ethernets:
  eth0:
    match:
      macaddress: "52:54:00:12:34:56"
    set-name: eth0
    dhcp4: true
`);
    expect(seed.instanceId).toMatch(new RegExp(`^hvs-${UID}-[0-9a-f]{12}$`));
    expect(seed.metaData).toBe(`instance-id: ${seed.instanceId}\nlocal-hostname: web\n`);
  });

  it('raw userData and raw networkConfig are used as they are', () => {
    const userData = '#!/bin/sh\necho hello > /tmp/hello\n';
    const networkConfig = 'version: 2\nethernets:\n  id0:\n    match: {name: "en*"}\n    dhcp4: true\n';
    const seed = renderCloudInitSeed(vm({}, [{ name: 'eth0', network: 'lan' }]), [], { userData, networkConfig, secrets: {} });
    expect(seed.userData).toBe(userData);
    expect(seed.networkConfig).toBe(networkConfig);
    expect(seed.metaData).toBe(`instance-id: ${seed.instanceId}\nlocal-hostname: web-1\n`);
  });

  it('static addresses: the reservation, a default route via the gateway, the DNS servers and search domain', () => {
    const seed = renderCloudInitSeed(vm({}), [nic({ static: true })], { secrets: {} });
    expect(seed.networkConfig).toBe(`version: 2
ethernets:
  eth0:
    match:
      macaddress: "52:54:00:12:34:56"
    set-name: eth0
    dhcp4: false
    addresses:
      - 10.20.0.11/24
    routes:
      - to: default
        via: 10.20.0.1
    nameservers:
      addresses:
        - 10.20.0.1
      search:
        - lan.example
`);
    expect(seed.userData).toBe('#cloud-config\nhostname: web-1\nfqdn: web-1.lan.example\n');
  });

  it('two NICs: each matched by its MAC and named; the first NIC gives the fqdn', () => {
    const seed = renderCloudInitSeed(vm({}), [nic({ dnsName: 'web-1.front' }), nic({ name: 'eth1', network: 'back', mac: '52:54:00:AB:CD:EF', ipv4: '10.30.0.5', dnsName: 'web-1.back', static: true, dnsServers: [], gateway: '' })], { secrets: {} });
    expect(seed.networkConfig).toBe(`version: 2
ethernets:
  eth0:
    match:
      macaddress: "52:54:00:12:34:56"
    set-name: eth0
    dhcp4: true
  eth1:
    match:
      macaddress: 52:54:00:ab:cd:ef
    set-name: eth1
    dhcp4: false
    addresses:
      - 10.30.0.5/24
`);
    expect(seed.userData).toContain('fqdn: web-1.front\n');
  });

  it('without NIC bindings yet: the spec NICs with the MACs the domain XML gets, DHCP', () => {
    const v = vm({}, [{ name: 'eth0', network: 'lan' }, { name: 'eth1', network: 'lan', mac: '52:54:00:00:00:02' }]);
    const nics = cloudInitNics(v, []);
    expect(nics.map((n) => [n.name, n.static, n.ipv4])).toEqual([['eth0', false, ''], ['eth1', false, '']]);
    expect(nics[0]!.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(nics[1]!.mac).toBe('52:54:00:00:00:02');
    // A binding, where one exists, wins for its NIC.
    expect(cloudInitNics(v, [nic({ name: 'eth1' })])[1]).toEqual(nic({ name: 'eth1' }));
    const seed = renderCloudInitSeed(v, nics, { secrets: {} });
    expect(seed.userData).toBe('#cloud-config\nhostname: web-1\n');
    expect(seed.networkConfig).toContain(nics[0]!.mac);
  });

  it('secrets: write_files under /run/hvs/secrets/<secret>/<key>, root 0600, base64', () => {
    const seed = renderCloudInitSeed(vm({ secretRefs: ['db'] }), [], { secrets: { 'db/password': Buffer.from('s3cret'), 'db/user': Buffer.from('app') } });
    expect(seed.userData).toBe(`#cloud-config
hostname: web-1
write_files:
  - path: /run/hvs/secrets/db/password
    owner: root:root
    permissions: "0600"
    encoding: b64
    content: czNjcmV0
  - path: /run/hvs/secrets/db/user
    owner: root:root
    permissions: "0600"
    encoding: b64
    content: YXBw
`);
  });

  it('secrets with raw userData: a MIME multipart with the user part untouched and ours merged by appending', () => {
    const userData = '#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hi\n';
    const seed = renderCloudInitSeed(vm({ secretRefs: ['db'] }), [], { userData, secrets: { 'db/password': Buffer.from('s3cret') } });
    expect(seed.userData).toBe(`Content-Type: multipart/mixed; boundary="hvs-cloud-init-0"
MIME-Version: 1.0

--hvs-cloud-init-0
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: 8bit

${userData}--hvs-cloud-init-0
Content-Type: text/cloud-config; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: 8bit

#cloud-config
write_files:
  - path: /run/hvs/secrets/db/password
    owner: root:root
    permissions: "0600"
    encoding: b64
    content: czNjcmV0
merge_how:
  - name: list
    settings:
      - append
  - name: dict
    settings:
      - no_replace
      - recurse_list
--hvs-cloud-init-0--
`);
  });

  it('instance-id: the same input gives the same id; a changed field, secret value or address gives a new one', () => {
    const base = vm({ packages: ['nginx'], secretRefs: ['db'] });
    const secrets = { 'db/password': Buffer.from('a') };
    const id = (v: VirtualMachine, s = secrets, n = [nic()]) => renderCloudInitSeed(v, n, { secrets: s }).instanceId;
    const first = id(base);
    expect(id(base)).toBe(first);
    expect(id(vm({ packages: ['nginx', 'curl'], secretRefs: ['db'] }))).not.toBe(first);
    expect(id(base, { 'db/password': Buffer.from('b') })).not.toBe(first);
    expect(id(base, secrets, [nic({ ipv4: '10.20.0.12', static: true })])).not.toBe(first);
    expect(id(vm({ packages: ['nginx'], secretRefs: ['db'], hostname: 'other' }))).not.toBe(first);
  });
});

describe('renderCloudInitSeed errors', () => {
  const MARKER = 'MARKER-7f3a-user-data-text';
  const SECRET = 'MARKER-secret-value-91c2';

  function thrown(f: () => unknown): HvsError {
    try {
      f();
    } catch (e) {
      return e as HvsError;
    }
    throw new Error('expected an error');
  }

  const cases: Array<[string, () => unknown, string]> = [
    ['an unresolved secretRef', () => renderCloudInitSeed(vm({ secretRefs: ['db', 'api'] }), [], { userData: `#cloud-config\n# ${MARKER}\n`, secrets: { 'db/x': Buffer.from(SECRET) } }), 'HVS-CLOUDINIT-SECRET-UNRESOLVED'],
    ['raw userData without a header', () => renderCloudInitSeed(vm({}), [], { userData: `${MARKER}\n`, secrets: {} }), 'HVS-CLOUDINIT-USERDATA-FORMAT'],
    ['a secret key that is no file name', () => renderCloudInitSeed(vm({ secretRefs: ['db'] }), [], { userData: `#cloud-config\n# ${MARKER}\n`, secrets: { 'db/../x': Buffer.from(SECRET) } }), 'HVS-CLOUDINIT-SECRET-KEY-INVALID'],
    ['a NIC name longer than 15 bytes', () => renderCloudInitSeed(vm({ runcmd: [MARKER] }), [nic({ name: 'a-very-long-nic-name' })], { secrets: {} }), 'HVS-CLOUDINIT-NIC-NAME-TOO-LONG'],
    ['a static NIC without a reservation', () => renderCloudInitSeed(vm({}), [nic({ static: true, ipv4: '' })], { userData: `#cloud-config\n# ${MARKER}\n`, secrets: {} }), 'HVS-CLOUDINIT-STATIC-INCOMPLETE'],
  ];

  it.each(cases)('%s: a coded error with what, why and fix that quotes neither user-data nor a secret value', (_what, f, code) => {
    const e = thrown(f);
    expect(e).toBeInstanceOf(HvsError);
    expect(e.code).toBe(code);
    expect(e.why).toEqual(expect.any(String));
    expect(e.fix).toEqual(expect.any(String));
    const text = JSON.stringify({ message: e.message, why: e.why, fix: e.fix, problems: e.problems, s: e.toString(), stack: e.stack });
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain(SECRET);
  });

  it('the unresolved error names each missing Secret', () => {
    const e = thrown(() => renderCloudInitSeed(vm({ secretRefs: ['db', 'api', 'tls'] }), [], { secrets: { 'db/x': Buffer.from('1') } }));
    expect(e.message).toContain('"api", "tls"');
    expect(e.message).not.toContain('"db"');
  });
});
