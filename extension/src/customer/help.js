// Inbound: the floating help button and the site's own help links
// ([data-tandem-help]) ask the relay for a place in the queue.

// The queue a help link names (`/help?queue=billing`), when the script tag has none.
function queueOfLink(link) {
  try { return new URL(link.href, location.href).searchParams.get('queue'); } catch (_) { return null; }
}

// `intake`: what the customer entered ({name, description, fields by label}).
// A refusal throws an Error whose `status` is the relay's (400: the intake
// did not pass the queue's form).
export async function requestHelp(relay, queue, intake = {}) {
  const response = await fetch(`${relay}/api/help`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ queue, name: intake.name || '', description: intake.description || '', fields: intake.fields || {} }),
    credentials: 'omit',
  });
  if (!response.ok) throw Object.assign(new Error(`help request refused (${response.status})`), { status: response.status });
  const { session, token } = await response.json();
  if (!token) throw new Error('no token');
  return { session, token };
}

// Clicks on [data-tandem-help] call `onHelp(queue)` instead of leaving the
// page; a link is left alone only when no queue is known for it.
export function interceptHelpLinks(defaultQueue, onHelp) {
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element && event.target.closest('[data-tandem-help]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    const queue = defaultQueue || (link.href && queueOfLink(link));
    if (!queue) return;
    event.preventDefault();
    onHelp(queue);
  }, true);
}
