// A rep's own screen in the widget: what they share with "Share view" or
// "Share control" from their Support Manager, shown in the panel the way the
// customer's session page shows it (shared-screen.js: WebRTC, else FRAMES over
// the relay; CONTROL frames with Share control; Stop viewing).
//
//   const screen = createWidgetScreen({ t, send, sendFrame, ready })
//     t          the widget's translator (strings.js, keys screen.* and grant.share.*)
//     send       (type, fields) => void: a message for the relay, this session
//     sendFrame  (kind, stream, body) => void: a binary stream frame
//     ready      () => bool: the connection is welcomed
//   screen.element: the section for the panel; screen.prompts(state): the
//   share offers this customer is asked about, [{id, text}]; and the
//   shared-screen.js calls welcome, connected, update, signal, frame, end.
import { h } from './dom.js';
import { createSharedScreen } from './shared-screen.js';

const SCOPES = ['desktop', 'application'];
const KINDS = ['view', 'control'];

export function createWidgetScreen({ t, send, sendFrame, ready }) {
  // shared-screen.js speaks the session page's keys (customer.screen.*); the
  // widget's catalog has them without the prefix.
  const text = (key, vars) => t(key.replace(/^customer\./, ''), vars);
  const ui = {
    title: h('strong', { class: 'screen-title' }),
    mode: h('p', { class: 'screen-mode', role: 'status', 'aria-live': 'polite' }),
    video: h('video', { autoplay: true, muted: true, playsinline: true, tabindex: '0' }),
    canvas: h('canvas', { tabindex: '0', hidden: true }),
    waiting: h('p', { class: 'screen-waiting' }),
    stop: h('button', { type: 'button', class: 'stop screen-stop', hidden: true, text: text('screen.stop') }),
    full: h('button', { type: 'button', class: 'quiet screen-full', hidden: true, text: text('screen.full') }),
  };
  ui.video.muted = true; // the attribute alone does not mute a video made by script
  ui.stage = h('div', { class: 'screen-stage' }, ui.video, ui.canvas, ui.waiting);
  ui.section = h('section', { class: 'screen', hidden: true, 'data-transport': 'none', 'data-control': 'off' },
    h('div', { class: 'screen-head' }, ui.title, h('div', { class: 'row' }, ui.full, ui.stop)), ui.mode, ui.stage);

  const screen = createSharedScreen({ ui, t: text, send, sendFrame, ready });

  const nameOf = (state, pid) => {
    const p = state.participants.find((x) => x.pid === pid);
    return (p && p.name) || t('someone');
  };

  return {
    ...screen,
    element: ui.section,
    update(state) {
      screen.update(state);
      const label = ui.title.textContent;
      for (const node of [ui.video, ui.canvas]) node.setAttribute('aria-label', label);
    },
    prompts(state) {
      return state.grants
        .filter((g) => g.grantor === state.you && g.state === 'pending' && g.direction === 'share'
          && SCOPES.includes(g.scope) && KINDS.includes(g.kind))
        .map((g) => ({ id: g.id, text: t(`grant.share.${g.kind}.${g.scope}`, { name: nameOf(state, g.requester) }) }));
    },
  };
}
