// UI strings from _locales (chrome.i18n). Messages keep `{name}` slots, as
// the relay's own catalogs do, and t() fills them by name.
import { message } from './browser.js';

export function t(key, vars) {
  const text = message(key) || key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export const has = (key) => Boolean(message(key));

// Fills data-i18n (text), data-i18n-title, -placeholder and -label (aria-label).
export function localize(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
}

// Pages set <html lang> from the catalog actually used.
export function setDocumentLanguage() {
  document.documentElement.lang = message('@@ui_locale').replace('_', '-') || 'en';
}
