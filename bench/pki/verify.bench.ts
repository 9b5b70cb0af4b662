/**
 * What the revocation check costs per node call (prints it; asserts nothing about time):
 * NodeCertificates.verify = ClusterCa.verifyPeer (chain, validity, name) + one linearizable
 * etcd transaction (the node's certificate record and its Node key). Sequential calls give the
 * latency one call adds; 32 in flight give the throughput a busy controller gets.
 */
import { performance } from 'node:perf_hooks';
import { startEtcd, type EtcdInstance } from '../../test/harness';
import { ClusterPki, EtcdCertificateStore, EtcdTokenRepository } from '../../apps/controller/src/pki';
import { EtcdConnection, objectKey } from '../../apps/controller/src/store';
import { makeCsr, tempDirs } from '../../apps/controller/test/pki/fixtures';

const CALLS = Number(process.env.HVS_PKI_BENCH_CALLS ?? 2000);
const tempDir = tempDirs();
let etcd: EtcdInstance;
let connection: EtcdConnection;

beforeAll(async () => {
  etcd = await startEtcd();
  connection = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 5_000 });
});
afterAll(async () => {
  connection?.close();
  await etcd?.stop();
});

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function timed(n: number, parallel: number, fn: () => Promise<unknown> | unknown): Promise<{ perSecond: number; p50: number; p99: number }> {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next++ < n) {
      const t = performance.now();
      await fn();
      lat.push(performance.now() - t);
    }
  }));
  return { perSecond: Math.round(n / ((performance.now() - start) / 1000)), p50: pct(lat, 50), p99: pct(lat, 99) };
}

it('NodeCertificates.verify per call', async () => {
  const pki = await ClusterPki.create({ dataDir: tempDir(), listenHost: '127.0.0.1', tokens: new EtcdTokenRepository(connection), certificates: new EtcdCertificateStore(connection) });
  await connection.client.put(objectKey('Node', 'bench-1')).value('{}').exec();
  const { csrPem } = await makeCsr('CN=node:bench-1');
  const issued = await pki.ca.signNodeCsr(csrPem, 'bench-1');
  await pki.certificates.issued('bench-1', issued.certificatePem, { at: 'join', replace: false });
  const der = Buffer.from(issued.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64'); // what grpc-js hands over
  await timed(200, 1, () => pki.certificates.verify(der)); // warm-up
  const f = (r: { perSecond: number; p50: number; p99: number }) => `${r.perSecond}/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`;
  const lines = [
    `ClusterCa.verifyPeer alone, sequential:        ${f(await timed(CALLS, 1, () => pki.ca.verifyPeer(der)))}`,
    `NodeCertificates.verify, sequential:           ${f(await timed(CALLS, 1, () => pki.certificates.verify(der)))}`,
    `NodeCertificates.verify, 32 in flight:         ${f(await timed(CALLS, 32, () => pki.certificates.verify(der)))}`,
  ];
  console.log(`${CALLS} calls each, local etcd\n${lines.join('\n')}`);
});
