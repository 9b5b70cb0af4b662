/**
 * What the web console will need (issue 12 item 5), over REST against the real controller:
 * who am I, "can I", a session token exchanged for a bearer token, single-use tickets for
 * WebSockets; and never a cookie as a credential.
 */
import { IdentityService } from '../../src/services/identity.service';
import { controllerForFile } from '../api/controller-under-test';

jest.setTimeout(60_000);

const ctl = controllerForFile();
let operator: string;

const as = (token: string, path: string, body?: unknown) =>
  ctl.rest(path, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

beforeAll(async () => {
  operator = await ctl.tokenFor('web-op', 'operator', 'team=x');
});

describe('the web console\'s identity calls', () => {
  it('whoami names the verified caller and its permissions', async () => {
    const r = await as(operator, '/identity/whoami');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'user', name: 'web-op', role: 'operator', scope: 'team=x', via: 'token' });
    expect(r.body.permissions).toEqual(expect.arrayContaining(['vms.lifecycle', 'resources.read']));
    expect(r.body.permissions).not.toContain('nodes.manage');
  });

  it('can-i answers by permission or by API method, and checks a scoped role against the object', async () => {
    expect((await as(operator, '/identity/can-i', { action: 'vms.lifecycle' })).body).toMatchObject({ allowed: true });
    expect((await as(operator, '/identity/can-i', { action: 'NodeService/Drain' })).body).toMatchObject({ allowed: false, permission: 'nodes.manage', reason: expect.stringMatching(/operator/) });
    const bad = await as(operator, '/identity/can-i', { action: 'fly' });
    expect([bad.status, bad.body.code]).toEqual([400, 'HVS-AUTH-ACTION-UNKNOWN']);
  });

  it('a session token works like the token it was exchanged for, with the same role, and lives at most an hour', async () => {
    const s = await as(operator, '/identity/session', { ttlSeconds: 99_999 });
    expect(s.status).toBe(200);
    expect(Date.parse(s.body.expiresAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const me = await as(s.body.token, '/identity/whoami');
    expect(me.body).toMatchObject({ name: 'web-op', role: 'operator', scope: 'team=x', via: 'session' });
    expect((await as(s.body.token, '/apply', {})).status).not.toBe(401);
  });

  it('a ticket opens one thing once: a second use, another purpose or a bearer use are refused', async () => {
    const t = await as(operator, '/identity/tickets', { purpose: 'console/vm/x-1' });
    expect(t.status).toBe(200);
    const identity = ctl.app.get(IdentityService);
    await expect(identity.redeemTicket(t.body.ticket, 'console/vm/y-1')).rejects.toMatchObject({ code: 'HVS-AUTH-TICKET-INVALID' });
    await expect(identity.redeemTicket(t.body.ticket, 'console/vm/x-1')).resolves.toMatchObject({ kind: 'user', name: 'web-op', role: 'operator' });
    await expect(identity.redeemTicket(t.body.ticket, 'console/vm/x-1')).rejects.toMatchObject({ code: 'HVS-AUTH-TICKET-INVALID', category: 'Unauthenticated' });
    expect((await as(t.body.ticket, '/identity/whoami')).status).toBe(401);
  });

  it('a cookie is never a credential', async () => {
    const r = await ctl.rest('/identity/whoami', { headers: { authorization: '', cookie: `hvs_session=${operator}` } });
    expect(r.status).toBe(401);
  });
});
