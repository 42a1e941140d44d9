// The viewer's side of the agent's WebRTC video (agent/webrtc.py): answer
// each offer with a fresh RTCPeerConnection, once its ICE candidates are
// gathered (no trickle), and hand the stream to the page. STUN/TURN servers
// come from the relay's welcome (setIceServers).
import { cleanIceServers } from '../lib/media.js';

const GATHER_MS = 3000;

function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } };
    const timer = setTimeout(resolve, GATHER_MS);
    pc.addEventListener('icegatheringstatechange', done);
  });
}

// A remote screen is shown as soon as it is decoded: no jitter buffer held
// back for smooth motion (the agent paces its frames itself).
function lowLatency(receiver) {
  if (!receiver) return;
  if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
  if ('playoutDelayHint' in receiver) receiver.playoutDelayHint = 0;
}

export function createDesktopPeer({ onStream, onState, sendAnswer }) {
  let pc = null;
  let iceServers = [];
  let offerId = -1;

  function close() {
    if (pc) { pc.close(); pc = null; }
    onState('closed');
  }

  async function answer(offer) {
    if (typeof offer.id === 'number' && offer.id < offerId) return; // a stale offer
    offerId = typeof offer.id === 'number' ? offer.id : offerId;
    if (pc) pc.close();
    const mine = pc = new RTCPeerConnection({ iceServers });
    mine.addEventListener('track', (event) => {
      lowLatency(event.receiver);
      onStream(event.streams[0] || new MediaStream([event.track]));
    });
    mine.addEventListener('connectionstatechange', () => { if (pc === mine) onState(mine.connectionState); });
    await mine.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await mine.setLocalDescription(await mine.createAnswer());
    await gathered(mine);
    if (pc !== mine) return;
    onState(mine.connectionState);
    sendAnswer({ type: 'answer', sdp: mine.localDescription.sdp, activity: offer.activity, id: offer.id });
  }

  return {
    answer,
    close,
    setIceServers: (list) => { iceServers = cleanIceServers(list); },
    state: () => (pc ? pc.connectionState : 'closed'),
    connection: () => pc,
  };
}
