// The folder listing of the file browser: breadcrumbs, Up, a typed path,
// and the entries (folders first, then files, by name) with name, size and
// modified time; a folder opens on click, a file has Download. Every list is
// a `list` request; what the Support Manager refuses is shown, and the
// current folder stays what it was. Names are the customer's: textContent only.
import { $, el } from './dom.js';
import { t } from './i18n.js';
import { formatSize } from './files-publish.js';

export const joinPath = (...parts) => parts.filter(Boolean).join('/');

// The path as the agent reads it: '/'-separated, without empty or '.' parts.
// Nothing is checked here: the Support Manager refuses what leaves the folder.
const partsOf = (path) => String(path).split('/').filter((x) => x !== '' && x !== '.');

export function sortEntries(entries) {
  return [...entries].sort((a, b) => (a.dir === b.dir ? a.name.localeCompare(b.name) : a.dir ? -1 : 1));
}

export function createBrowser({ channel, onError, onDownload }) {
  let path = [];
  let entries = [];
  let readOnly = true;
  let loading = 0;

  const rows = $('files-rows');
  const crumbs = $('files-crumbs');

  function renderCrumbs() {
    const items = [[t('files_root'), []], ...path.map((name, i) => [name, path.slice(0, i + 1)])];
    crumbs.replaceChildren(...items.map(([label, target], i) => {
      const li = el('li', 'crumb');
      if (i === items.length - 1) {
        li.append(el('span', 'crumb-here', label));
        li.lastChild.setAttribute('aria-current', 'location');
      } else {
        const b = el('button', 'link-button crumb-link', label);
        b.type = 'button';
        b.disabled = readOnly;
        b.addEventListener('click', () => go(target.join('/')));
        li.append(b);
      }
      return li;
    }));
    $('files-up').disabled = readOnly || path.length === 0;
  }

  function row(entry) {
    const tr = el('tr', 'file-row');
    tr.dataset.name = entry.name;
    tr.dataset.kind = entry.dir ? 'dir' : 'file';
    const name = el('td', 'file-name');
    if (entry.dir) {
      const open = el('button', 'link-button file-open', entry.name);
      open.type = 'button';
      open.disabled = readOnly;
      open.addEventListener('click', () => go(joinPath(...path, entry.name)));
      name.append(el('span', 'file-icon', '\u{1F4C1}'), ' ', open);
    } else {
      name.append(el('span', 'file-icon', '\u{1F4C4}'), ' ', el('span', 'file-label', entry.name));
    }
    const size = el('td', 'file-size', entry.dir ? '' : formatSize(entry.size));
    const modified = el('td', 'file-mtime', new Date(entry.mtime * 1000).toLocaleString(document.documentElement.lang));
    const actions = el('td', 'file-actions');
    if (!entry.dir) {
      const download = el('button', 'button small file-download', t('files_download'));
      download.type = 'button';
      download.disabled = readOnly;
      download.addEventListener('click', () => onDownload(joinPath(...path, entry.name), entry));
      actions.append(download);
    }
    tr.append(name, size, modified, actions);
    return tr;
  }

  function render() {
    renderCrumbs();
    rows.replaceChildren(...sortEntries(entries).map(row));
    $('files-empty').hidden = entries.length > 0 || loading > 0;
    $('files-list').setAttribute('aria-busy', String(loading > 0));
    $('files-list').dataset.path = path.join('/');
  }

  // List `target`; it becomes the current folder when the agent answers.
  async function go(target) {
    loading += 1;
    render();
    try {
      const reply = await channel.request('list', target);
      path = partsOf(target);
      entries = reply.entries || [];
      return true;
    } catch (err) {
      onError(err);
      return false;
    } finally {
      loading -= 1;
      render();
    }
  }

  return {
    go,
    refresh: () => go(path.join('/')),
    get path() { return path.join('/'); },
    setReadOnly(value) { readOnly = value; render(); },
    up: () => go(path.slice(0, -1).join('/')),
  };
}
