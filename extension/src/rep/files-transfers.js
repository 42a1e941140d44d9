// The file browser's transfer list: one row per download or upload with a
// progress bar, bytes done of the total, percent and speed, then whether the
// SHA-256 verified, or why it failed.
import { el } from './dom.js';
import { t } from './i18n.js';
import { formatSize } from './files-publish.js';

const SPEED_WINDOW_MS = 3000;

export function createTransfers(list) {
  function add(name, direction) {
    const li = el('li', 'transfer');
    li.dataset.direction = direction;
    li.dataset.state = 'running';
    const bar = el('progress', 'transfer-bar');
    bar.max = 100;
    bar.value = 0;
    const bytes = el('span', 'transfer-bytes muted');
    const status = el('span', 'transfer-status');
    status.setAttribute('aria-live', 'polite');
    const head = el('div', 'transfer-head');
    head.append(el('span', 'transfer-dir', t(direction === 'download' ? 'files_direction_download' : 'files_direction_upload')),
      ' ', el('span', 'transfer-name', name));
    li.append(head, bar, bytes, status);
    list.prepend(li);
    const samples = [];

    function speed(now, done) {
      samples.push([now, done]);
      while (samples.length > 2 && now - samples[0][0] > SPEED_WINDOW_MS) samples.shift();
      const [t0, d0] = samples[0];
      return now > t0 ? ((done - d0) * 1000) / (now - t0) : 0;
    }

    return {
      progress(done, total) {
        if (li.dataset.state === 'verifying') { li.dataset.state = 'running'; status.textContent = ''; }
        const percent = total ? Math.floor((done * 100) / total) : 100;
        bar.value = percent;
        li.dataset.done = String(done);
        li.dataset.total = String(total);
        bytes.textContent = t('files_progress', {
          done: formatSize(done), total: formatSize(total), percent, speed: formatSize(Math.max(0, speed(Date.now(), done))),
        });
      },
      verifying() {
        li.dataset.state = 'verifying';
        status.textContent = t('files_verifying');
      },
      done(text) {
        li.dataset.state = 'done';
        bar.value = 100;
        status.textContent = text;
      },
      fail({ kind, text, detail }) {
        li.dataset.state = 'failed';
        li.dataset.error = kind;
        status.textContent = detail && detail !== text ? `${text} (${detail})` : text;
        status.classList.add('field-error');
        status.setAttribute('role', 'alert');
      },
    };
  }
  return { add };
}
