/**
 * A jest setup file (jest.preset.js `setupFiles`): in every test process, listening on one of the
 * single-host system's default ports fails the way a taken port does (an 'error' event), with a
 * coded message, so a test that would clash with a running `npm start` fails on every machine,
 * not only where the system happens to be up. Child processes a test starts are checked
 * statically instead (test/repo.spec.ts).
 */
import * as net from 'node:net';
import { DEFAULT_PORTS } from './default-ports';

const PATCHED = Symbol.for('hvs.test.noDefaultPorts');
type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

function requestedPort(args: unknown[]): number | undefined {
  const first = args[0];
  const raw = typeof first === 'object' && first !== null && !Array.isArray(first) ? (first as { port?: unknown }).port : first;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return Number(raw);
  return undefined;
}

const proto = net.Server.prototype as unknown as Record<symbol, boolean> & { listen: Listen };
if (!proto[PATCHED]) {
  proto[PATCHED] = true;
  const listen = proto.listen;
  proto.listen = function guardedListen(this: net.Server, ...args: unknown[]): net.Server {
    const port = requestedPort(args);
    if (port === undefined || !DEFAULT_PORTS.includes(port)) return listen.apply(this, args);
    const err = Object.assign(new Error(`HVS-TEST-DEFAULT-PORT: a test tried to listen on port ${port}, a default port of the single-host system, `
      + 'which `npm start` holds while `npm test` runs (.ci/run); fix: listen on port 0 or a freePort() from test/harness'), { code: 'HVS-TEST-DEFAULT-PORT', port });
    process.nextTick(() => this.emit('error', err));
    return this;
  };
}
