import { refusedAddress, RefusedAddressError, refusingLookup, type Resolver } from '../../src/images/address-policy';

describe('refusedAddress', () => {
  it.each([
    ['169.254.169.254', /metadata/],
    ['169.254.0.1', /link-local/],
    ['169.254.255.255', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['0:0:0:0:0:0:0:0', /unspecified/],
    ['fe80::1', /link-local/],
    ['FE80::abcd:1', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['::ffff:169.254.169.254', /metadata/],
    ['::ffff:0.0.0.0', /unspecified/],
    ['not-an-ip', /not an IP/],
  ])('refuses %s', (ip, why) => {
    expect(refusedAddress(ip)).toMatch(why);
  });

  it.each(['127.0.0.1', '10.0.0.5', '192.168.1.10', '169.253.255.255', '169.255.0.1', '8.8.8.8', '::1', 'fec0::1', 'fe7f::1', '2001:db8::1', '::ffff:10.1.2.3'])('allows %s', (ip) => {
    expect(refusedAddress(ip)).toBeUndefined();
  });
});

describe('refusingLookup', () => {
  const answering = (addresses: { address: string; family: number }[]): Resolver => (_host, options, cb) => {
    if (options.all) cb(null, addresses);
    else cb(null, addresses[0].address, addresses[0].family);
  };
  const run = (r: Resolver, all: boolean) => new Promise<{ err: unknown; address: unknown }>((resolve) => {
    refusingLookup(r)('mirror.example', { all }, (err, address) => resolve({ err, address }));
  });

  it('passes allowed answers through, single and all', async () => {
    expect(await run(answering([{ address: '10.0.0.1', family: 4 }]), false)).toEqual({ err: null, address: '10.0.0.1' });
    expect((await run(answering([{ address: '10.0.0.1', family: 4 }, { address: '2001:db8::1', family: 6 }]), true)).err).toBeNull();
  });

  it('refuses a name that resolves to the metadata address, even mixed with good ones', async () => {
    const single = await run(answering([{ address: '169.254.169.254', family: 4 }]), false);
    expect(single.err).toBeInstanceOf(RefusedAddressError);
    const mixed = await run(answering([{ address: '10.0.0.1', family: 4 }, { address: 'fe80::1', family: 6 }]), true);
    expect((mixed.err as Error).message).toMatch(/mirror.example resolves to a refused address: fe80::1 is link-local/);
  });

  it('passes resolver errors through (ENOTFOUND stays a DNS error)', async () => {
    const failing: Resolver = (_h, _o, cb) => cb(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), '');
    expect(((await run(failing, false)).err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });
});
