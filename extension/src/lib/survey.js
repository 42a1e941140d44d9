// The exit survey, shared by the customer page (customer.js) and the website
// widget (extension/src/customer/survey.js): 1 to 5 stars and an optional
// comment, sent once to POST /api/sessions/{session}/rating with the
// customer's capability token. Text only ever via textContent.
//
//   const survey = createSurvey({ text, send });
//   container.append(survey.element);
//     text(name, vars)  the UI string: title, legend, star {score}, comment,
//                       submit, thanks, needScore, error {message}
//     send(score, comment) -> Promise<{ ok, message }>

export const COMMENT_MAX = 1000;

function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text != null) el.textContent = text;
  return el;
}

export function createSurvey({ text, send }) {
  const element = node('section', 'survey');
  element.setAttribute('aria-label', text('title'));
  const title = node('p', 'survey-title', text('title'));
  const form = node('form', 'survey-form');
  const group = node('div', 'survey-stars');
  group.setAttribute('role', 'radiogroup');
  group.setAttribute('aria-label', text('legend'));
  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const star = node('button', 'survey-star', '★');
    star.type = 'button';
    star.dataset.score = String(n);
    star.setAttribute('role', 'radio');
    star.setAttribute('aria-checked', 'false');
    star.setAttribute('aria-label', text('star', { score: n }));
    star.title = text('star', { score: n });
    star.addEventListener('click', () => choose(n));
    group.append(star);
    return star;
  });
  const label = node('label', 'survey-label', text('comment'));
  const comment = node('textarea', 'survey-comment');
  comment.rows = 2;
  comment.maxLength = COMMENT_MAX;
  label.append(comment);
  const submit = node('button', 'survey-submit button primary', text('submit'));
  submit.type = 'submit';
  const note = node('p', 'survey-note');
  note.setAttribute('role', 'status');
  form.append(group, label, submit, note);
  element.append(title, form);

  function choose(n) {
    score = n;
    for (const star of stars) {
      const on = Number(star.dataset.score) <= n;
      star.classList.toggle('on', on);
      star.setAttribute('aria-checked', String(Number(star.dataset.score) === n));
    }
    note.textContent = '';
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!score) { note.textContent = text('needScore'); return; }
    submit.disabled = true;
    const answer = await send(score, comment.value.trim().slice(0, COMMENT_MAX));
    if (answer.ok) {
      form.remove();
      title.textContent = text('thanks');
      element.classList.add('done');
      return;
    }
    submit.disabled = false;
    note.textContent = text('error', { message: answer.message });
  });

  return { element };
}

// POST the rating; resolves { ok } or { ok: false, message } (the relay's own
// words when it gave any, e.g. "you have rated this session already").
export async function sendRating(base, session, token, score, comment, networkText) {
  let response;
  try {
    response = await fetch(`${base}/api/sessions/${encodeURIComponent(session)}/rating`, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ score, comment }),
    });
  } catch (_) {
    return { ok: false, message: networkText };
  }
  if (response.ok) return { ok: true };
  try {
    const data = await response.json();
    return { ok: false, message: (data && data.error && data.error.message) || String(response.status) };
  } catch (_) {
    return { ok: false, message: String(response.status) };
  }
}
