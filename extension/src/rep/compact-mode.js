// Compact mode: the console collapses to a one-line bar (session number,
// customer name, unread chat badge, Invite, Transfer, End or Leave). The
// choice is kept.
import { local } from './browser.js';
import { $, formatNumber } from './dom.js';
import { t } from './i18n.js';
import { currentCustomer } from './participants.js';

export function createCompactMode(ctx) {
  let on = false;

  function apply() {
    document.body.classList.toggle('compact', on);
    const toggle = $('compact-toggle');
    toggle.setAttribute('aria-pressed', String(on));
    toggle.textContent = t('compact_on');
    toggle.hidden = on || !ctx.signedIn(); // the bar has its own way back
    render(ctx.active());
    ctx.compactChanged(on);
  }

  function render(entry) {
    $('compact-bar').hidden = !on || !ctx.signedIn();
    $('compact-number').textContent = entry ? formatNumber(entry.state.number) : t('compact_no_session');
    const customer = entry && currentCustomer(entry.state);
    $('compact-customer').textContent = customer ? customer.name : '';
    const unread = entry ? entry.unread || 0 : 0;
    $('compact-chat-badge').textContent = t('compact_unread', { count: unread });
    $('compact-chat-badge').hidden = unread === 0;
    const live = Boolean(entry) && entry.state.state !== 'waiting';
    $('compact-invite').hidden = !live;
    $('compact-transfer').hidden = !live || entry.state.role !== 'primary';
    $('compact-end').hidden = !entry || !entry.state.can_end;
    $('compact-leave').hidden = !entry || entry.state.can_end;
  }

  const set = (value) => { on = value; local.set({ compact: on }); apply(); };
  $('compact-toggle').addEventListener('click', () => set(!on));
  $('compact-expand').addEventListener('click', () => set(false));
  $('compact-invite').addEventListener('click', () => { const e = ctx.active(); if (e) ctx.openInvite(e); });
  $('compact-transfer').addEventListener('click', () => { const e = ctx.active(); if (e) ctx.openTransfer(e); });
  $('compact-end').addEventListener('click', () => { const e = ctx.active(); if (e) ctx.end(e); });
  $('compact-leave').addEventListener('click', () => { const e = ctx.active(); if (e) ctx.leave(e); });
  local.get('compact').then((got) => { on = Boolean(got.compact); apply(); });

  return { render, isOn: () => on };
}
