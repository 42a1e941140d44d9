// Permissions (grants) and running activities of a session, with Revoke and
// Stop where the relay would allow them.
import { el, part, syncList } from './dom.js';
import { t } from './i18n.js';
import { nameOf } from './participants.js';

function grantText(state, g) {
  const name = nameOf(state, g.grantor);
  if (g.direction === 'share') return t('grant_share_' + g.scope, { name });
  if (g.kind === 'files') return t('grant_files', { name });
  return t(`grant_${g.kind}_${g.scope}`, { name });
}

function activityText(state, a) {
  const name = nameOf(state, a.sharer);
  if ((a.kind === 'view' || a.kind === 'control') && a.scope) return t(`grant_${a.kind}_${a.scope}`, { name });
  return t('activity_' + a.kind);
}

function button(text, className, onClick) {
  const b = el('button', 'button small ' + className, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export function renderGrants(entry, ctx) {
  const { state, panel, id } = entry;
  const me = state.you;
  const live = state.grants.filter((g) => g.state === 'pending' || g.state === 'approved');
  part(panel, 'grants-empty').hidden = state.grants.length > 0;
  syncList(part(panel, 'grants'), state.grants, (g) => g.id, (g) => {
    const li = el('li', 'grant');
    li.dataset.grant = String(g.id);
    li.append(el('span', 'grant-text'), el('span', 'badge grant-state'),
      button(t('grants_revoke'), 'danger revoke-grant', () => ctx.commands.revokeGrant(id, g.id)));
    return li;
  }, (li, g) => {
    li.dataset.state = g.state;
    li.querySelector('.grant-text').textContent = grantText(entry.state, g);
    const badge = li.querySelector('.grant-state');
    badge.textContent = t('grant_state_' + g.state);
    badge.classList.toggle('warn', g.state === 'pending');
    const mine = [g.requester, g.grantor, entry.state.primary].includes(entry.state.you);
    li.querySelector('button').hidden = !(mine && live.includes(g));
  });
  syncList(part(panel, 'activities'), state.activities, (a) => a.id, (a) => {
    const li = el('li', 'activity');
    li.dataset.activity = String(a.id);
    li.dataset.kind = a.kind;
    li.append(el('span', 'activity-text'),
      button(t('activity_stop'), 'danger stop-activity', () => ctx.commands.stopActivity(id, a.id)));
    return li;
  }, (li, a) => {
    li.querySelector('.activity-text').textContent = t('running', { list: activityText(entry.state, a) });
    li.querySelector('button').hidden = !(a.sharer === me || a.peer === me || entry.state.role === 'primary');
  });
}
