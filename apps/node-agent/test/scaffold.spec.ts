import * as mod from '../src/main';

describe('scaffold', () => {
  it('loads the module', () => {
    expect(typeof mod).toBe('object');
  });
});
