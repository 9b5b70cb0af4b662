import * as mod from '../src/index';

describe('scaffold', () => {
  it('loads the module', () => {
    expect(typeof mod).toBe('object');
  });
});
