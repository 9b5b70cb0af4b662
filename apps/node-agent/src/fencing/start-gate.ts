import { TerminalError } from '@hvs/reconcile';
import type { HypervisorDriver } from '../hypervisor';

/** Answers "may this domain start now?": undefined = yes, else the error to report. */
export type StartRefusal = (domain: string) => Error | undefined;

/**
 * The driver the domain reconciler uses, with `start` refused while fencing says so. A
 * refusal is a TerminalError (no retry storm while fenced): the VM shows Failed with the
 * fencing reason, and the agent re-queues every VM when the fence lifts. Every other call,
 * and the optional abilities (migrate, snapshots...), pass through unchanged.
 */
export function gateStarts<D extends HypervisorDriver>(driver: D, refusal: StartRefusal): D {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'start') {
        return async (name: string) => {
          const refused = refusal(name);
          if (refused) throw new TerminalError(refused.message, { cause: refused, reason: 'Fenced' });
          return target.start(name);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
