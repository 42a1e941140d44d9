// The canned-reply picker in a rep's chat, shared by the extension's side
// panel (extension/src/rep/chat.js) and the relay's console (console.js): a
// select listing GET /api/canned; choosing one puts its text into the chat
// input (the rep may edit it before sending).
//
//   const picker = cannedPicker({ label, choose, onPick(text) });
//   form.before(picker.element);  picker.load(relay, token);

export function cannedPicker({ label, choose, onPick }) {
  const select = document.createElement('select');
  select.className = 'canned-picker';
  select.setAttribute('data-role', 'canned');
  select.setAttribute('aria-label', label);
  select.title = label;
  select.hidden = true; // until there is something to pick
  const first = document.createElement('option');
  first.value = '';
  first.textContent = choose;
  select.append(first);
  let replies = [];

  select.addEventListener('change', () => {
    const reply = replies.find((r) => String(r.id) === select.value);
    select.value = '';
    if (reply) onPick(reply.text);
  });

  function show(list) {
    replies = list;
    select.replaceChildren(first);
    for (const r of list) {
      const option = document.createElement('option');
      option.value = String(r.id);
      option.textContent = r.title;
      select.append(option);
    }
    select.hidden = list.length === 0;
  }

  return {
    element: select,
    show,
    // Fetch the list with the rep's token; a failure leaves the picker hidden.
    async load(relay, token) {
      if (!token) return;
      try {
        const response = await fetch(`${relay}/api/canned`, {
          credentials: 'omit', headers: { Authorization: 'Bearer ' + token },
        });
        if (response.ok) show((await response.json()).replies || []);
      } catch (_) { /* no picker: typing still works */ }
    },
  };
}

// Put `text` into `input` (replacing what is there) and focus it, caret at the end.
export function insertReply(input, text) {
  input.value = text.slice(0, Number(input.maxLength) > 0 ? Number(input.maxLength) : text.length);
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}
