// The widget's shadow host: one element the page's CSS cannot reach and
// cobrowse does not record (it is in rrweb's blockSelector).
import { styleSheet } from './styles.js';

export const HOST_SELECTOR = 'tandem-support';

export function createHost() {
  const host = document.createElement(HOST_SELECTOR);
  host.setAttribute('data-tandem-widget', '');
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [styleSheet()];
  (document.body || document.documentElement).append(host);
  // Pages that rebuild <body> would drop the widget: put it back.
  const keeper = new MutationObserver(() => {
    if (!host.isConnected) (document.body || document.documentElement).append(host);
  });
  keeper.observe(document.documentElement, { childList: true, subtree: false });
  return {
    host,
    root,
    owns: (node) => node === host || host.contains(node) || (node && node.getRootNode && node.getRootNode() === root),
    remove() { keeper.disconnect(); host.remove(); },
  };
}
