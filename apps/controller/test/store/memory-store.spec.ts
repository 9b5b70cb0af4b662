import { MemoryStore } from '../../src/store';
import { describeObjectStoreContract } from './contract';

describeObjectStoreContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, compact: async (revision) => store.compact(revision) };
});

describe('MemoryStore knobs', () => {
  it('fails every call with HVS-STORE-UNAVAILABLE while the unavailable knob is set', async () => {
    const store = new MemoryStore();
    store.unavailable = true;
    await expect(store.list('VirtualMachine')).rejects.toMatchObject({ code: 'HVS-STORE-UNAVAILABLE', category: 'Unavailable' });
    store.unavailable = false;
    await expect(store.list('VirtualMachine')).resolves.toMatchObject({ items: [] });
  });
});
