// What keeps a session across the pages of one site: sessionStorage of this
// origin (per tab, as a session is). The connection keeps its own counters,
// resume id and outbox under CONNECTION.
export const KEYS = {
  token: 'tandem.token', // the customer's capability token
  relay: 'tandem.relay', // the relay's base URL
  connection: 'tandem.connection',
  control: 'tandem.control', // last CONTROL frame seq applied: a replay is not re-applied
  chat: 'tandem.chat',
};

const CHAT_MAX = 200;

function get(key) { try { return sessionStorage.getItem(key); } catch (_) { return null; } }
function set(key, value) { try { sessionStorage.setItem(key, value); } catch (_) { /* this page only */ } }

export const store = {
  session() {
    const token = get(KEYS.token);
    return token ? { token, relay: get(KEYS.relay) } : null;
  },
  begin(token, relay) { set(KEYS.token, token); set(KEYS.relay, relay); },
  forget() {
    for (const key of Object.values(KEYS)) { try { sessionStorage.removeItem(key); } catch (_) { /* gone */ } }
  },
  chat() { try { const lines = JSON.parse(get(KEYS.chat)); return Array.isArray(lines) ? lines : []; } catch (_) { return []; } },
  saveChat(lines) { set(KEYS.chat, JSON.stringify(lines.slice(-CHAT_MAX))); },
  controlSeq() { return Number(get(KEYS.control)) || 0; },
  saveControlSeq(seq) { set(KEYS.control, String(seq)); },
};

// The same, kept in this page only: a tab shared with the extension keeps
// nothing in the site's own storage (the site could read it); its session
// lives in the extension (src/share/relay-link.js).
export function memoryStore() {
  let chat = [];
  let control = 0;
  return {
    session: () => null,
    begin() {},
    forget() { chat = []; control = 0; },
    chat: () => chat.slice(),
    saveChat(lines) { chat = lines.slice(-CHAT_MAX); },
    controlSeq: () => control,
    saveControlSeq(seq) { control = seq; },
  };
}
