// Files a rep published, in the widget, for a customer who came in through a
// website (the session page lists them for everyone else): shown while there
// are any, each with Download (lib/published-files.js does the asking and the
// saving).
//
//   const files = createWidgetFiles({ t, relay, token })
//   files.element         the widget's files section
//   files.update(state)   on every session_state
//   files.stop()          the session is over
import { createPublishedFiles, formatSize } from '../lib/published-files.js';
import { h, lazySheet, syncList } from './dom.js';

export const filesSheet = lazySheet(`
.files { display: flex; flex-direction: column; gap: 4px; padding: 8px 0; border-top: 1px solid #e5e7eb; }
.files ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.files li { display: flex; align-items: center; gap: 8px; }
.files .name { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.files .size { color: #6b7280; font-size: 12px; white-space: nowrap; }
`);

export function createWidgetFiles({ t, relay, token }) {
  const list = h('ul');
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const element = h('div', { class: 'files', hidden: true }, h('strong', { text: t('files.title') }), list, problem);

  const say = (text) => { problem.textContent = text; problem.hidden = !text; };
  const published = createPublishedFiles({
    relay,
    token,
    onList(files) {
      syncList(list, files, (file) => file.id, build);
      element.hidden = files.length === 0 && problem.hidden;
    },
    onProblem(what, file) {
      say(what ? t(`files.${what}`, file ? { name: file.name } : undefined) : '');
      if (what) element.hidden = false;
    },
  });

  function build(file) {
    const button = h('button', { type: 'button', class: 'download', text: t('files.download'), 'aria-label': t('files.download_label', { name: file.name }) });
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = t('files.downloading');
      say('');
      await published.download(file);
      button.disabled = false;
      button.textContent = t('files.download');
    });
    return h('li', {}, h('span', { class: 'name', text: file.name }), h('span', { class: 'size', text: formatSize(file.size, navigator.language) }), button);
  }

  return {
    element,
    update(state) {
      if (state.state !== 'open' && state.state !== 'active') element.hidden = true;
      published.update(state);
    },
    stop() { published.stop(); element.hidden = true; },
  };
}
