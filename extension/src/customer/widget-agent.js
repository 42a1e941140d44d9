// The Support Manager in the widget, for a customer who came in through a
// website (they have no session page): while the session is live, the
// download of the Support Manager with this session already in it (the
// relay's /s/TOKEN/support-manager, as on the session page: a fresh one-time
// code in the file, the visitor's platform first), then "connected"; and the
// requests it serves (view or control of the desktop or one application, the
// customer's files), allowed or denied here, with a banner and Stop while
// they run. The Support Manager still asks on the computer before control or
// files.
//
//   const agent = createWidgetAgent({ t, relay, token })
//   agent.element           the widget's Support Manager section
//   agent.update(state)     on every session_state
//   agent.prompts(state)    pending requests for it, [{id, text}]
//   agent.banners(state)    approved ones, [{grant, key, text}]
import { h, lazySheet } from './dom.js';

const SCOPES = ['desktop', 'application'];
const KINDS = ['view', 'control'];

export const agentSheet = lazySheet(`
.agent { display: flex; flex-direction: column; gap: 6px; padding: 8px 0; border-top: 1px solid #e5e7eb; }
.agent .download { align-self: flex-start; display: inline-block; border-radius: 6px; padding: 6px 12px;
  background: #1d4ed8; color: #fff; font-weight: 600; text-decoration: none; }
.agent .download:hover { background: #1e40af; }
.agent .download:focus-visible { outline: 3px solid #f59e0b; outline-offset: 1px; }
`);

// Requests the Support Manager serves (the widget itself serves the tab's).
function forAgent(g) {
  return g.direction === 'request' && (g.kind === 'files' || (KINDS.includes(g.kind) && SCOPES.includes(g.scope)));
}

export function createWidgetAgent({ t, relay, token }) {
  const lead = h('p', { class: 'status', text: t('agent.lead') });
  const download = h('a', {
    class: 'download', href: `${relay}/s/${encodeURIComponent(token)}/support-manager`, target: '_blank',
    rel: 'noopener', text: t('agent.download'),
  });
  const connected = h('p', { class: 'status agent-connected', role: 'status', hidden: true });
  const element = h('div', { class: 'agent', hidden: true }, lead, download, connected);

  const nameOf = (state, pid) => {
    const p = state.participants.find((x) => x.pid === pid);
    return (p && p.name) || t('someone');
  };
  const text = (prefix, g, state) => t(g.kind === 'files' ? `${prefix}.files` : `${prefix}.${g.kind}.${g.scope}`,
    { name: nameOf(state, g.requester) });

  return {
    element,
    update(state) {
      const live = state.state === 'open' || state.state === 'active';
      const mine = state.participants.find((p) => p.kind === 'agent' && p.owner === state.you && p.present);
      element.hidden = !live;
      // once it is here a second download would only replace its code
      lead.hidden = Boolean(mine);
      download.hidden = Boolean(mine);
      connected.hidden = !mine;
      // on a Wayland desktop it cannot see the screen: say so, never show black
      connected.textContent = mine ? t(mine.screen === 'wayland' ? 'agent.wayland' : 'agent.connected') : '';
    },
    prompts(state) {
      return state.grants.filter((g) => g.grantor === state.you && g.state === 'pending' && forAgent(g))
        .map((g) => ({ id: g.id, text: text('grant', g, state) }));
    },
    banners(state) {
      return state.grants.filter((g) => g.grantor === state.you && g.state === 'approved' && forAgent(g))
        .map((g) => ({ key: `grant-${g.id}`, grant: g.id, text: text('banner', g, state) }));
    },
  };
}
