/**
 * One suite for JoinTokens over every TokenRepository: the in-memory one always, etcd where the
 * machine has it. Time comes from an injected clock; nothing sleeps.
 */
import type { HvsError } from '@hvs/domain';
import { JoinTokens, parseJoinToken, type TokenRepository } from '../../src/pki';
import { refusal } from './fixtures';

const FP = 'ab'.repeat(32);
const HOUR = 3_600_000;

export function describeJoinTokensContract(name: string, makeRepository: () => Promise<TokenRepository>): void {
  describe(name, () => {
    let repo: TokenRepository;
    let now: number;
    let tokens: JoinTokens;
    beforeEach(async () => {
      repo = await makeRepository();
      now = Date.parse('2030-01-01T00:00:00Z');
      tokens = new JoinTokens(repo, { caFingerprint: FP, now: () => now });
    });

    it('hands out hvs1.<id>.<256-bit secret>.<ca hash> and stores only the hash of the secret', async () => {
      const t = await tokens.create();
      const p = parseJoinToken(t.token);
      expect(t.token).toMatch(/^hvs1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$/);
      expect(Buffer.from(p.secret, 'base64url')).toHaveLength(32);
      expect(p.caFingerprint).toBe(FP);
      expect(t.expiresAt.getTime()).toBe(now + HOUR);
      const stored = JSON.stringify(await repo.list());
      expect(stored).toContain(t.id);
      expect(stored).not.toContain(p.secret);
      const second = parseJoinToken((await tokens.create()).token);
      expect(second.secret).not.toBe(p.secret);
      expect(second.id).not.toBe(p.id);
    });

    it('works once: a second use, a wrong secret and an unknown id all get the same INVALID error', async () => {
      const t = await tokens.create();
      await expect(tokens.consume(t.token, 'host-1')).resolves.toEqual({ id: t.id, nodeName: 'host-1', replace: false });
      const reused = await refusal(tokens.consume(t.token, 'host-1'));
      const t2 = await tokens.create();
      const p2 = parseJoinToken(t2.token);
      const wrongSecret = await refusal(tokens.consume(`hvs1.${p2.id}.${'A'.repeat(43)}`, 'host-1'));
      const unknown = await refusal(tokens.consume(`hvs1.${'0'.repeat(16)}.${p2.secret}`, 'host-1'));
      for (const e of [reused, wrongSecret, unknown]) {
        expect(e.code).toBe('HVS-JOIN-TOKEN-INVALID');
        expect(e.category).toBe('Unauthenticated');
        expect(e.toString()).toBe(reused.toString());
      }
      // The wrong guess did not burn the real token.
      await expect(tokens.consume(t2.token, 'host-2')).resolves.toEqual({ id: t2.id, nodeName: 'host-2', replace: false });
    });

    it('of 10 concurrent joins with one token exactly one succeeds', async () => {
      const t = await tokens.create();
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => tokens.consume(t.token, `host-${i}`)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as HvsError).code).toBe('HVS-JOIN-TOKEN-INVALID');
      }
      expect(await tokens.list()).toEqual([]);
    });

    it('expires by the injected clock with its own error, and is gone afterwards', async () => {
      const t = await tokens.create({ ttlMs: 10 * 60_000 });
      now += 10 * 60_000 - 1;
      const fresh = await tokens.create();
      expect((await tokens.list()).map((s) => [s.id, s.expired])).toEqual([[t.id, false], [fresh.id, false]]);
      now += 1;
      expect((await tokens.list()).find((s) => s.id === t.id)?.expired).toBe(true);
      const e = await refusal(tokens.consume(t.token, 'host-1'));
      expect(e.code).toBe('HVS-JOIN-TOKEN-EXPIRED');
      expect(e.message).toContain('2030-01-01T00:10:00.000Z');
      expect(e.fix).toMatch(/clock/);
      expect((await refusal(tokens.consume(t.token, 'host-1'))).code).toBe('HVS-JOIN-TOKEN-INVALID');
    });

    it('a token bound to a name joins only that name (empty name: the bound one) and a refusal keeps it', async () => {
      const t = await tokens.create({ nodeName: 'host-7' });
      const e = await refusal(tokens.consume(t.token, 'host-8'));
      expect(e.code).toBe('HVS-JOIN-TOKEN-NODE-MISMATCH');
      expect(e.message).not.toContain(parseJoinToken(t.token).secret);
      await expect(tokens.consume(t.token, '')).resolves.toEqual({ id: t.id, nodeName: 'host-7', replace: false });
    });

    it('no token takes the name of an existing node unless minted with replace (and the refusal keeps it)', async () => {
      const exists = async (n: string) => n === 'host-1';
      const t = await tokens.create();
      expect((await refusal(tokens.consume(t.token, 'host-1', { nodeExists: exists }))).code).toBe('HVS-JOIN-NODE-EXISTS');
      await expect(tokens.consume(t.token, 'host-2', { nodeExists: exists })).resolves.toMatchObject({ nodeName: 'host-2', replace: false });
      const bound = await tokens.create({ nodeName: 'host-1' });
      const e = await refusal(tokens.consume(bound.token, 'host-1', { nodeExists: exists }));
      expect([e.code, e.fix]).toEqual(['HVS-JOIN-NODE-EXISTS', expect.stringContaining('--replace')]);
      const replace = await tokens.create({ nodeName: 'host-1', replace: true });
      expect((await tokens.list()).find((x) => x.id === replace.id)).toMatchObject({ nodeName: 'host-1', replace: true, usesLeft: 1 });
      await expect(tokens.consume(replace.token, 'host-1', { nodeExists: exists })).resolves.toEqual({ id: replace.id, nodeName: 'host-1', replace: true });
      await expect(tokens.consume(bound.token, 'host-3', { nodeExists: exists })).rejects.toMatchObject({ code: 'HVS-JOIN-TOKEN-NODE-MISMATCH' });
    });

    it('a multi-use token joins exactly N hosts, also concurrently, then is gone; it cannot be bound or replace', async () => {
      const t = await tokens.create({ uses: 3 });
      expect(t.uses).toBe(3);
      await expect(tokens.consume(t.token, 'm-0')).resolves.toMatchObject({ nodeName: 'm-0' });
      expect((await tokens.list()).find((x) => x.id === t.id)?.usesLeft).toBe(2);
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => tokens.consume(t.token, `m-${i + 1}`)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as HvsError).code).toBe('HVS-JOIN-TOKEN-INVALID');
      expect(await tokens.list()).toEqual([]);
      expect((await refusal(tokens.create({ uses: 2, nodeName: 'host-1' }))).code).toBe('HVS-JOIN-TOKEN-MULTI-USE-BOUND');
      expect((await refusal(tokens.create({ replace: true }))).code).toBe('HVS-JOIN-TOKEN-REPLACE-UNBOUND');
      expect((await refusal(tokens.create({ uses: 1001 }))).code).toBe('HVS-JOIN-TOKEN-USES-INVALID');
      expect((await refusal(tokens.create({ uses: 2.5 }))).code).toBe('HVS-JOIN-TOKEN-USES-INVALID');
    });

    it('creation is rate-limited (retry-after in the fix, refilled by the clock) and open tokens are capped', async () => {
      const limited = new JoinTokens(repo, { caFingerprint: FP, now: () => now, rateBurst: 2, ratePerSecond: 0.5, maxOpen: 3 });
      await limited.create();
      await limited.create();
      const e = await refusal(limited.create());
      expect([e.code, e.category, e.fix]).toEqual(['HVS-JOIN-TOKEN-RATE-LIMITED', 'ResourceExhausted', expect.stringMatching(/retry after 2 s/)]);
      now += 2_000;
      const third = await limited.create({ uses: 50, ttlMs: 2 * 60_000 });
      now += 2_000;
      const cap = await refusal(limited.create());
      expect([cap.code, cap.message, cap.fix]).toEqual(['HVS-JOIN-TOKEN-CAP', expect.stringContaining('3 open'), expect.stringContaining('hvctl node token revoke')]);
      expect(await limited.revoke(third.id)).toBe(true);
      now += 2_000;
      await expect(limited.create()).resolves.toBeDefined();
      // Expired tokens are not open: they do not count against the cap.
      now += 2 * HOUR;
      await expect(limited.create()).resolves.toBeDefined();
    });

    it('revoke removes a token (idempotent); list never shows secrets or hashes', async () => {
      const a = await tokens.create();
      const b = await tokens.create({ nodeName: 'n2', ttlMs: 2 * HOUR });
      const listed = await tokens.list();
      expect(listed).toEqual([
        { id: a.id, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T01:00:00.000Z', usesLeft: 1, expired: false },
        { id: b.id, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T02:00:00.000Z', nodeName: 'n2', usesLeft: 1, expired: false },
      ]);
      expect(await tokens.revoke(a.id)).toBe(true);
      expect(await tokens.revoke(a.id)).toBe(false);
      expect(await tokens.revoke('../../etc')).toBe(false);
      expect((await refusal(tokens.consume(a.token, 'x'))).code).toBe('HVS-JOIN-TOKEN-INVALID');
    });

    it('refuses malformed tokens, bad names and bad TTLs without echoing the token', async () => {
      const t = await tokens.create();
      const cut = t.token.slice(0, -70);
      const e = await refusal(tokens.consume(cut, 'n1'));
      expect(e.code).toBe('HVS-JOIN-TOKEN-MALFORMED');
      expect(e.toString()).not.toContain(cut.split('.')[2]!);
      expect((await refusal(tokens.consume(t.token, 'Bad_Name'))).code).toBe('HVS-PKI-NODE-NAME-INVALID');
      expect((await refusal(tokens.create({ ttlMs: 1000 }))).code).toBe('HVS-JOIN-TOKEN-TTL-INVALID');
      expect((await refusal(tokens.create({ ttlMs: 31 * 24 * HOUR }))).code).toBe('HVS-JOIN-TOKEN-TTL-INVALID');
      expect((await refusal(tokens.create({ nodeName: '-x' }))).code).toBe('HVS-PKI-NODE-NAME-INVALID');
      // The token without its CA hash (given to the agent separately) is accepted too.
      const p = parseJoinToken(t.token);
      await expect(tokens.consume(`hvs1.${p.id}.${p.secret}`, 'n1')).resolves.toMatchObject({ id: t.id });
    });
  });
}
