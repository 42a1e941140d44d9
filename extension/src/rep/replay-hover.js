// The rep's hover, shown in the replay: rrweb rebuilds the page's `:hover`
// rules as `.\:hover` class rules, so the element under the rep's pointer and
// its ancestors (through shadow roots and iframes) get that class. While the
// rep hovers, the customer's replayed pointer does not move the hover away.
import { composedParent } from './replay-tree.js';

const HOVER = ':hover';

export function createReplayHover(replay) {
  let target = null;
  let marked = [];

  function unmark() {
    for (const el of marked) el.classList.remove(HOVER);
    marked = [];
  }

  function mark() {
    unmark();
    const top = replay.document();
    for (let node = target; node; node = composedParent(node, top)) {
      if (node.classList) { node.classList.add(HOVER); marked.push(node); }
    }
  }

  replay.onStart((replayer) => {
    target = null;
    marked = [];
    // rrweb hovers what the customer's pointer is over: not while the rep's is in.
    const own = typeof replayer.hoverElements === 'function' && replayer.hoverElements.bind(replayer);
    if (own) replayer.hoverElements = (el) => { if (!target) own(el); };
  });

  return {
    set(node) {
      // a replayed class change may have taken the class off: mark again
      if (node === target && marked.every((el) => el.classList.contains(HOVER))) return;
      target = node && node.isConnected ? node : null;
      if (target) mark(); else unmark();
    },
    clear() { target = null; unmark(); },
  };
}
