/**
 * A TLS context: hvctl trusts only the context's CA and checks the certificate for the
 * controller's name (controller.hvs), not for the dialled IP, and names that server in SNI
 * (an IP there made Node print DEP0123 on every call). Certificates come from openssl.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { runCli } from '../src/cli';
import { fakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

let dir: string;
let fake: FakeController | undefined;
let sniServer: tls.Server | undefined;

/** A CA, and a server certificate it signs for `dnsName`; returns the file paths. */
function issue(dnsName: string): { ca: string; key: string; cert: string } {
  const f = (n: string) => path.join(dir, `${dnsName}-${n}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=test ca');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${dnsName}`);
  fs.writeFileSync(f('ext'), `subjectAltName=DNS:${dnsName}\n`);
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('ext'));
  return { ca: f('ca.crt'), key: f('server.key'), cert: f('server.crt') };
}

async function getVms(caFile: string, address = fake!.address): Promise<{ code: number; out: string; err: string }> {
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, `current-context: t\ncontexts:\n  - name: t\n    controller: ${address}\n    credentials: { type: tls, caFile: ${caFile} }\n`);
  const io = fakeIo({ env: { HOME: dir, HVS_CONFIG: config } });
  const code = await runCli(['get', 'vms'], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-tls-'));
});
afterEach(async () => {
  await fake?.stop();
  await new Promise((resolve) => (sniServer ? sniServer.close(resolve) : resolve(undefined)));
  sniServer = undefined;
  fake = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TLS to the controller', () => {
  it('accepts a certificate for controller.hvs at an IP address', async () => {
    const c = issue('controller.hvs');
    fake = await startFakeController({ keyPem: fs.readFileSync(c.key), certPem: fs.readFileSync(c.cert) });
    const r = await getVms(c.ca);
    expect(r).toEqual({ code: 0, out: '', err: 'No virtualmachines found.\n' });
  });

  it('sends controller.hvs as the TLS server name (SNI), not the IP it dials', async () => {
    const c = issue('controller.hvs');
    const names: unknown[] = [];
    sniServer = tls.createServer({ key: fs.readFileSync(c.key), cert: fs.readFileSync(c.cert) }, (s) => {
      names.push(s.servername);
      s.destroy();
    });
    const port = await new Promise<number>((resolve) => sniServer!.listen(0, '127.0.0.1', () => resolve((sniServer!.address() as { port: number }).port)));
    const r = await getVms(c.ca, `127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set(['controller.hvs']));
  });

  it('refuses a certificate for another name, and one from another CA', async () => {
    const other = issue('other.hvs');
    fake = await startFakeController({ keyPem: fs.readFileSync(other.key), certPem: fs.readFileSync(other.cert) });
    let r = await getVms(other.ca);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: HVS-CLI-CONTROLLER-UNREACHABLE: cannot reach controller at 127\.0\.0\.1:\d+: .*controller\.hvs/);
    const right = issue('controller.hvs');
    r = await getVms(right.ca);
    expect(r.code).toBe(1);
    expect(r.err).toContain('HVS-CLI-CONTROLLER-UNREACHABLE');
  });
});
