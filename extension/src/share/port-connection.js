// In the shared tab: what customer/index.js needs of a relay connection
// (createConnection's interface), over a port to the background, which holds
// the real connection (relay-link.js). Frames go as text: ports carry JSON.
import { connectPort } from '../rep/browser.js';

export const SHARE_PORT = 'tandem-share';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createPortConnection({ onMessage = () => {}, onFrame = () => {}, onStatus = () => {}, onStopped = () => {} }) {
  let port = null;
  let status = 'connecting';
  let lost = false;

  function receive(value) {
    if (!value) return;
    if (value.status) { status = value.status; onStatus(status); }
    if (value.msg) onMessage(value.msg);
    if (value.frame) onFrame({ ...value.frame, body: encoder.encode(value.frame.text) });
    if (value.lost) lost = true;
    if (value.stopped) onStopped(value.stopped);
  }

  return {
    open() {
      port = connectPort(SHARE_PORT);
      port.onMessage.addListener(receive);
      port.onDisconnect.addListener(() => { port = null; onStatus('closed'); });
    },
    send(type, fields) { if (port) port.postMessage({ send: [type, fields] }); },
    sendFrame(kind, stream, body) {
      if (!port || status !== 'connected') return false;
      port.postMessage({ frame: { kind, stream, text: typeof body === 'string' ? body : decoder.decode(body) } });
      if (lost) { lost = false; return false; }
      return true;
    },
    isReady: () => Boolean(port) && status === 'connected',
    reconnectNow() { /* the background reconnects */ },
    close() { if (port) { const p = port; port = null; p.disconnect(); } },
  };
}
