// In the background: customer mode. A customer shares one tab of theirs in a
// session (share.html, or the relay's customer page through page-bridge.js):
// the tab gets a badge, its pages get the customer side (content.js, over a
// port to relay-link.js), and a page the extension may not capture is said
// so, to the customer (share.html) and to the rep who asks for a snapshot.
import {
  clearTabBadge, createTab, focusTab, getTab, injectFiles, message, openOrFocusTab, pageUrl, queryTabs,
  setTabBadge, tellTab,
} from '../rep/browser.js';
import { notCapturable } from './capturable.js';
import { join } from './join.js';
import { createRelayLink } from './relay-link.js';
import { clearShare, readShare, updateShare, writeShare } from './state.js';

export function createShareService() {
  const link = createRelayLink({
    onState: (state) => {
      readShare().then((share) => {
        if (share && (share.session !== state.session || share.number !== state.number)) {
          updateShare({ session: state.session, number: state.number });
        }
      });
    },
    onEnded: () => { end(); },
    onControl: (seq) => { updateShare({ controlSeq: seq }); },
    // A rep's viewer asks for a snapshot and no page of the tab can answer.
    onUnanswered: async (ask) => {
      const share = await readShare();
      if (!share || share.tabId == null) return;
      link.send('signal', { session: ask.session, to: ask.sender,
        data: { cobrowse: 'status', need: share.problem ? 'not_capturable' : 'loading' } });
    },
  });

  async function end() {
    const share = await readShare();
    if (share && share.tabId != null) clearTabBadge(share.tabId);
    link.stop(null);
    await clearShare();
  }

  async function badge(tabId) {
    await setTabBadge(tabId, message('share_badge') || 'ON', message('share_badge_title') || '');
  }

  async function ensureLink(share) {
    if (!link.running() || link.token() !== share.token) link.start(share);
  }

  // The customer picked a tab: share it (and no other).
  async function shareTab(tabId) {
    const share = await readShare();
    if (!share) return { error: 'share_error_no_session' };
    const tab = await getTab(tabId);
    const problem = notCapturable(tab.url);
    if (problem) return { problem };
    if (share.tabId != null && share.tabId !== tabId) {
      clearTabBadge(share.tabId);
      tellTab(share.tabId, { type: 'share-stop' });
    }
    const next = await updateShare({ tabId, title: tab.title || tab.url, url: tab.url, problem: null });
    await ensureLink(next);
    await badge(tabId);
    // The content script is on every web page; one that loaded before the
    // extension did is put there now.
    const started = await tellTab(tabId, { type: 'share-start' });
    if (started !== true) {
      try { await injectFiles(tabId, ['content.js']); } catch (_) {
        await updateShare({ problem: 'blocked' });
        return { problem: 'blocked' };
      }
    }
    await focusTab(tab);
    return { shared: true };
  }

  async function stopSharing() {
    const share = await readShare();
    if (!share) return { stopped: true };
    if (share.tabId != null) {
      clearTabBadge(share.tabId);
      tellTab(share.tabId, { type: 'share-stop' });
      tellReps('share_tab'); // their picture is of a tab no longer shown
    }
    link.stop('stopped');
    await updateShare({ tabId: null, title: null, url: null, problem: null });
    return { stopped: true };
  }

  const page = {
    async 'share-join'({ what, relay, name }) {
      try {
        const joined = await join({ what, relay, name });
        await stopSharing();
        await writeShare({ ...joined, name: name || '', tabId: null, controlSeq: 0 });
        return { joined: true };
      } catch (err) {
        return { error: String(err.message || err) };
      }
    },
    async 'share-state'() {
      const share = await readShare();
      return share ? { ...share, token: undefined, running: link.running() } : null;
    },
    'share-tab': ({ tabId }) => shareTab(Number(tabId)),
    'share-stop': () => stopSharing(),
    'share-forget': async () => { await stopSharing(); await end(); return { forgotten: true }; },
    'share-tabs': async () => (await queryTabs({})).map((tab) => ({
      id: tab.id, title: tab.title || '', url: tab.url || '', active: tab.active, problem: notCapturable(tab.url),
    })),
  };

  const content = {
    // The relay's customer page hands its session over: pick a tab.
    async 'share-begin'({ relay, token }, sender) {
      const share = await readShare();
      if (!share || share.token !== token) {
        await stopSharing();
        await writeShare({ relay, token, number: null, name: '', tabId: null, controlSeq: 0 });
      }
      await openOrFocusTab(pageUrl('share.html'), (url) => new URL(url).pathname === '/share.html');
      return { opened: true, from: sender.tab.id };
    },
    async 'share-status'({ token }) {
      const share = await readShare();
      if (!share || share.token !== token) return { shared: false };
      return { shared: share.tabId != null, problem: share.problem || null, title: share.title || null };
    },
    // A page of some tab asks whether it is the shared one.
    async 'share-config'(msg, sender) {
      const share = await readShare();
      if (!share || share.tabId !== sender.tab.id || share.problem) return { shared: false };
      await ensureLink(share); // a restarted service worker has lost the connection
      await badge(sender.tab.id);
      return { shared: true };
    },
  };

  // A page of the shared tab connected its port (content.js via port-connection.js).
  async function attach(port, tabId, frameId) {
    const share = await readShare();
    if (!share || share.tabId !== tabId || frameId !== 0) { port.disconnect(); return; }
    await ensureLink(share);
    try { await injectFiles(tabId, ['value-hook.js'], 'MAIN'); } catch (_) { /* values set in code show on the next change */ }
    link.attach(port);
  }

  // The shared tab went to a page that cannot be captured, or is no longer
  // shown: its reps' viewers say so at once (their picture is of before).
  function tellReps(need) {
    const state = link.state();
    if (!state) return;
    for (const rep of state.participants.filter((p) => p.kind === 'rep' && p.present)) {
      link.send('signal', { session: state.session, to: rep.pid, data: { cobrowse: 'status', need } });
    }
  }

  async function tabUpdated(tabId, change, tab) {
    const share = await readShare();
    if (!share || share.tabId !== tabId) return;
    if (change.url) {
      const problem = notCapturable(change.url);
      await updateShare({ url: change.url, title: tab.title || change.url, problem });
      if (problem && !share.problem) tellReps('not_capturable');
    }
    else if (change.title) await updateShare({ title: change.title });
    if (change.status === 'complete' || change.url) badge(tabId).catch(() => {});
  }

  async function tabRemoved(tabId) {
    const share = await readShare();
    if (!share || share.tabId !== tabId) return;
    tellReps('share_tab'); // the shown tab was closed: their picture is stale
    link.stop(null);
    await updateShare({ tabId: null, title: null, url: null, problem: null });
  }

  return { page, content, attach, tabUpdated, tabRemoved, createTab };
}
