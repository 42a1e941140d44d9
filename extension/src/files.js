// The file browser: a tab of its own (?session=) where the rep browses the
// folders a customer shared through their Support Manager (a files grant)
// and moves files both ways (agent/files.py serves them; the wire sequence
// is agent/transfer.py's). Its own connection as the same rep; a dropped
// connection resumes, and so do the transfers. When the files activity ends
// (the customer revoked, the session ended) the page turns read-only.
import { createBrowser, joinPath } from './rep/files-browser.js';
import { createFileChannel } from './rep/files-channel.js';
import { download } from './rep/files-download.js';
import { describeError } from './rep/files-errors.js';
import { createTransfers } from './rep/files-transfers.js';
import { upload } from './rep/files-upload.js';
import { $, formatNumber } from './rep/dom.js';
import { has, t } from './rep/i18n.js';
import { nameOf } from './rep/participants.js';
import { openSessionTab } from './rep/session-tab.js';
import { filesActivity } from './rep/viewer-launch.js';

const sessionId = new URLSearchParams(location.search).get('session');
let connection = null;
let activity = null; // the live files activity, or null
let readOnly = null; // why the page is read-only (a catalog key); false while live, null before any grant
let status = 'connecting';
let listed = false; // the current folder was listed for this activity
const uploads = []; // files waiting for their turn, one at a time
let uploading = false;

const channel = createFileChannel({ sessionId, connection: () => connection });
const transfers = createTransfers($('files-transfers'));
const browser = createBrowser({ channel, onError: showError, onDownload: startDownload });

// A refusal (FileError) says what kind it is and gives the agent's words; a string is shown as it is.
function showError(err) {
  const { text, detail } = typeof err === 'string' ? { text: err } : describeError(err);
  const box = $('files-error');
  box.textContent = detail && detail !== text ? `${text} (${detail})` : text;
  box.hidden = false;
}

const clearError = () => { $('files-error').hidden = true; };

function render() {
  const state = readOnly ? 'readonly' : status === 'connected' ? (activity ? 'live' : 'waiting') : status;
  $('files-status').dataset.state = state;
  // offline: the connection's own words (reconnecting, signed out) stay, as openSessionTab wrote them
  if (state !== 'offline') {
    $('files-status').textContent = t((state === 'connecting' ? 'status_' : 'files_status_') + state);
  }
  document.body.dataset.readonly = String(Boolean(readOnly) || !activity);
  $('files-readonly').hidden = !readOnly;
  if (readOnly) $('files-readonly').textContent = t(readOnly);
  const off = Boolean(readOnly) || !activity;
  for (const id of ['files-upload', 'files-path', 'files-mkdir-name']) $(id).disabled = off;
  for (const b of document.querySelectorAll('.files-tools button')) b.disabled = off;
  browser.setReadOnly(off);
}

function onSessionState(msg) {
  $('files-session').textContent = t('session_number', { number: formatNumber(msg.number) });
  const next = filesActivity(msg);
  if (next && (!activity || next.id !== activity.id)) {
    const fresh = activity === null && readOnly !== null; // a new grant after one ended
    activity = next;
    readOnly = false;
    channel.start(next.id);
    $('files-sharer').textContent = t('files_sharer', { name: nameOf(msg, next.sharer) });
    clearError();
    listed = false;
    if (connection && connection.isReady()) listFolder(fresh ? '' : browser.path);
  } else if (!next && activity) {
    channel.end(t('files_readonly_revoked'));
    activity = null;
    readOnly = 'files_readonly_revoked';
  }
  render();
}

async function listFolder(path) {
  listed = await browser.go(path) || listed;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function startDownload(path, entry) {
  const row = transfers.add(entry.name, 'download');
  try {
    const { blob } = await download(channel, path, { onProgress: row.progress, onVerifying: row.verifying });
    save(blob, entry.name);
    row.done(t('files_download_done'));
  } catch (err) {
    row.fail(describeError(err));
  }
}

function queueUploads(files) {
  if (!activity || readOnly) return;
  const folder = browser.path;
  for (const file of files) uploads.push({ file, folder, row: transfers.add(file.name, 'upload') });
  runUploads();
}

async function runUploads() {
  if (uploading) return;
  uploading = true;
  while (uploads.length) {
    const { file, folder, row } = uploads.shift();
    try {
      await upload(channel, file, joinPath(folder, file.name), { onProgress: row.progress, onVerifying: row.verifying });
      row.done(t('files_upload_done'));
      if (browser.path === folder && !readOnly) browser.refresh();
    } catch (err) {
      row.fail(describeError(err));
    }
  }
  uploading = false;
}

// Dropped folders cannot be read as files: their files can.
function droppedFiles(event) {
  const items = [...(event.dataTransfer.items || [])];
  const files = [];
  let folders = 0;
  if (items.length) {
    for (const item of items) {
      const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry && entry.isDirectory) { folders += 1; continue; }
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  } else {
    files.push(...event.dataTransfer.files);
  }
  if (folders) showError(t('files_drop_folder'));
  return files;
}

function wire() {
  $('files-up').addEventListener('click', () => { clearError(); browser.up(); });
  $('files-path-form').addEventListener('submit', (event) => {
    event.preventDefault();
    clearError();
    browser.go($('files-path').value.trim());
  });
  $('files-mkdir-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('files-mkdir-name').value.trim();
    if (!name || !activity) return;
    clearError();
    try {
      await channel.request('mkdir', joinPath(browser.path, name));
      $('files-mkdir-name').value = '';
      await browser.refresh();
    } catch (err) {
      showError(err);
    }
  });
  const input = $('files-upload');
  input.addEventListener('change', () => {
    const files = [...(input.files || [])];
    input.value = '';
    queueUploads(files);
  });
  const drop = $('files-drop');
  drop.addEventListener('dragover', (event) => {
    if (!activity || readOnly) return;
    event.preventDefault();
    drop.dataset.dragging = 'true';
  });
  drop.addEventListener('dragleave', () => { drop.dataset.dragging = 'false'; });
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.dataset.dragging = 'false';
    queueUploads(droppedFiles(event));
  });
}

const handlers = {
  session_state(msg) { if (msg.session === sessionId) onSessionState(msg); },
  session_ended(msg) {
    if (msg.session !== sessionId) return;
    channel.end(t('files_readonly_ended'));
    activity = null;
    readOnly = 'files_readonly_ended';
    render();
  },
  file_message(msg) { if (msg.session === sessionId) channel.onFileMessage(msg); },
  error(msg) {
    if (channel.onRelayError(msg)) return;
    if (msg.code === 'resync' || msg.code === 'frames_skipped' || msg.code === 'unauthorized' || msg.code === 'rate_limited') return;
    if (msg.code === 'not_allowed' && !activity) return; // frames still on their way when access ended
    showError(`${has('error_' + msg.code) ? t('error_' + msg.code) : t('error_unknown')} ${msg.message}`);
  },
};

async function main() {
  wire();
  render();
  connection = await openSessionTab({
    sessionId,
    statusId: 'files-status',
    storePrefix: 'tandem-files:',
    handlers,
    onConnected: () => {
      status = 'connected';
      channel.onConnected();
      if (activity && !readOnly && !listed) listFolder(browser.path);
      render();
    },
    onFrame: (frame) => channel.onFrame(frame),
  });
  if (!connection) return;
  // openSessionTab reports drops by text only: the page's own state follows the connection.
  setInterval(() => { if (!connection.isReady() && status === 'connected') { status = 'offline'; render(); } }, 1000);
  connection.open();
}

main();
