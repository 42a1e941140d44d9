// Plain rrweb `record` for bench/cobrowse.py's main-thread comparison: rrweb's
// defaults, and an emit that serializes each event to JSON and drops it (what
// any live transport must do at the least). Bundled by cobrowse.py with
// esbuild (IIFE, minified, as tandem.js is) and served on the relay's origin.
import { record } from 'rrweb';

window.benchPlain = { bytes: 0, events: 0, stop: null };

window.benchPlain.start = () => {
  window.benchPlain.stop = record({
    emit(event) {
      window.benchPlain.bytes += JSON.stringify(event).length;
      window.benchPlain.events += 1;
    },
  });
};
