// A rep's screen on the customer's session page, and in the website widget
// (widget-screen.js): what the rep shares with
// "Share view" or "Share control" (their own Support Manager is the sharer).
// The picture comes as WebRTC video or, failing that, as FRAMES over the relay
// (rep/desktop-stream.js, the same code as the rep's desktop viewer). With
// Share control the customer's clicks, wheel and keys on the picture go back
// as CONTROL frames (rep/desktop-input.js); the relay passes them on only for
// the control grant's peer, and the Support Manager keeps them inside the
// shared window. Bundled into the customer page too (customer-page.js).
//
//   const screen = createSharedScreen({ ui, t, send, sendFrame, ready })
//     ui         { section, title, mode, stage, video, canvas, waiting, stop, full }
//     t          (key, vars) => text, from the page's catalog (customer.screen.*)
//     send       (type, fields) => void: a relay message
//     sendFrame  (kind, stream, body) => void: a binary stream frame
//     ready      () => bool: the connection is welcomed
//   screen.welcome(msg), screen.connected(), screen.update(state),
//   screen.signal(msg), screen.frame(frame), screen.end()
import { KIND, encodeJson } from '../lib/frames.js';
import { createDesktopInput } from '../rep/desktop-input.js';
import { createDesktopStream } from '../rep/desktop-stream.js';

const SCOPES = ['desktop', 'application'];

// Whose machine a participant is: an agent's owner, else the participant.
function ownerOf(state, pid) {
  const p = state.participants.find((x) => x.pid === pid);
  return p ? p.owner || p.pid : null;
}

// The screen shown here: a desktop or application that someone else's
// Support Manager shares (its view activity, else a control one alone),
// never this customer's own; null when there is none.
export function sharedScreen(state) {
  if (state.state === 'ended') return null;
  const shared = state.activities.filter((a) => SCOPES.includes(a.scope) && (a.kind === 'view' || a.kind === 'control')
    && ownerOf(state, a.sharer) !== state.you);
  return shared.find((a) => a.kind === 'view') || shared[0] || null;
}

export function createSharedScreen({ ui, t, send, sendFrame, ready }) {
  let state = null;
  let view = null; // the activity shown
  let control = null; // its control activity, when this customer holds it

  const stream = createDesktopStream({
    video: ui.video,
    canvas: ui.canvas,
    signal: (to, data) => state && send('signal', { session: state.session, to, data }),
    ready,
    onChange: render,
    webrtc: typeof globalThis.RTCPeerConnection === 'function',
  });

  createDesktopInput(ui.stage, {
    surface: () => (ui.canvas.hidden ? ui.video : ui.canvas),
    isOn: () => Boolean(control) && stream.transport() !== 'none',
    send: (body) => control && sendFrame(KIND.control, control.stream, encodeJson(body)),
    // never the chat's keys; the path, as the widget's shadow root hides its nodes from window
    takesKey: (event) => event.composedPath().includes(ui.stage),
  });

  const sharerName = () => {
    const owner = ownerOf(state, view.sharer);
    const p = state.participants.find((x) => x.pid === owner);
    return p ? p.name : t('customer.someone');
  };

  function render(transport = stream.transport()) {
    ui.section.hidden = !view;
    ui.section.dataset.transport = transport;
    ui.section.dataset.control = control ? 'on' : 'off';
    if (!view) return;
    const name = sharerName();
    ui.section.dataset.scope = view.scope;
    ui.title.textContent = t(`customer.screen.title.${view.scope}`, { name });
    ui.mode.textContent = control ? t(`customer.screen.control.${view.scope}`, { name }) : t('customer.screen.view', { name });
    ui.waiting.textContent = t('customer.screen.connecting', { name });
    ui.waiting.hidden = transport !== 'none';
    // Only the customer who allowed it can stop it (the relay checks that too).
    ui.stop.hidden = !mine().length;
  }

  // The grants behind what is shown that this customer allowed: Stop revokes them all.
  const mine = () => (view ? state.activities.filter((a) => a.sharer === view.sharer && a.peer === state.you && a.grant) : []);

  // A whole desktop is small on a phone: the picture can fill the screen (Esc leaves).
  ui.full.hidden = !document.fullscreenEnabled;
  ui.full.addEventListener('click', () => { ui.stage.requestFullscreen().catch(() => { ui.full.hidden = true; }); });

  ui.stop.addEventListener('click', () => {
    ui.stop.disabled = true;
    for (const grant of new Set(mine().map((a) => a.grant))) send('revoke_grant', { session: state.session, grant });
  });

  return {
    welcome(msg) { stream.setIceServers(msg.ice_servers); },
    connected() { stream.connected(); },
    update(next) {
      state = next;
      const before = view;
      view = sharedScreen(next);
      control = view && next.activities.find((a) => a.kind === 'control' && a.sharer === view.sharer
        && a.peer === next.you) || null;
      stream.show(view);
      ui.stop.disabled = false; // a Stop in flight has been answered (or refused: see error)
      render();
      // The customer has just allowed it: bring the picture into sight.
      if (view && !before) ui.section.scrollIntoView({ block: 'start', behavior: 'smooth' });
      if (!view && ui.stage.getRootNode().fullscreenElement === ui.stage) document.exitFullscreen().catch(() => {});
    },
    signal(msg) { if (state && msg.session === state.session) stream.receive(msg.sender, msg.data); },
    frame(frame) { stream.frame(frame); },
    end() { view = null; control = null; stream.show(null); render(); },
  };
}
