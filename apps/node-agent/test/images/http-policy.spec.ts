import { MAX_REDIRECTS, nextHop, parseContentRange, rangeDecision } from '../../src/images/http-source';

describe('nextHop (redirect policy)', () => {
  it('resolves relative and absolute http(s) locations', () => {
    expect(nextHop('http://a.example/x/img', '/y/img', 0)).toEqual({ url: 'http://a.example/y/img' });
    expect(nextHop('http://a.example/x/img', 'https://b.example/img', 4)).toEqual({ url: 'https://b.example/img' });
  });

  it.each(['file:///etc/shadow', 'ftp://a.example/img', 'data:text/plain,hi', 'gopher://a.example/'])('refuses %s', (loc) => {
    expect(nextHop('http://a.example/img', loc, 0)).toEqual({ refused: expect.stringMatching(/only http and https/) });
  });

  it(`refuses hop number ${MAX_REDIRECTS + 1} and a missing Location`, () => {
    expect(nextHop('http://a.example/img', '/next', MAX_REDIRECTS)).toEqual({ refused: `more than ${MAX_REDIRECTS} redirects` });
    expect(nextHop('http://a.example/img', undefined, 0)).toEqual({ refused: expect.stringMatching(/no Location/) });
  });
});

describe('parseContentRange', () => {
  it('reads start and total', () => {
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, total: 200 });
    expect(parseContentRange('bytes 100-199/*')).toEqual({ start: 100, total: undefined });
    expect(parseContentRange('items 1-2/3')).toBeUndefined();
    expect(parseContentRange(undefined)).toBeUndefined();
  });
});

describe('rangeDecision (resume logic)', () => {
  it('appends a 206 that starts at the part size, with the total from Content-Range', () => {
    expect(rangeDecision(206, 1000, 'bytes 1000-4999/5000', '4000')).toEqual({ action: 'append', total: 5000 });
  });

  it('starts over on a 206 for another range', () => {
    expect(rangeDecision(206, 1000, 'bytes 0-4999/5000', '5000')).toEqual({ action: 'retryFromZero' });
  });

  it('restarts from 0 when the server ignores Range (200 with a part on disk)', () => {
    expect(rangeDecision(200, 1000, undefined, '5000')).toEqual({ action: 'restart', total: 5000 });
  });

  it('a fresh 200 appends; an unknown length has no total', () => {
    expect(rangeDecision(200, 0, undefined, '5000')).toEqual({ action: 'append', total: 5000 });
    expect(rangeDecision(200, 0, undefined, undefined)).toEqual({ action: 'append', total: undefined });
  });

  it('416 with a part on disk starts over; other statuses fail', () => {
    expect(rangeDecision(416, 5000, 'bytes */5000', undefined)).toEqual({ action: 'retryFromZero' });
    expect(rangeDecision(404, 0, undefined, undefined)).toEqual({ action: 'fail' });
    expect(rangeDecision(416, 0, undefined, undefined)).toEqual({ action: 'fail' });
    expect(rangeDecision(500, 10, undefined, undefined)).toEqual({ action: 'fail' });
  });
});
