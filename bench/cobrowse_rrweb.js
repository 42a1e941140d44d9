// Plain rrweb `record` for bench/cobrowse.py's main-thread comparison, with
// rrweb's defaults, in two forms:
// - start(): an emit that serializes each event to JSON and drops it (what any
//   live transport must do at the least);
// - startWs(url): the fair peer of a live cobrowse: each event serialized and
//   sent at once over a WebSocket (to the bench's sink), as a straightforward
//   rrweb live stream does.
// Bundled by cobrowse.py with esbuild (IIFE, minified, as tandem.js is) and
// served on the relay's origin.
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

window.benchPlain.startWs = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.onerror = () => reject(new Error('the sink refused the WebSocket'));
  ws.onopen = () => {
    window.benchPlain.stop = record({
      emit(event) {
        const text = JSON.stringify(event);
        window.benchPlain.bytes += text.length;
        window.benchPlain.events += 1;
        ws.send(text);
      },
    });
    resolve();
  };
});
