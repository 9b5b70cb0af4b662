/**
 * A stand-in controller for the agent's join tests: a tiny CA (libs/pki/test/support.ts), and
 * a NodeService server (generated definition) whose Join/RenewCertificate sign the agent's CSR.
 * The real CA is apps/controller/src/pki (apps do not import each other); this one follows the
 * same naming contract (docs/security.md).
 */
import { Server, status } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { toServiceError, v1 } from '@hvs/proto';
import { callerIdentity, serverCredentials } from '../../src/pki';
import type { TestCa } from '../../../../libs/pki/test/support';

export { TestCa, modeOf, refusal, tempDirs, thrown } from '../../../../libs/pki/test/support';

export interface FakeController {
  address: string;
  /** Every Join request received (tests check the token never arrived when it must not). */
  joins: v1.JoinRequest[];
  renewedFor: string[];
  stop(): Promise<void>;
}

/**
 * Serves Join (token must equal `token`) and RenewCertificate (caller must present a node
 * certificate; the new one is for that node only), with client certificates optional like the
 * controller's API port. `serverIdentity` overrides what the server presents.
 */
export async function startFakeController(ca: TestCa, token: string, serverIdentity?: { certPem: string; keyPem: string }): Promise<FakeController> {
  const own = serverIdentity ?? await ca.identity('CN=hvs-controller', ['controller.hvs']);
  const joins: v1.JoinRequest[] = [];
  const renewedFor: string[] = [];
  const server = new Server();
  const impl: Partial<v1.NodeServiceServer> = {
    join: (call, cb) => {
      joins.push(call.request);
      if (call.request.token !== token) {
        return cb(toServiceError(new HvsError({ code: 'HVS-JOIN-TOKEN-INVALID', category: 'Unauthenticated', message: 'the join token is not valid', fix: 'get a new one' })));
      }
      ca.signCsr(call.request.csrPem, call.request.nodeName).then(
        (certificatePem) => cb(null, { certificatePem, caCertificatePem: ca.pem, expiresAt: '', controllerAddresses: ['10.0.0.1:7443'] }),
        (e: Error) => cb({ code: status.PERMISSION_DENIED, details: e.message }),
      );
    },
    renewCertificate: (call, cb) => {
      const who = callerIdentity(call, ca.pem);
      if (who?.kind !== 'node') return cb({ code: status.UNAUTHENTICATED, details: 'node certificate required' });
      renewedFor.push(who.node);
      ca.signCsr(call.request.csrPem, who.node).then(
        (certificatePem) => cb(null, { certificatePem, caCertificatePem: ca.pem, expiresAt: '', controllerAddresses: [] }),
        (e: Error) => cb({ code: status.PERMISSION_DENIED, details: e.message }),
      );
    },
  };
  server.addService(v1.NodeServiceService, impl as v1.NodeServiceServer);
  const chain = own.certPem + (serverIdentity ? '' : ca.pem);
  const creds = serverCredentials(ca.pem, chain, own.keyPem, { requireClientCert: false });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    joins,
    renewedFor,
    stop: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}
