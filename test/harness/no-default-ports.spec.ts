import * as net from 'node:net';
import { DEFAULT_PORTS } from './default-ports';

/** Listens and resolves the 'error' it gets, or undefined once it listens (then closes). */
function tryListen(...args: unknown[]): Promise<(Error & { code?: string }) | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', resolve);
    (server.listen as (...a: unknown[]) => net.Server)(...args, () => server.close(() => resolve(undefined)));
  });
}

describe('no test listens on a default port (no-default-ports.ts, a jest setup file)', () => {
  it.each(DEFAULT_PORTS.map((p) => [p]))('port %i is refused with HVS-TEST-DEFAULT-PORT, whatever the call shape', async (port) => {
    for (const args of [[port, '127.0.0.1'], [{ port, host: '127.0.0.1' }], [String(port)]]) {
      const err = await tryListen(...args);
      expect(err).toMatchObject({ code: 'HVS-TEST-DEFAULT-PORT' });
      expect(err!.message).toContain(`port ${port}`);
    }
  });

  it('port 0 (a free port) still listens', async () => {
    await expect(tryListen(0, '127.0.0.1')).resolves.toBeUndefined();
  });
});
