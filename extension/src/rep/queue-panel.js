// The queue panel: who waits (wait times ticking), Accept next, the
// availability toggle, and offers from automatic distribution or transfers,
// with accept/decline and a countdown.
import { $, action, formatDuration, formatNumber, fromTemplate, setDisabled, syncList } from './dom.js';
import { localize, t } from './i18n.js';
import { showIntake } from './intake.js';

export function createQueuePanel({ commands, onAccept }) {
  const offers = new Map(); // session id -> { offer, deadline }
  let board = null;
  let account = null;
  let connected = false;

  function update() {
    const queueRep = Boolean(account && account.queue_rep);
    $('availability-box').hidden = !queueRep;
    $('queue-panel').hidden = !queueRep && offers.size === 0;
    $('availability').disabled = !connected || !queueRep;
    const waiting = board ? board.queues.reduce((n, q) => n + q.waiting.length, 0) : 0;
    // Accept next takes only a customer whose page is connected (the relay says so too).
    const ready = board ? board.queues.reduce((n, q) => n + q.waiting.filter((w) => w.connected !== false).length, 0) : 0;
    const why = !connected ? t('status_connecting') : waiting === 0 ? t('queues_nobody')
      : ready === 0 ? t('queues_none_connected') : null;
    setDisabled($('accept-next'), Boolean(why), why);
  }

  function renderBoard(state) {
    board = state;
    $('availability').checked = Boolean(state.available);
    $('queues-empty').hidden = state.queues.length > 0;
    syncList($('queues'), state.queues, (q) => q.name, () => {
      const node = fromTemplate('queue-template');
      localize(node);
      return node;
    }, (node, q) => {
      node.querySelector('.queue-title').textContent = q.title || q.name;
      node.querySelector('.queue-routing').textContent = t('queues_routing_' + q.routing);
      node.querySelector('.queue-nobody').hidden = q.waiting.length > 0;
      syncList(node.querySelector('.waiting-list'), q.waiting, (w) => w.session, buildWaiting, updateWaiting);
    });
    update();
    tick();
  }

  function buildWaiting() {
    const li = document.createElement('li');
    li.className = 'waiting';
    li.innerHTML = '<span class="waiting-name"></span> <span class="waiting-time"></span>'
      + ' <span class="badge warn waiting-away" hidden></span><p class="waiting-message"></p>'
      + '<div class="waiting-intake" hidden></div>';
    return li;
  }

  function updateWaiting(li, w) {
    li.querySelector('.waiting-name').textContent = t('queues_customer', { name: w.name, number: formatNumber(w.number) });
    li.querySelector('.waiting-time').dataset.since = String(w.since);
    li.dataset.connected = String(w.connected !== false);
    const away = li.querySelector('.waiting-away');
    away.textContent = t('queues_not_connected');
    away.hidden = w.connected !== false;
    const message = li.querySelector('.waiting-message');
    message.textContent = w.message ? t('transfer_message', { message: w.message }) : '';
    message.hidden = !w.message;
    showIntake(li.querySelector('.waiting-intake'), w.intake);
  }

  function renderOffers() {
    syncList($('offers'), [...offers.values()], (o) => o.offer.session, buildOffer, updateOffer);
    update();
    tick();
  }

  function buildOffer({ offer }) {
    const node = fromTemplate('offer-template');
    localize(node);
    const buttons = node.querySelectorAll('button');
    const decide = (accept) => () => {
      for (const b of buttons) b.disabled = true;
      if (accept) { onAccept(); commands.acceptOffer(offer.session); } else commands.declineOffer(offer.session);
    };
    action(node, 'accept').addEventListener('click', decide(true));
    action(node, 'decline').addEventListener('click', decide(false));
    const intake = document.createElement('div');
    intake.className = 'offer-intake';
    node.querySelector('.offer-message').after(intake);
    return node;
  }

  function updateOffer(node, { offer, deadline }) {
    node.querySelector('.offer-title').textContent = t('offer_title', { name: offer.name || t('someone') });
    node.querySelector('.offer-meta').textContent = offer.queue
      ? t('offer_from_queue', { number: formatNumber(offer.number), queue: offer.queue })
      : t('session_number', { number: formatNumber(offer.number) });
    const message = node.querySelector('.offer-message');
    message.textContent = offer.message ? t('transfer_message', { message: offer.message }) : '';
    message.hidden = !offer.message;
    showIntake(node.querySelector('.offer-intake'), offer.intake);
    const countdown = node.querySelector('.offer-countdown');
    countdown.hidden = deadline == null;
    if (deadline != null) countdown.dataset.deadline = String(deadline);
  }

  // Once a second: waiting times and offer countdowns.
  function tick() {
    const now = Date.now();
    for (const node of $('queues').querySelectorAll('[data-since]')) {
      node.textContent = t('queues_waiting_for', { time: formatDuration(now / 1000 - Number(node.dataset.since)) });
    }
    for (const node of $('offers').querySelectorAll('[data-deadline]')) {
      const left = Math.ceil((Number(node.dataset.deadline) - now) / 1000);
      node.textContent = left > 0 ? t('offer_expires', { seconds: left }) : t('offer_expired');
      if (left <= 0) for (const b of node.parentElement.querySelectorAll('button')) b.disabled = true;
    }
  }

  $('availability').addEventListener('change', () => commands.setAvailability($('availability').checked));
  $('accept-next').addEventListener('click', () => { onAccept(); commands.acceptNext(); });
  setInterval(tick, 1000);

  return {
    setAccount(value) { account = value; update(); },
    setConnected(value) { connected = value; update(); },
    board: () => board,
    renderBoard,
    offer(msg) {
      const deadline = typeof msg.expires_in === 'number' ? Date.now() + msg.expires_in * 1000 : null;
      offers.set(msg.session, { offer: msg, deadline, seenAt: Date.now() });
      renderOffers();
    },
    withdraw(session) { if (offers.delete(session)) renderOffers(); },
    // A refused action: let the rep try again.
    refused() {
      if (board) $('availability').checked = Boolean(board.available);
      for (const b of $('offers').querySelectorAll('button')) b.disabled = false;
      tick();
    },
    forgetOlderThan(since) {
      let changed = false;
      for (const [id, entry] of [...offers]) if (entry.seenAt < since) changed = offers.delete(id) || changed;
      if (changed) renderOffers();
    },
  };
}
