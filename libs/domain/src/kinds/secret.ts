/**
 * Secret: named strings (passwords, keys, tokens) that VMs reference by name
 * (`spec.cloudInit.secretRefs`). The controller stores the whole object encrypted in etcd
 * (docs/architecture/secrets.md) and never returns `spec.data` values in plain text except to
 * a caller with the `secrets.reveal` permission who asks for it (`hvctl get secret X --reveal`).
 */
import { z } from 'zod';
import { CommonStatusFields, resourceSchema } from './meta';

/** What every redacted value reads as (Get/List/Watch without reveal). */
export const REDACTED_VALUE = '(redacted)';

/**
 * A value that may be redacted on reads: applying the redaction marker back (`hvctl get -o yaml
 * | hvctl apply -f -`) is refused instead of silently replacing the real value with it.
 */
export const RedactableStringSchema = z.string().refine((v) => v !== REDACTED_VALUE, { error: 'HVS-VALUE-REDACTED' });

/** Keys as Kubernetes allows them (they become file names in a cloud-init seed). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
export const SECRET_MAX_KEYS = 64;
/** Sum of the values' UTF-8 bytes: well under etcd's 1.5 MiB value limit once encrypted. */
export const SECRET_MAX_BYTES = 65536;

const SecretDataSchema = z
  .record(z.string().refine((k) => SECRET_KEY.test(k) && k !== '.' && k !== '..', { error: 'HVS-SECRET-KEY-INVALID' }), RedactableStringSchema)
  .refine((d) => Object.keys(d).length >= 1 && Object.keys(d).length <= SECRET_MAX_KEYS, { error: 'HVS-SECRET-KEYS-COUNT' })
  .refine((d) => Object.values(d).reduce((n, v) => n + Buffer.byteLength(v, 'utf8'), 0) <= SECRET_MAX_BYTES, { error: 'HVS-SECRET-TOO-LARGE' });

export const SecretSpecSchema = z.strictObject({
  /** key -> value, plain strings (not base64). Redacted on every read without `--reveal`. */
  data: SecretDataSchema,
});
export type SecretSpec = z.infer<typeof SecretSpecSchema>;

export const SecretStatusSchema = z.strictObject({ ...CommonStatusFields });

export const SecretSchema = resourceSchema('Secret', SecretSpecSchema, SecretStatusSchema);
export type Secret = z.infer<typeof SecretSchema>;


/** The Secret with every value replaced by REDACTED_VALUE (keys stay visible: they are names, not material). */
export function redactSecret<T extends { spec?: unknown }>(s: T): T {
  const data = (s.spec as { data?: Record<string, unknown> } | undefined)?.data;
  if (data === undefined || typeof data !== 'object' || data === null) return s;
  return { ...s, spec: { ...(s.spec as object), data: Object.fromEntries(Object.keys(data).map((k) => [k, REDACTED_VALUE])) } };
}

/** The VirtualMachine with cloud-init userData and networkConfig redacted (secretRefs stay: they are names). */
export function redactCloudInit<T extends { spec?: unknown }>(vm: T): T {
  const ci = (vm.spec as { cloudInit?: Record<string, unknown> } | undefined)?.cloudInit;
  if (ci === undefined || ci === null || typeof ci !== 'object') return vm;
  const out: Record<string, unknown> = { ...ci };
  for (const f of ['userData', 'networkConfig']) if (typeof out[f] === 'string') out[f] = REDACTED_VALUE;
  return { ...vm, spec: { ...(vm.spec as object), cloudInit: out } };
}

/** What no caller without `secrets.reveal` may see of an object: Secret values and VM cloud-init. */
export function redactObject<T extends { kind?: unknown; spec?: unknown }>(o: T): T {
  if (o.kind === 'Secret') return redactSecret(o);
  if (o.kind === 'VirtualMachine') return redactCloudInit(o);
  return o;
}
