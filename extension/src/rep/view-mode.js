// The session's view mode for shared screens (server/protocol/client.py SetViewMode):
// Standard (best image) or Screen sampling (fastest). It belongs to the
// session, not to a viewer: the primary picks it in the Session tab, the relay
// carries it in every session_state, and the sharing Support Manager sends
// every shared screen so. Everyone else (assistants, the desktop viewer) reads it.
import { t } from './i18n.js';

export const VIEW_MODES = ['standard', 'sampling'];

// How much smaller than the screen the Support Manager sends the picture
// (agent/capture.py SAMPLING.scale, agent/video.py MODES): a viewer shows it
// this much larger, so Screen sampling looks as large as Standard, only softer.
export const DOWNSCALE = { standard: 1, sampling: 2 };

export const viewModeOf = (state) => (state && VIEW_MODES.includes(state.view_mode) ? state.view_mode : 'standard');

// "Standard (best image)" / "Screen sampling (fastest)", in the rep's language.
export const viewModeName = (mode) => t('view_mode_' + mode);

// The Session tab's radios: the primary's choice goes to the relay; what shows
// is always the relay's state (a refused change snaps back with the next state).
export function wireViewMode(entry, ctx) {
  const slug = entry.id.replace(/[^A-Za-z0-9_-]/g, '_');
  for (const radio of entry.panel.querySelectorAll('[data-role="view-mode"]')) {
    radio.name = 'view-mode-' + slug;
    radio.addEventListener('change', () => {
      if (radio.checked) ctx.commands.setViewMode(entry.id, radio.value);
    });
  }
}

export function renderViewMode(entry) {
  const { state, panel } = entry;
  const mode = viewModeOf(state);
  const amPrimary = state.role === 'primary';
  for (const radio of panel.querySelectorAll('[data-role="view-mode"]')) {
    radio.checked = radio.value === mode;
    radio.disabled = !amPrimary || state.state === 'ended';
  }
  const hint = panel.querySelector('[data-role="view-mode-hint"]');
  hint.textContent = t(amPrimary ? 'view_mode_hint' : 'view_mode_only_primary');
}
