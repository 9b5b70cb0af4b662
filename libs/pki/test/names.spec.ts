import { X509Certificate } from 'node:crypto';
import { CONTROLLER_CN, CONTROLLER_SERVER_NAME, NODE_CN_PREFIX, commonNameOf, identityOf, nodeServerName, subjectAltNamesOf } from '../src';
import { TestCa } from './support';

let ca: TestCa;
beforeAll(async () => {
  ca = await TestCa.create();
});

async function cert(subject: string, dns: string[]): Promise<X509Certificate> {
  return new X509Certificate((await ca.identity(subject, dns)).certPem);
}

describe('certificate names', () => {
  it('spells a node as CN=node:<name> + <name>.node.hvs and the controller as CN=hvs-controller + controller.hvs', () => {
    expect(`CN=${NODE_CN_PREFIX}host-1`).toBe('CN=node:host-1');
    expect(nodeServerName('host-1')).toBe('host-1.node.hvs');
    expect(`CN=${CONTROLLER_CN}`).toBe('CN=hvs-controller');
    expect(CONTROLLER_SERVER_NAME).toBe('controller.hvs');
  });

  it('reads the CN and the SANs of a certificate', async () => {
    const c = await cert('CN=node:host-1', ['host-1.node.hvs', 'extra.example']);
    expect(commonNameOf(c)).toBe('node:host-1');
    expect(subjectAltNamesOf(c)).toEqual(['DNS:host-1.node.hvs', 'DNS:extra.example']);
    const bare = await cert('CN=x, O=y', []);
    expect(commonNameOf(bare)).toBeUndefined();
    expect(subjectAltNamesOf(bare)).toEqual([]);
  });
});

describe('identityOf', () => {
  it('names the node of a node certificate and recognises the controller (which may carry more names)', async () => {
    expect(identityOf(await cert('CN=node:host-1', ['host-1.node.hvs']))).toEqual({ kind: 'node', node: 'host-1' });
    expect(identityOf(await cert('CN=hvs-controller', ['controller.hvs', 'ctl.example']))).toEqual({ kind: 'controller' });
  });

  it.each([
    ['a node certificate with an extra SAN', 'CN=node:host-1', ['host-1.node.hvs', 'controller.hvs']],
    ['a node certificate whose SAN names another node', 'CN=node:host-1', ['host-2.node.hvs']],
    ['a node certificate without SAN', 'CN=node:host-1', []],
    ['a node name that is not a DNS label', 'CN=node:Host_1', ['Host_1.node.hvs']],
    ['a subject with more than a CN', 'CN=node:host-1, O=evil', ['host-1.node.hvs']],
    ['a controller CN without controller.hvs', 'CN=hvs-controller', ['ctl.example']],
    ['a CN of neither kind', 'CN=host-1', ['host-1.node.hvs']],
  ])('gives no identity for %s', async (_what, subject, dns) => {
    expect(identityOf(await cert(subject, dns))).toBeUndefined();
  });
});
