import {
  cidrContains,
  cronFault,
  didYouMean,
  isCidr,
  isCpuset,
  isCron,
  isIp,
  isMac,
  isName,
  isPciAddress,
  isPortSpec,
  isSha256,
  parseCpuset,
  relativePathFault,
  absolutePathFault,
  suggestName,
  urlFault,
} from '../../src/formats';

describe('names', () => {
  it.each(['a', 'web-1', '0', 'a'.repeat(63), 'x-y-z9'])('accepts %j', (n) => expect(isName(n)).toBe(true));
  it.each(['', 'A', 'web_1', '-a', 'a-', 'a'.repeat(64), 'a.b', 'wеb', 'a b', 'a\n', 5, null])('refuses %j', (n) => expect(isName(n)).toBe(false));
  it('suggests a valid name', () => {
    expect(suggestName('Web_1')).toBe('web-1');
    expect(suggestName('__')).toBe('my-name');
    expect(isName(suggestName('--A--B--' + 'x'.repeat(100)))).toBe(true);
  });
});

describe('MAC, PCI, sha256', () => {
  it.each([['52:54:00:12:34:56', true], ['52:54:00:AB:cd:EF', true], ['01:00:5e:00:00:01', false], ['00:00:00:00:00:00', false], ['52-54-00-12-34-56', false], ['52:54:00:12:34', false]])(
    'isMac(%j) = %s',
    (m, ok) => expect(isMac(m)).toBe(ok),
  );
  it.each([['0000:01:00.0', true], ['0000:af:1f.7', true], ['01:00.0', false], ['0000:01:00.8', false], ['0000:AF:00.0', false]])('isPciAddress(%j) = %s', (a, ok) =>
    expect(isPciAddress(a)).toBe(ok),
  );
  it('sha256 is exactly 64 hex', () => {
    expect(isSha256('a'.repeat(64))).toBe(true);
    expect(isSha256('a'.repeat(63))).toBe(false);
    expect(isSha256('g'.repeat(64))).toBe(false);
  });
});

describe('IPs and CIDRs', () => {
  it.each(['10.0.0.1', '255.255.255.255', '::', '::1', 'fd00::1', '2001:db8:0:0:0:0:0:1', '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4'])('isIp(%j)', (a) => expect(isIp(a)).toBe(true));
  it.each(['10.0.0.256', '010.0.0.1', '1.2.3', 'fd00::1::2', '1:2:3:4:5:6:7:8:9', 'fd00:::1', 'g::1', '', '1:2:3:4:5:6:7:1.2.3.4'])('not isIp(%j)', (a) => expect(isIp(a)).toBe(false));
  it.each(['10.0.0.0/24', '0.0.0.0/0', '10.0.0.1/32', 'fd00::/64', '::/0'])('isCidr(%j)', (c) => expect(isCidr(c)).toBe(true));
  it.each(['10.0.0.1/24', '10.0.0.0/33', '10.0.0.0', 'fd00::1/64', 'fd00::/129', '10.0.0.0/024'])('not isCidr(%j)', (c) => expect(isCidr(c)).toBe(false));
  it('containment', () => {
    expect(cidrContains('10.0.0.0/24', '10.0.0.9')).toBe(true);
    expect(cidrContains('10.0.0.0/24', '10.0.1.9')).toBe(false);
    expect(cidrContains('fd00::/64', 'fd00::5')).toBe(true);
    expect(cidrContains('10.0.0.0/24', 'fd00::5')).toBe(false);
  });
});

describe('ports, cpusets', () => {
  it.each([1, 65535, '443', '8000-8080', '80-80'])('port %j ok', (p) => expect(isPortSpec(p)).toBe(true));
  it.each([0, 65536, -1, 1.5, '0', '9000-8000', '1-70000', 'http', '', true])('port %j refused', (p) => expect(isPortSpec(p)).toBe(false));
  it('cpusets', () => {
    expect(parseCpuset('0-3,6')).toEqual([0, 1, 2, 3, 6]);
    expect(isCpuset('3-2')).toBe(false);
    expect(isCpuset('4096')).toBe(false);
    expect(isCpuset('1,,2')).toBe(false);
  });
});

describe('cron', () => {
  it.each(['* * * * *', '0 2 * * *', '*/15 * * * *', '0 0 1,15 * MON-FRI', '5 4 * jan sun', '0 0 * * 7', '@daily', '0-59/5 0-23 1-31 1-12 0-7'])('accepts %j', (c) =>
    expect(isCron(c)).toBe(true),
  );
  it.each(['61 * * * *', '* * * *', '* * * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '*/0 * * * *', '5-1 * * * *', '@often', 'a b c d e', '1,,2 * * * *', ''])(
    'refuses %j with a reason',
    (c) => {
      expect(isCron(c)).toBe(false);
      expect(cronFault(c)!.length).toBeGreaterThan(5);
    },
  );
});

describe('paths', () => {
  it.each(['disk.qcow2', 'vms/web-1/root.qcow2', 'a..b/c'])('relative %j ok', (p) => expect(relativePathFault(p)).toBeUndefined());
  it.each([
    ['../x', 'dotdot'],
    ['a/../../etc/passwd', 'dotdot'],
    ['/etc/passwd', 'absolute'],
    ['C:/x', 'absolute'],
    ['a\\..\\b', 'dotdot'],
    ['a\0b', 'nul'],
    ['a//b', 'empty-segment'],
    ['./a', 'empty-segment'],
    ['a/', 'empty-segment'],
    ['', 'empty'],
    ['a\nb', 'control'],
  ])('relative %j refused (%s)', (p, fault) => expect(relativePathFault(p)).toBe(fault));
  it('absolute host paths', () => {
    expect(absolutePathFault('/var/lib/hvs')).toBeUndefined();
    expect(absolutePathFault('/var/lib/hvs/')).toBeUndefined();
    expect(absolutePathFault('var/lib')).toBe('absolute');
    expect(absolutePathFault('/var/../etc')).toBe('dotdot');
  });
});

describe('urls and suggestions', () => {
  it('urls', () => {
    expect(urlFault('https://example.org/x.img')).toBeUndefined();
    expect(urlFault('file:///etc/passwd')).toBe('scheme');
    expect(urlFault('https://u:p@example.org/')).toBe('credentials');
    expect(urlFault('not a url')).toBe('invalid');
  });
  it('did you mean', () => {
    expect(didYouMean('sise', ['size', 'image', 'pool'])).toBe('size');
    expect(didYouMean('memroy', ['cpu', 'memory'])).toBe('memory');
    expect(didYouMean('zzzzzz', ['cpu', 'memory'])).toBeUndefined();
  });
});
