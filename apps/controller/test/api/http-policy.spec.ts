/** The HTTP port's decisions as a table (http-policy.ts); rest-edge.medium.spec.ts checks them against a real controller. */
import { decide, defaultAllowedHosts, hostOfHeader, mediaTypeOf, type HttpEdgePolicy } from '../../src/api/rest/http-policy';

const policy: HttpEdgePolicy = { tls: true, allowedHosts: new Set(defaultAllowedHosts('0.0.0.0', ['controller.hvs', '10.0.0.5'])), allowedOrigins: new Set(['https://console.example.com']) };
const code = (headers: Record<string, string>, method = 'GET') => {
  const d = decide(policy, { method, headers: { host: '10.0.0.5:7480', ...headers } });
  return d.refused !== undefined ? d.refused.code : d.preflight ? 'preflight' : 'ok';
};

describe('http-policy', () => {
  it.each([
    ['application/json', 'application/json'], ['Application/JSON; charset=UTF-8', 'application/json'], ['application/yaml;charset="utf-8"', 'application/yaml'],
    ['application/yaml; charset=latin1', undefined], ['application/json;', undefined], ['application/json; charset', undefined], ['text/plain-evil', 'text/plain-evil'],
    ['json', undefined], ['', undefined], [undefined, undefined], ['application/json, text/plain', undefined],
  ])('mediaTypeOf(%j) is %j', (header, type) => expect(mediaTypeOf(header)).toBe(type));

  it.each([
    ['localhost', 'localhost'], ['LocalHost:7480', 'localhost'], ['[::1]:7480', '::1'], ['10.0.0.5', '10.0.0.5'],
    ['a@b', undefined], ['a/b', undefined], ['a b', undefined], ['', undefined], [undefined, undefined],
  ])('hostOfHeader(%j) is %j', (header, host) => expect(hostOfHeader(header)).toBe(host));

  it('defaults: loopback names, the listen host unless a wildcard, the certificate names', () => {
    expect(defaultAllowedHosts('0.0.0.0', ['controller.hvs'])).toEqual(['localhost', '127.0.0.1', '::1', 'controller.hvs']);
    expect(defaultAllowedHosts('Ctl.Example.com', ['[::1]'])).toEqual(['localhost', '127.0.0.1', '::1', 'ctl.example.com']);
  });

  it.each([
    [{ host: 'evil.example' }, 'GET', 'HVS-API-HOST-NOT-ALLOWED'],
    [{ host: '10.0.0.5.evil.example:7480' }, 'GET', 'HVS-API-HOST-NOT-ALLOWED'],
    [{}, 'GET', 'ok'],
    [{ origin: 'https://10.0.0.5:7480' }, 'GET', 'ok'],
    [{ origin: 'http://10.0.0.5:7480' }, 'GET', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{ origin: 'https://evil.example' }, 'GET', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{ origin: 'null' }, 'GET', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{ 'sec-fetch-site': 'cross-site' }, 'GET', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{ 'sec-fetch-site': 'same-site' }, 'GET', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{ 'sec-fetch-site': 'none' }, 'GET', 'ok'],
    [{ origin: 'https://console.example.com', 'sec-fetch-site': 'cross-site' }, 'GET', 'ok'],
    [{ origin: 'https://console.example.com', 'access-control-request-method': 'POST' }, 'OPTIONS', 'preflight'],
    [{ origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS', 'HVS-API-ORIGIN-NOT-ALLOWED'],
    [{}, 'POST', 'HVS-API-CONTENT-TYPE-UNSUPPORTED'],
    [{ 'content-type': 'application/json' }, 'POST', 'ok'],
    [{ 'content-type': 'text/plain' }, 'POST', 'HVS-API-CONTENT-TYPE-UNSUPPORTED'],
    [{ 'content-type': 'text/plain', 'content-length': '3' }, 'DELETE', 'HVS-API-CONTENT-TYPE-UNSUPPORTED'],
    [{ 'transfer-encoding': 'chunked' }, 'GET', 'HVS-API-CONTENT-TYPE-UNSUPPORTED'],
    [{ 'content-length': '0' }, 'DELETE', 'ok'],
  ])('%j %s -> %s', (headers, method, want) => expect(code(headers, method)).toBe(want));

  it('CORS headers only for a configured origin', () => {
    expect(decide(policy, { method: 'GET', headers: { host: 'controller.hvs', origin: 'https://console.example.com' } })).toEqual({ headers: { vary: 'Origin', 'access-control-allow-origin': 'https://console.example.com' }, preflight: false });
    expect(decide(policy, { method: 'GET', headers: { host: 'controller.hvs', origin: 'https://controller.hvs' } })).toEqual({ headers: { vary: 'Origin' }, preflight: false });
  });
});
