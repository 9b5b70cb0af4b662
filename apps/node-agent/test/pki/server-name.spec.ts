/**
 * The TLS server name (SNI) the agent's clients send is the name they verify, never the IP they
 * dial: Node 26 throws for an IP there (DEP0123; 20-24 only warn, so this is checked on every
 * line, not only by the Node 26 pass of npm test: without the option, Node 20-24 send the IP).
 * A plain TLS server records the names that arrive.
 */
import * as tls from 'node:tls';
import { grpcPeerChecker } from '../../src/fencing';
import { grpcNodeService } from '../../src/heartbeat/controller-link';
import { clientTlsFrom, CONTROLLER_SERVER_NAME, nodeServerName, TlsMaterial } from '../../src/pki';
import { TestCa } from './fixtures';

let ca: TestCa;
let server: tls.Server;
let address = '';
const names: unknown[] = [];

beforeAll(async () => {
  ca = await TestCa.create();
  const own = await ca.identity('CN=hvs-controller', ['controller.hvs']);
  // Recorded from the ClientHello: a client that then refuses the certificate is still seen.
  const context = tls.createSecureContext({ key: own.keyPem, cert: own.certPem });
  server = tls.createServer({ key: own.keyPem, cert: own.certPem, SNICallback: (name, cb) => (names.push(name), cb(null, context)) }, (s) => s.destroy());
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  address = `127.0.0.1:${port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  names.length = 0;
});

const material = async () => new TlsMaterial({ caPem: ca.pem, ...(await ca.identity('CN=node:n1', ['n1.node.hvs'])) });

describe('the server name the agent sends', () => {
  it('to the controller (heartbeat link): controller.hvs', async () => {
    const calls = grpcNodeService(address, clientTlsFrom(await material(), { expectedServerName: CONTROLLER_SERVER_NAME }));
    try {
      await expect(calls.heartbeat({ node: 'n1', observedGeneration: 0, sentAtUnixMs: 0 }, 3_000)).rejects.toBeDefined();
    } finally {
      calls.close();
    }
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set([CONTROLLER_SERVER_NAME]));
  });

  it('to a peer (PeerCheck): <peer>.node.hvs', async () => {
    const m = await material();
    const checker = grpcPeerChecker((peer) => clientTlsFrom(m, { expectedServerName: nodeServerName(peer) }));
    try {
      await expect(checker.check({ node: 'n2', address }, 'n1', 3_000)).rejects.toBeDefined();
    } finally {
      checker.close();
    }
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set([nodeServerName('n2')]));
  });
});
