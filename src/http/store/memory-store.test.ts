/** The embedded store against the session store contract. */
import { createMemoryStore } from './memory-store.js';
import { storeContract } from '../../../test/support/store-contract.js';

storeContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
}, { sharedBuckets: false });
