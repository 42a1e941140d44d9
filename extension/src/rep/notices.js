// Notices and readable errors at the top of the side panel.
import { $, fromTemplate } from './dom.js';
import { has, localize, t } from './i18n.js';

const MAX = 5;

export function showNotice(text, detail, kind) {
  const node = fromTemplate('notice-template');
  localize(node);
  const error = kind === 'error';
  node.classList.add(error ? 'error' : 'notice');
  if (error) node.setAttribute('role', 'alert');
  node.querySelector('.notice-text').textContent = text;
  node.querySelector('.notice-detail').textContent = detail || '';
  node.querySelector('.notice-dismiss').addEventListener('click', () => node.remove());
  const box = $(error ? 'errors' : 'notices');
  box.append(node);
  while (box.children.length > MAX) box.firstElementChild.remove();
  if (!error) setTimeout(() => node.remove(), 15000);
  return node;
}

// A relay `error` message: a sentence for the code, and the relay's own words.
export function showRelayError(msg) {
  const key = 'error_' + msg.code;
  showNotice(has(key) ? t(key) : t('error_unknown'), msg.message, 'error').dataset.code = msg.code;
}

// Connected again: an `unavailable` error ("Reconnecting to another server…")
// is over, and would contradict the status line if it stayed.
export function clearReconnectErrors() {
  for (const node of $('errors').querySelectorAll('[data-code="unavailable"]')) node.remove();
}

export const clearNotices = () => { $('errors').replaceChildren(); $('notices').replaceChildren(); };
