// Simple file transfer: the rep publishes a file on the relay
// (POST /api/sessions/{session}/files?name=NAME, raw body, the rep's token),
// with upload progress, and the session's published files are listed
// (GET /api/sessions/{session}/files); the customer downloads them from their
// page. Browsing the customer's own files goes through their Support Manager
// (a files grant; see tools.js).
import { el, part, syncList } from './dom.js';
import { t } from './i18n.js';

const filesUrl = (relay, session) => `${relay}/api/sessions/${encodeURIComponent(session)}/files`;

export function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  const digits = i === 0 || n >= 100 ? 0 : 1;
  return `${n.toLocaleString(undefined, { maximumFractionDigits: digits })} ${units[i]}`;
}

function errorOf(text) {
  try {
    const data = JSON.parse(text);
    return (data && data.error && data.error.message) || t('error_unknown');
  } catch (_) {
    return t('error_unknown');
  }
}

// Upload one file; onProgress(fraction). Resolves { ok, file } or { ok: false, message }.
export function publishFile({ relay, token }, session, file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${filesUrl(relay, session)}?${new URLSearchParams({ name: file.name })}`);
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && e.total) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve({ ok: true, file: JSON.parse(xhr.responseText) }); return; } catch (_) { /* below */ }
      }
      resolve({ ok: false, message: errorOf(xhr.responseText) });
    };
    xhr.onerror = () => resolve({ ok: false, message: t('error_network') });
    xhr.send(file);
  });
}

export async function listFiles({ relay, token }, session) {
  try {
    const response = await fetch(filesUrl(relay, session), {
      credentials: 'omit', headers: { Authorization: 'Bearer ' + token },
    });
    if (!response.ok) return null;
    return (await response.json()).files;
  } catch (_) {
    return null;
  }
}

function renderList(entry) {
  const files = entry.publishedFiles || [];
  part(entry.panel, 'published-empty').hidden = files.length > 0;
  syncList(part(entry.panel, 'published'), files, (f) => f.id, () => {
    const li = el('li', 'published-file');
    li.append(el('span', 'file-name'), ' ', el('span', 'file-size muted'));
    return li;
  }, (li, f) => {
    li.querySelector('.file-name').textContent = f.name;
    li.querySelector('.file-size').textContent = formatSize(f.size);
    li.title = 'SHA-256 ' + f.sha256;
  });
}

export async function refreshFiles(entry, ctx) {
  const settings = ctx.settings();
  if (!settings.token) return;
  const files = await listFiles(settings, entry.id);
  if (files) { entry.publishedFiles = files; renderList(entry); }
}

export function wirePublish(entry, ctx) {
  const { panel, id } = entry;
  const input = part(panel, 'publish-input');
  const box = part(panel, 'publish-state');
  const bar = part(panel, 'publish-progress');
  const status = part(panel, 'publish-status');
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    input.disabled = true;
    box.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    const show = (fraction) => {
      const percent = Math.round(fraction * 100);
      bar.value = percent;
      status.textContent = t('files_publish_progress', { name: file.name, percent });
    };
    show(0);
    const answer = await publishFile(ctx.settings(), id, file, show);
    input.disabled = false;
    input.value = '';
    bar.hidden = true;
    status.textContent = answer.ok ? t('files_published_ok', { name: file.name })
      : t('files_publish_failed', { name: file.name, message: answer.message });
    status.classList.toggle('field-error', !answer.ok);
    if (answer.ok) {
      const known = entry.publishedFiles || [];
      if (!known.some((f) => f.id === answer.file.id)) entry.publishedFiles = [...known, answer.file];
      renderList(entry);
    }
    refreshFiles(entry, ctx);
  });
  renderList(entry);
  refreshFiles(entry, ctx);
}
