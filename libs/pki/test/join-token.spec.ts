import { HvsError } from '@hvs/domain';
import { TOKEN_VERSION, formatJoinToken, parseJoinToken } from '../src';
import { thrown } from './support';

const ID = '0123456789abcdef';
const SECRET = 'aZ09_-'.repeat(7) + 'x'; // 43 base64url characters
const CA = 'ab'.repeat(32);

describe('join token format', () => {
  it('prints hvs1.<id>.<secret>[.<ca-sha256>] and parses it back, with or without the CA hash', () => {
    const full = formatJoinToken({ id: ID, secret: SECRET, caFingerprint: CA });
    expect(full).toBe(`${TOKEN_VERSION}.${ID}.${SECRET}.${CA}`);
    expect(parseJoinToken(full)).toEqual({ id: ID, secret: SECRET, caFingerprint: CA });
    const short = formatJoinToken({ id: ID, secret: SECRET });
    expect(short).toBe(`hvs1.${ID}.${SECRET}`);
    expect(parseJoinToken(short)).toEqual({ id: ID, secret: SECRET });
  });

  it('ignores white space around a pasted token', () => {
    expect(parseJoinToken(`  hvs1.${ID}.${SECRET}.${CA}\n`).caFingerprint).toBe(CA);
  });

  it.each([
    ['cut short', `hvs1.${ID}.${SECRET.slice(0, 20)}`],
    ['another version', `hvs2.${ID}.${SECRET}`],
    ['an upper-case id', `hvs1.${ID.toUpperCase()}.${SECRET}`],
    ['a CA hash of the wrong length', `hvs1.${ID}.${SECRET}.${CA.slice(2)}`],
    ['a space inside', `hvs1.${ID}.${SECRET.slice(0, 21)} ${SECRET.slice(21)}`],
    ['a fifth part', `hvs1.${ID}.${SECRET}.${CA}.extra`],
  ])('refuses a token with %s as HVS-JOIN-TOKEN-MALFORMED, never repeating it', (_what, token) => {
    const e = thrown(() => parseJoinToken(token));
    expect(e.code).toBe('HVS-JOIN-TOKEN-MALFORMED');
    expect(e.category).toBe('InvalidArgument');
    expect(e.fix).toMatch(/hvctl node token create/);
    expect(JSON.stringify({ ...e, m: e.message, s: e.toString() })).not.toContain(SECRET.slice(0, 20));
  });

  it('refuses what is not a string at all', () => {
    expect(() => parseJoinToken(undefined as unknown as string)).toThrow(HvsError);
  });
});
