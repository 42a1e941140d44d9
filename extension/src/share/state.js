// The one tab a customer shares, kept in chrome.storage.session (the service
// worker may be evicted; a browser restart ends the share):
//   { relay, token, number, name, tabId, title, url, problem, controlSeq }
// relay/token: the customer's capability for one session (from the relay's
// customer page, or a join in share.html); tabId: the shared tab, or null
// while the customer has yet to pick one; problem: why the tab cannot be
// captured now (capturable.js), or null.
import { session, sessionRemove } from '../rep/browser.js';

const KEY = 'tandem.share';

// Changes run one after another: tab events come in bursts (url, title,
// status), and a read-then-write must not undo the one before it.
let queue = Promise.resolve();
function serial(change) {
  const next = queue.then(change, change);
  queue = next.catch(() => {});
  return next;
}

async function read() {
  const got = await session.get(KEY);
  return got[KEY] || null;
}

export const readShare = () => serial(read);

// Replaces the share (a new session to share in).
export const writeShare = (share) => serial(async () => { await session.set({ [KEY]: share }); return share; });

// Changes some fields of the current share, if there is one.
export const updateShare = (fields) => serial(async () => {
  const share = await read();
  if (!share) return null;
  const next = { ...share, ...fields };
  await session.set({ [KEY]: next });
  return next;
});

export const clearShare = () => serial(() => sessionRemove(KEY));

export const SHARE_KEY = KEY;
