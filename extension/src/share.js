// share.html, customer mode: join a session (number or link), pick the tab
// to show the rep, see what is shown, stop. The background does the work
// (share/share-service.js); this page only asks it and shows the answers.
import { $, el, formatNumber } from './rep/dom.js';
import { local, toBackground } from './rep/browser.js';
import { localize, setDocumentLanguage, t } from './rep/i18n.js';

const REFRESH_MS = 1000;
let busy = false;
let lastDrawn = '';

function problemText(problem) {
  return t('share_problem_' + problem);
}

function renderTab(tab, share) {
  const li = el('li', 'share-tab');
  li.dataset.tab = String(tab.id);
  const text = el('div', 'share-tab-text');
  text.append(el('strong', 'share-tab-title', tab.title || tab.url), el('span', 'muted share-tab-url', tab.url));
  li.append(text);
  if (tab.problem) {
    li.dataset.problem = tab.problem;
    li.append(el('p', 'hint', problemText(tab.problem)));
  }
  const shown = share.tabId === tab.id;
  const button = el('button', shown ? 'button' : 'button primary', shown ? t('share_shown') : t('share_this_tab'));
  button.type = 'button';
  button.disabled = shown;
  button.addEventListener('click', async () => {
    button.disabled = true;
    const answer = await toBackground({ type: 'share-tab', tabId: tab.id });
    $('share-problem').hidden = !(answer && (answer.problem || answer.error));
    if (answer && answer.problem) $('share-problem').textContent = problemText(answer.problem);
    if (answer && answer.error) $('share-problem').textContent = t(answer.error);
    lastDrawn = '';
    refresh();
  });
  li.append(button);
  return li;
}

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const share = await toBackground({ type: 'share-state' });
    $('join').hidden = Boolean(share);
    $('session').hidden = !share;
    if (!share) return;
    const relay = new URL(share.relay).host;
    $('session-title').textContent = share.number
      ? t('share_session', { number: formatNumber(share.number), relay }) : t('share_session_at', { relay });
    $('share-now').textContent = share.tabId != null ? t('share_sharing', { title: share.title || share.url || '' }) : t('share_none');
    $('share-stop').hidden = share.tabId == null;
    if (share.tabId != null && share.problem) {
      $('share-problem').textContent = problemText(share.problem);
      $('share-problem').hidden = false;
    }
    const own = location.href;
    const tabs = (await toBackground({ type: 'share-tabs' }))
      .filter((tab) => tab.url !== own && !tab.url.startsWith(share.relay + '/s/'));
    // Drawn again only when something changed: a click must not land on a replaced button.
    const drawn = JSON.stringify([share.tabId, tabs]);
    if (drawn !== lastDrawn) {
      lastDrawn = drawn;
      $('tabs').replaceChildren(...tabs.map((tab) => renderTab(tab, share)));
    }
    $('tabs-none').hidden = tabs.length > 0;
  } finally {
    busy = false;
  }
}

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const what = $('join-what').value.trim();
  const relay = $('join-relay').value.trim();
  $('join-submit').disabled = true;
  $('join-error').hidden = true;
  try {
    const answer = await toBackground({ type: 'share-join', what, relay, name: $('join-name').value.trim() });
    if (answer && answer.error) {
      $('join-error').textContent = t(answer.error);
      $('join-error').hidden = false;
      return;
    }
    if (relay) local.set({ 'tandem.share.relay': relay });
    refresh();
  } finally {
    $('join-submit').disabled = false;
  }
});
$('share-stop').addEventListener('click', async () => { await toBackground({ type: 'share-stop' }); $('share-problem').hidden = true; refresh(); });
$('share-forget').addEventListener('click', async () => { await toBackground({ type: 'share-forget' }); $('share-problem').hidden = true; refresh(); });

setDocumentLanguage();
localize();
local.get('tandem.share.relay').then((got) => { if (got['tandem.share.relay']) $('join-relay').value = got['tandem.share.relay']; });
refresh();
setInterval(refresh, REFRESH_MS);
