/**
 * What a reader sees of Secret values and VM cloud-init: redacted for everyone on every read
 * (get, list, watch, delete and apply answers), in plain text only to a caller whose role has
 * `secrets.reveal` and who asked for it (`hvctl get secret X --reveal`), and that reveal is
 * audited (operation `reveal`; a refusal is the edge's to record, as for any call). docs/security.md#secrets.
 */
import { redactObject } from '@hvs/domain';
import { mapStream } from '@hvs/proto';
import type { AuditService } from '../audit';
import { ANONYMOUS, authorize } from '../identity';
import type { StoredObject, WatchEvent, WatchStream } from '../store';
import type { CallContext } from './call-context';

/** Kinds `--reveal` applies to: they hold values redacted on plain reads. */
const REVEALABLE = new Set(['Secret', 'VirtualMachine']);

export function redacted<T extends StoredObject>(o: T): T {
  return redactObject(o);
}

export function redactedEvents(inner: WatchStream): WatchStream {
  return mapStream(inner, (ev: WatchEvent) => ({ ...ev, object: redacted(ev.object) })) as WatchStream;
}

/**
 * `object` in plain text for a caller allowed `secrets.reveal` (audited), else HVS-AUTH-FORBIDDEN
 * / -UNAUTHENTICATED. Kinds with nothing to reveal come back as they are.
 */
export async function revealed(audit: AuditService, object: StoredObject, ctx: CallContext): Promise<StoredObject> {
  if (!REVEALABLE.has(object.kind)) return object;
  const { kind, metadata: { name, uid, generation = 1, labels } } = object;
  // A refusal is the edge's to record, as for any refused call (services/refusals.ts).
  authorize(ctx.principal ?? ANONYMOUS, 'secrets.reveal', `reveal ${kind} "${name}"`, { labels });
  await audit.append([{ operation: 'reveal', kind, name, uid, generationBefore: generation, generationAfter: generation, actor: ctx.actor, result: 'ok' }]);
  return object;
}
