// The customer's widget in the shadow root: the help button, and the panel
// with status, grant prompts, a rep's shared screen (widget-screen.js), video
// and voice (media.js), chat and Leave; banners with Stop sit at the
// top of the page, visible even while the panel is hidden.
import { CHAT_MAX } from '../generated/protocol.js';
import { h, syncList } from './dom.js';
import { intakeSheet } from './intake-form.js';
import { surveySheet } from './survey.js';
import { agentSheet } from './widget-agent.js';
import { filesSheet } from './widget-files.js';

export function createWidget(root, t, on) {
  const help = h('button', { type: 'button', class: 'help', hidden: true, text: t('help'), onclick: () => on.help() });
  const reopen = h('button', { type: 'button', class: 'help', hidden: true, text: t('show'), onclick: () => setOpen(true) });
  const status = h('p', { class: 'status', role: 'status' });
  const position = h('p', { class: 'status', hidden: true });
  const recording = h('p', { class: 'status recording', role: 'status', hidden: true, text: t('recording') });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const prompts = h('div', { class: 'prompts' });
  const screenSlot = h('div', { class: 'screen-slot' });
  const mediaSlot = h('div', { class: 'media-slot' });
  const agentSlot = h('div', { class: 'agent-slot' });
  const filesSlot = h('div', { class: 'files-slot' });
  const log = h('ol', { class: 'log', 'aria-live': 'polite' });
  const text = h('input', { type: 'text', maxlength: String(CHAT_MAX), 'aria-label': t('chatLabel'), placeholder: t('chatPlaceholder'), autocomplete: 'off' });
  const sendButton = h('button', { type: 'submit', text: t('send') });
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      on.chat(value.slice(0, CHAT_MAX));
      text.value = '';
      text.focus();
    },
  }, text, sendButton);
  const leave = h('button', { type: 'button', class: 'quiet', text: t('leave'), onclick: () => on.leave() });
  const close = h('button', { type: 'button', class: 'quiet', hidden: true, text: t('close'), onclick: () => on.close() });
  const hide = h('button', { type: 'button', class: 'quiet', text: t('hide'), onclick: () => setOpen(false) });
  const panel = h('section', { class: 'panel', hidden: true, role: 'dialog', 'aria-label': t('title') },
    h('div', { class: 'head' }, h('strong', { text: t('title') }), hide),
    status, recording, position, prompts, screenSlot, mediaSlot, agentSlot, filesSlot, log, form, error, h('div', { class: 'foot' }, leave, close));
  const banners = h('div', { class: 'banners' });
  const surveySlot = h('div', { class: 'survey-slot' });
  panel.insertBefore(surveySlot, panel.lastElementChild);
  const intakeSlot = h('div', { class: 'intake-slot' }); // the intake form, before a session (intake-form.js)
  panel.insertBefore(intakeSlot, status);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, surveySheet(), intakeSheet(), agentSheet(), filesSheet()];
  root.append(help, reopen, panel, banners);

  let inSession = false;
  let open = true;
  let errorTimer = null;

  function setOpen(value) {
    open = value;
    panel.hidden = !inSession || !open;
    reopen.hidden = !inSession || open;
  }

  function buildPrompt(p) {
    const buttons = [];
    const decide = (approve) => () => { for (const b of buttons) b.disabled = true; on.decide(p.id, approve); };
    buttons.push(h('button', { type: 'button', class: 'approve', text: t('approve'), onclick: decide(true) }));
    buttons.push(h('button', { type: 'button', class: 'deny', text: t('deny'), onclick: decide(false) }));
    return h('div', { class: 'prompt grant-prompt', role: 'alertdialog' }, h('span', { text: p.text }), h('div', { class: 'row' }, ...buttons));
  }

  function buildBanner(b) {
    const stop = h('button', { type: 'button', class: 'stop', text: t('stop'), onclick: () => { stop.disabled = true; on.revoke(b.grant); } });
    return h('div', { class: 'banner', role: 'status' }, h('span', { text: b.text }), stop);
  }

  // The panel in a session, or (`intake`: its form) before one.
  function show(intake) {
    inSession = true;
    intakeSlot.replaceChildren(...(intake ? [intake] : []));
    surveySlot.replaceChildren();
    help.hidden = true;
    close.hidden = true;
    for (const part of [leave, form, log]) part.hidden = Boolean(intake);
  }

  return {
    // No session: only the help button (when the page has a queue to offer).
    idle(offerHelp) {
      inSession = false;
      intakeSlot.replaceChildren();
      surveySlot.replaceChildren();
      screenSlot.replaceChildren();
      mediaSlot.replaceChildren();
      agentSlot.replaceChildren();
      filesSlot.replaceChildren();
      help.hidden = !offerHelp;
      setOpen(open);
      banners.replaceChildren();
    },
    session() { show(null); setOpen(open); },
    // Before a session: the intake form (the customer's name, the problem)
    // alone in the panel; the customer sends it or cancels.
    asking(element) {
      show(element);
      status.textContent = '';
      position.hidden = true;
      setOpen(true);
    },
    open: () => setOpen(true),
    // The session's video and voice section (media.js).
    media(element) { mediaSlot.replaceChildren(element); },
    // A rep's shared screen (widget-screen.js).
    screen(element) { screenSlot.replaceChildren(element); },
    // The Support Manager's download and state (widget-agent.js).
    agent(element) { agentSlot.replaceChildren(element); },
    // Files the rep published (widget-files.js).
    files(element) { filesSlot.replaceChildren(element); },
    status(value) { status.textContent = value; },
    position(value) { position.textContent = value || ''; position.hidden = !value; },
    recording(on_) { recording.hidden = !on_; },
    chatEnabled(on_) { text.disabled = !on_; sendButton.disabled = !on_; },
    // prompts: [{id, text}]; banners: [{grant, key, text}]
    render({ prompts: list, banners: bars }) {
      syncList(prompts, list, (p) => p.id, buildPrompt);
      syncList(banners, bars, (b) => b.key, buildBanner);
      if (list.length) setOpen(true); // a request must be seen to be answered
    },
    chat(line) {
      log.append(h('li', { class: line.mine ? 'mine' : null }, h('span', { class: 'who', text: line.mine ? t('you') : line.name }), line.text));
      log.scrollTop = log.scrollHeight;
      if (!line.mine && !line.replayed) setOpen(true);
    },
    clearChat() { log.replaceChildren(); },
    error(value) {
      error.textContent = value;
      error.hidden = false;
      clearTimeout(errorTimer);
      errorTimer = setTimeout(() => { error.hidden = true; }, 8000);
      for (const b of root.querySelectorAll('.prompt button, .banner button, .screen button')) b.disabled = false;
    },
    // The session is over: say why, and offer Close (back to the help button).
    ended(value) {
      status.textContent = value;
      position.hidden = true;
      recording.hidden = true;
      prompts.replaceChildren();
      banners.replaceChildren();
      form.hidden = true;
      leave.hidden = true;
      close.hidden = false;
      setOpen(true);
    },
    // The exit survey (survey.js), under the ended session's status.
    survey(element) { surveySlot.replaceChildren(element); setOpen(true); },
  };
}
