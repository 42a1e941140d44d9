// The extension's content script. For now it only serves pages opened from a
// Tandem session link: those hold the session in this origin's
// sessionStorage, and get the same customer code as the website snippet.
import { startCustomer } from './customer/index.js';
import { store } from './customer/store.js';

const stored = store.session();
if (stored && stored.relay) startCustomer({ relay: stored.relay, queue: null, maskSelectors: [] });
