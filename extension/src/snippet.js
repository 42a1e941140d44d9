// tandem.js, the snippet websites embed:
//   <script src="https://RELAY/tandem.js" data-queue="billing" data-mask="#card, .secret" defer></script>
// Built by build.mjs (IIFE) into server/static/tandem.js. The relay is where
// this script came from; the queue is the one the help button asks for.
import { startCustomer } from './customer/index.js';
import { parseSelectors } from './customer/masking.js';

const script = document.currentScript;
const src = script && script.src ? new URL('.', script.src).href : location.origin + '/';
const config = {
  relay: src.replace(/\/$/, ''),
  queue: (script && script.dataset.queue) || null,
  maskSelectors: parseSelectors(script && script.dataset.mask),
};

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => startCustomer(config), { once: true });
} else {
  startCustomer(config);
}
