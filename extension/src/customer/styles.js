// The widget's look, as a constructable stylesheet: sites embedding the
// snippet often allow only `style-src 'self'`, which forbids <style> text and
// style attributes but not adoptedStyleSheets.
import { lazySheet } from './dom.js';

const CSS = `
:host { all: initial; }
[hidden] { display: none !important; }
* { box-sizing: border-box; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
button { cursor: pointer; border: 0; border-radius: 6px; padding: 6px 12px; background: #1d4ed8; color: #fff; font-weight: 600; }
button:hover { background: #1e40af; }
button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 1px; }
button.quiet { background: transparent; color: #1f2937; font-weight: 400; padding: 4px 8px; }
button.quiet:hover { background: #e5e7eb; }
button.deny, button.stop { background: #b91c1c; }
button.deny:hover, button.stop:hover { background: #991b1b; }
button:disabled { opacity: .6; cursor: default; }
.help { position: fixed; right: 20px; bottom: 20px; z-index: 2147483647; padding: 12px 18px; border-radius: 999px;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.panel { position: fixed; right: 20px; bottom: 20px; z-index: 2147483647; width: 340px; max-width: calc(100vw - 40px);
  max-height: calc(100vh - 40px); display: flex; flex-direction: column; gap: 8px; padding: 12px; color: #111827;
  background: #fff; border: 1px solid #d1d5db; border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.25); }
.head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.head strong { font-weight: 700; font-size: 15px; }
.status { margin: 0; color: #374151; }
.prompt { display: flex; flex-direction: column; gap: 6px; padding: 8px; border-radius: 8px; background: #fef3c7; }
.prompt .row { display: flex; gap: 6px; }
.log { list-style: none; margin: 0; padding: 0; min-height: 48px; max-height: 220px; overflow-y: auto;
  display: flex; flex-direction: column; gap: 4px; }
.log li { padding: 4px 8px; border-radius: 8px; background: #f3f4f6; overflow-wrap: anywhere; }
.log li.mine { background: #dbeafe; align-self: flex-end; }
.log .who { display: block; font-size: 12px; font-weight: 600; color: #4b5563; }
form { display: flex; gap: 6px; margin: 0; }
input { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid #9ca3af; border-radius: 6px; color: #111827; background: #fff; }
.error { margin: 0; color: #b91c1c; }
.foot { display: flex; justify-content: flex-end; }
.banners { position: fixed; bottom: 12px; left: 12px; z-index: 2147483647; /* clear of the page's navigation and of the help panel */
  display: flex; flex-direction: column-reverse; gap: 4px; max-width: calc(100vw - 24px); }
.banner { display: flex; align-items: center; gap: 12px; padding: 8px 8px 8px 14px; border-radius: 8px;
  background: #111827; color: #fff; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
.banner span { color: #fff; font-weight: 600; }
.media { display: flex; flex-direction: column; gap: 6px; }
.media-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 6px; }
.media-tiles:empty { display: none; }
.media-tile { margin: 0; padding: 4px; border-radius: 8px; background: #111827; color: #fff; }
.media-tile video { display: block; width: 100%; max-height: 160px; border-radius: 6px; background: #000; object-fit: contain; }
.media-tile audio { display: none; }
.media-tile figcaption { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; padding-top: 2px; }
.media-tile figcaption span { color: #fff; font-size: 12px; }
.media-name { font-weight: 600; }
.media-badges { color: #d1d5db; }
.media-level { width: 100%; height: 6px; }
.media-controls { display: flex; flex-wrap: wrap; gap: 6px; }
.media-controls button { padding: 4px 10px; }
.screen { display: flex; flex-direction: column; gap: 6px; }
.panel:has(.screen:not([hidden])) { width: 760px; max-height: calc(100vh - 84px); overflow-y: auto; } /* clear of the banners */
.screen-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 6px; }
.screen-head .row { display: flex; gap: 6px; }
.screen-mode { margin: 0; padding: 6px 8px; border-left: 4px solid #1d4ed8; border-radius: 6px; background: #dbeafe; }
.screen[data-control="on"] .screen-mode { border-left-color: #b91c1c; background: #fee2e2; font-weight: 600; }
.screen-stage { position: relative; display: flex; justify-content: center; align-items: center; min-height: 120px;
  border-radius: 6px; overflow: hidden; background: #111; }
.screen-stage > video, .screen-stage > canvas { display: block; width: 100%; height: auto;
  max-height: max(160px, calc(100vh - 420px)); /* the chat stays in sight */ object-fit: contain; outline: none; }
.screen-stage:fullscreen > video, .screen-stage:fullscreen > canvas { height: 100%; max-height: none; }
.screen[data-transport="none"] .screen-stage > video { visibility: hidden; }
.screen[data-control="on"] .screen-stage { box-shadow: 0 0 0 3px #b91c1c; }
.screen[data-control="on"] .screen-stage > video, .screen[data-control="on"] .screen-stage > canvas { cursor: crosshair; }
.screen-waiting { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; margin: 0;
  padding: 12px; color: #e5e7eb; text-align: center; }
.pointer { position: fixed; left: 0; top: 0; z-index: 2147483647; pointer-events: none; transition: transform 60ms linear; }
.pointer .dot { display: block; width: 14px; height: 14px; border-radius: 50% 50% 50% 0; background: #dc2626;
  border: 2px solid #fff; box-shadow: 0 1px 4px rgba(0,0,0,.4); }
.pointer .label { display: inline-block; margin: 2px 0 0 12px; padding: 1px 6px; border-radius: 4px;
  background: #dc2626; color: #fff; font-size: 12px; white-space: nowrap; }
`;

export const styleSheet = lazySheet(CSS);
