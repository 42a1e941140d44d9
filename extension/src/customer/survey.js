// The exit survey in the website widget: the same survey as the customer
// page (lib/survey.js), in the widget's words and look. Offered when
// the session ends or the customer leaves, once a rep was with them.
import { createSurvey, sendRating } from '../lib/survey.js';
import { lazySheet } from './dom.js';

const CSS = `
.survey { display: flex; flex-direction: column; gap: 6px; padding: 8px; border-radius: 8px; background: #f3f4f6; }
.survey-title { margin: 0; font-weight: 600; }
.survey form.survey-form { flex-direction: column; align-items: stretch; gap: 6px; }
.survey-stars { display: flex; gap: 2px; }
.survey button.survey-star { font-size: 24px; line-height: 1; padding: 0 4px; background: transparent; color: #9ca3af; font-weight: 400; }
.survey button.survey-star.on { color: #d97706; }
.survey button.survey-star:hover { background: #e5e7eb; }
.survey-label { display: flex; flex-direction: column; gap: 2px; }
.survey-comment { font: inherit; padding: 6px 8px; border: 1px solid #9ca3af; border-radius: 6px; resize: vertical; }
.survey-note { margin: 0; color: #b91c1c; }
.survey-note:empty { display: none; }
`;

export const surveySheet = lazySheet(CSS);

// The survey element for session `session` (the customer's `token`, the relay at `relay`).
export function widgetSurvey(t, { relay, session, token }) {
  const text = (name, vars) => t('survey' + name[0].toUpperCase() + name.slice(1), vars);
  return createSurvey({
    text,
    send: (score, comment) => sendRating(relay, session, token, score, comment, text('errorNetwork')),
  }).element;
}
