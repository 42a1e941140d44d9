// Files a rep published for the customers of a session (server/web/files.py),
// as the customer's session page and the website widget show them, each in
// its own look. Nothing about files comes over the WebSocket, so while the
// session is live the list is asked for every POLL_MS, and once more on every
// session_state; a download carries the customer's token (a plain link
// cannot) and is saved from a Blob.
//
//   const files = createPublishedFiles({ relay, token, onList, onProblem })
//     relay       the relay's origin ('' on its own pages)
//     onList      (files) the list changed: [{id, name, size}]
//     onProblem   (what, file) 'list_failed', 'gone' or 'download_failed';
//                 (null) when the list loads again after 'list_failed'
//   files.update(state)        polls while the session is open or active
//   files.download(file)       resolves when saved or given up
//   files.stop()

const POLL_MS = 5000;
const REVOKE_MS = 10000;

export function createPublishedFiles({ relay = '', token, onList, onProblem }) {
  let session = null;
  let timer = null;
  let loading = false;
  let again = false;
  let listFailed = false;

  const url = (id) => `${relay}/api/sessions/${encodeURIComponent(session)}/files${id ? `/${encodeURIComponent(id)}` : ''}`;
  const authorized = (path) => fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store', credentials: 'omit' });

  async function load() {
    if (!session || timer === null) return;
    if (loading) { again = true; return; }
    loading = true;
    try {
      const response = await authorized(url());
      if (response.status === 404) return; // no longer live: session_ended follows
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      if (timer === null) return; // ended meanwhile
      onList(Array.isArray(body.files) ? body.files : []);
      if (listFailed) { listFailed = false; onProblem(null); }
    } catch (_) {
      // Offline for a moment, or refused: say so; the next poll tries again.
      listFailed = true;
      onProblem('list_failed');
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  return {
    update(state) {
      session = state.session;
      if (state.state !== 'open' && state.state !== 'active') { stop(); return; }
      if (timer === null) timer = setInterval(load, POLL_MS);
      load();
    },
    stop,
    async download(file) {
      if (!session) return;
      try {
        const response = await authorized(url(file.id));
        if (response.status === 404) { onProblem('gone', file); return; }
        if (!response.ok) throw new Error(String(response.status));
        const href = URL.createObjectURL(await response.blob());
        const link = document.createElement('a');
        link.href = href;
        link.download = file.name;
        link.hidden = true;
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(href), REVOKE_MS);
      } catch (_) {
        onProblem('download_failed', file);
      }
    },
  };
}

// A file's size in the page's language: "1.5 MB".
export function formatSize(bytes, lang) {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  try {
    return new Intl.NumberFormat(lang || undefined, {
      style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: unit ? 1 : 0,
    }).format(value);
  } catch (_) {
    return `${value.toFixed(unit ? 1 : 0)} ${['B', 'KB', 'MB', 'GB'][unit]}`;
  }
}
