import { NestPinoLogger, REDACTED, redactSecrets } from '../../src/observability';
import { capturedLogger } from '../app/fixtures';

describe('logger', () => {
  it('writes JSON lines with time, level name, component and message', () => {
    const { logger, lines } = capturedLogger();
    logger.child({ component: 'store' }).info({ key: '/hvs/v1/virtualmachines/web-1' }, 'put');
    logger.info('started');
    const [a, b] = lines();
    expect(a).toMatchObject({ level: 'info', component: 'store', key: '/hvs/v1/virtualmachines/web-1', msg: 'put' });
    expect(typeof a.time).toBe('string');
    expect(b).toMatchObject({ component: 'controller', msg: 'started' });
  });

  it('masks secret-ish keys at any depth, keeping everything else', () => {
    const { logger, lines } = capturedLogger();
    logger.info({
      token: 'tkn-1',
      headers: { Authorization: 'Bearer abc', accept: 'json' },
      vm: { spec: { cloudInit: { userData: '#cloud-config\npassword: x', secretRefs: ['s'] } } },
      users: [{ name: 'a', password: 'p1' }],
      redisPassword: 'r',
      joinToken: 'j',
    }, 'apply');
    const line = lines()[0];
    expect(line).toMatchObject({
      token: REDACTED,
      headers: { Authorization: REDACTED, accept: 'json' },
      vm: { spec: { cloudInit: { userData: REDACTED } } },
      users: [{ name: 'a', password: REDACTED }],
      redisPassword: REDACTED,
      joinToken: REDACTED,
    });
    expect(JSON.stringify(line)).not.toMatch(/tkn-1|Bearer abc|password: x|p1"/);
  });

  it('keeps errors serialised by pino (type, message, stack)', () => {
    const { logger, lines } = capturedLogger();
    logger.error({ err: new Error('boom') }, 'failed');
    expect(lines()[0]).toMatchObject({ err: { type: 'Error', message: 'boom' } });
  });

  it('redactSecrets leaves non-plain objects and primitives alone and does not mutate', () => {
    const input = { password: 'p', nested: { ok: 1 } };
    const out = redactSecrets(input);
    expect(out).toEqual({ password: REDACTED, nested: { ok: 1 } });
    expect(input.password).toBe('p');
    const d = new Date(0);
    expect(redactSecrets(d)).toBe(d);
    expect(redactSecrets('x')).toBe('x');
  });

  it('routes Nest log calls to pino with the Nest context as component', () => {
    const { logger, lines } = capturedLogger();
    const nest = new NestPinoLogger(logger);
    nest.warn('slow route', 'RouterExplorer');
    nest.error('bad', 'trace-text', 'ExceptionsHandler');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'warn', component: 'nest:RouterExplorer', msg: 'slow route' }),
      expect.objectContaining({ level: 'error', component: 'nest:ExceptionsHandler', msg: 'bad', trace: 'trace-text' }),
    ]);
  });
});
