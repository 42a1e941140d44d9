// Which Support Managers (native agents) are in a session, and what the
// Desktop and Application tabs say about them. The customer's agent serves
// request view/control and file browsing; the rep's own agent serves share
// view/control (the rep's desktop shown to the customer).
import { part } from './dom.js';
import { t } from './i18n.js';
import { currentCustomer } from './participants.js';

const agentOf = (state, owner) => (owner ? state.participants.find(
  (p) => p.kind === 'agent' && p.owner === owner && p.present) || null : null);

// The selected customer's connected Support Manager, or null.
export function customerAgent(state) {
  const customer = currentCustomer(state);
  return customer ? agentOf(state, customer.pid) : null;
}

// This rep's own connected Support Manager, or null.
export const ownAgent = (state) => agentOf(state, state.you);

// Why an agent button cannot be used now (null: it can).
export function agentWhy(state, which) {
  if (which === 'own') return ownAgent(state) ? null : t('agent_own_needed_short');
  return customerAgent(state) ? null : t('agent_customer_needed');
}

// A connected agent that cannot see its screen (a Wayland desktop) says so
// instead of sharing black.
const screenNote = (agent) => (agent.screen && agent.screen !== 'ok'
  ? ` ${t(`agent_screen_${agent.screen}`, { name: agent.name })}` : '');

export function renderAgentStatus(entry) {
  const { state, panel } = entry;
  const theirs = customerAgent(state);
  for (const role of ['agent-status', 'app-agent-status']) {
    const line = part(panel, role);
    line.textContent = theirs
      ? t('agent_customer_connected', { name: theirs.name }) + screenNote(theirs)
      : t('agent_customer_needed');
    line.dataset.connected = String(Boolean(theirs));
  }
  const mine = ownAgent(state);
  const own = part(panel, 'own-agent-status');
  own.textContent = mine ? t('agent_own_connected', { name: mine.name }) + screenNote(mine) : t('agent_own_needed');
  own.dataset.connected = String(Boolean(mine));
  part(panel, 'own-pairing-box').hidden = Boolean(mine);
  if (mine) part(panel, 'own-pairing').hidden = true; // the code is used: a new pairing needs a new one
}
