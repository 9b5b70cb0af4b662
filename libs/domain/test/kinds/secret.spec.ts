import { redactObject, REDACTED_VALUE, SECRET_MAX_BYTES } from '../../src/kinds';
import { validateResource } from '../../src/validation';

const secret = (data: Record<string, string>, name = 'db-creds') => ({ apiVersion: 'hvs/v1', kind: 'Secret', metadata: { name }, spec: { data } });

describe('Secret kind', () => {
  it('accepts string values under valid keys', () => {
    const r = validateResource(secret({ password: 'hunter2', 'tls.key': 'k', DB_USER: 'app' }));
    expect(r.ok).toBe(true);
  });

  it.each([
    ['a key with a slash', { 'a/b': 'x' }, 'HVS-SECRET-KEY-INVALID'],
    ['the key ..', { '..': 'x' }, 'HVS-SECRET-KEY-INVALID'],
    ['no keys', {}, 'HVS-SECRET-KEYS-COUNT'],
    ['more than 64 KiB of values', { a: 'x'.repeat(SECRET_MAX_BYTES), b: 'y' }, 'HVS-SECRET-TOO-LARGE'],
  ])('refuses %s with a coded problem', (_what, data, code) => {
    const r = validateResource(secret(data));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.code)).toContain(code);
  });

  it('refuses a value that is not a string and never echoes a value in a problem', () => {
    const r = validateResource({ ...secret({}), spec: { data: { password: 12345678 } } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.problems)).not.toContain('12345678');
  });

  it('refuses the redaction marker applied back as a Secret value or VM cloud-init (HVS-VALUE-REDACTED)', () => {
    const r = validateResource(secret({ password: REDACTED_VALUE }));
    expect(!r.ok && r.problems.map((p) => p.code)).toEqual(['HVS-VALUE-REDACTED']);
    const vm = {
      apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'web-1' },
      spec: { cpu: { cores: 1 }, memory: { size: '1GiB' }, disks: [], networks: [], cloudInit: { userData: REDACTED_VALUE, networkConfig: REDACTED_VALUE } },
    };
    const v = validateResource(vm);
    expect(!v.ok && v.problems.map((p) => p.code)).toEqual(['HVS-VALUE-REDACTED', 'HVS-VALUE-REDACTED']);
  });

  it('refuses an invalid name with the kind\'s own code', () => {
    const r = validateResource(secret({ a: 'b' }, 'Bad_Name'));
    expect(!r.ok && r.problems[0]?.code).toBe('HVS-SECRET-NAME-INVALID');
  });

  it('redactObject hides Secret values and VM cloud-init, keeps keys and secretRefs, and leaves the input alone', () => {
    const s = secret({ password: 'hunter2' });
    expect(redactObject(s).spec.data).toEqual({ password: REDACTED_VALUE });
    expect(s.spec.data.password).toBe('hunter2');
    const vm = { kind: 'VirtualMachine', spec: { cpu: {}, cloudInit: { userData: '#cloud-config\npassword: x', networkConfig: 'n', secretRefs: ['db-creds'] } } };
    expect(redactObject(vm).spec.cloudInit).toEqual({ userData: REDACTED_VALUE, networkConfig: REDACTED_VALUE, secretRefs: ['db-creds'] });
    const net = { kind: 'Network', spec: { mode: 'nat' } };
    expect(redactObject(net)).toBe(net);
  });
});
