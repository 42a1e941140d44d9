// One shared desktop or application on a watching page (the rep's desktop
// viewer, the customer's session page): the Support Manager's WebRTC video
// (desktop-peer.js) once it connects, else the FRAMES it sends over the relay
// painted on a canvas (desktop-canvas.js). See agent/webrtc.py for the
// signaling: this side asks for an offer with a fresh nonce and answers only
// the offer that echoes it; while no picture shows, it asks for a whole one.
//
//   const stream = createDesktopStream({
//     video, canvas,       // the page's <video> and <canvas>; shown as the transport says
//     signal,              // (to, data) => void: a `signal` message to the sharer
//     ready,               // () => bool: the connection is welcomed
//     onChange,            // (transport) => void: 'webrtc' | 'relay' | 'none'
//     onError,             // (error) => void: an offer could not be answered
//     webrtc,              // false: never answer an offer (relay frames only)
//   });
//   stream.show(activity)  // the view/control activity shown, or null; true when it changed
//   stream.connected()     // (re)welcomed: ask again
//   stream.receive(sender, data), stream.frame(frame)  // every signal and binary frame
//   stream.setIceServers(welcome.ice_servers)
//   stream.transport(), stream.close()
import { KIND } from '../lib/frames.js';
import { createDesktopCanvas } from './desktop-canvas.js';
import { createDesktopPeer } from './desktop-peer.js';

const ASK_MS = 10000; // ask for a new offer while WebRTC is not up
const REPAINT_MS = 3000; // ask for a whole picture over the relay while none shows
const TICK_MS = 1000;

export function createDesktopStream({
  video, canvas, signal, ready, onChange = () => {}, onError = () => {}, webrtc = true,
}) {
  let view = null;
  let asked = null; // the nonce of our latest request: only its offer is answered
  let askedAt = 0;
  let repaintAt = 0;
  const frames = createDesktopCanvas(canvas);
  const peer = createDesktopPeer({
    onStream: (s) => { video.srcObject = s; video.play().catch(() => {}); },
    onState: (s) => { video.dataset.connectionState = s; update(); },
    sendAnswer: (answer) => view && signal(view.sharer, { webrtc: answer, activity: view.id }),
  });
  const overWebRTC = () => peer.state() === 'connected';
  const transport = () => (overWebRTC() ? 'webrtc' : frames.shown() ? 'relay' : 'none');

  // WebRTC when it is up; else the relay's picture, which stays valid while the
  // screen is still (the agent sends only changes). When WebRTC takes over, the
  // canvas is forgotten: should WebRTC drop, a whole picture is asked for anew.
  function update() {
    if (overWebRTC()) frames.reset();
    const now = transport();
    video.hidden = now === 'relay';
    canvas.hidden = now !== 'relay';
    onChange(now);
  }

  function askForOffer() {
    if (!webrtc || !view || !ready()) return;
    askedAt = Date.now();
    asked = Math.random().toString(36).slice(2, 10);
    signal(view.sharer, { webrtc: { type: 'request', activity: view.id, request: asked }, activity: view.id });
  }

  // A still screen sends no frames: a page that opens on one asks for a whole picture.
  function askForRepaint() {
    if (!view || !ready()) return;
    repaintAt = Date.now();
    signal(view.sharer, { frames: 'full', activity: view.id });
  }

  function show(next) {
    const changed = !next !== !view || (next && next.id !== view.id);
    view = next || null;
    if (changed) {
      peer.close();
      frames.reset();
      video.srcObject = null;
      asked = null;
      askedAt = 0;
      repaintAt = 0;
      askForOffer();
    }
    update();
    return Boolean(changed);
  }

  function receive(sender, data) {
    if (!view || sender !== view.sharer || !data) return;
    const offer = data.webrtc;
    if (!webrtc || !offer || offer.type !== 'offer' || typeof offer.sdp !== 'string') return;
    if (offer.activity != null && offer.activity !== view.id) return;
    if (!asked || offer.request !== asked) return; // unasked, replayed, or another page's
    peer.answer(offer).catch((err) => { onError(err); update(); });
  }

  function frame(f) {
    if (f.kind !== KIND.frames || !view || f.stream !== view.stream) return;
    const first = !frames.shown();
    frames.add(f.body);
    if (first) setTimeout(update, 50); // the first picture: show the canvas
  }

  // WebRTC never came or dropped, or the relay has shown nothing yet: ask again.
  const timer = setInterval(() => {
    update();
    if (view && !overWebRTC() && Date.now() - askedAt > ASK_MS) askForOffer();
    if (view && transport() === 'none' && Date.now() - repaintAt > REPAINT_MS) askForRepaint();
  }, TICK_MS);

  return {
    show,
    receive,
    frame,
    transport,
    connected() { askForOffer(); update(); },
    setIceServers: peer.setIceServers,
    close() { clearInterval(timer); show(null); },
  };
}
