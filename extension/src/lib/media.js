// Video and voice between the people of one session, over WebRTC with the
// relay as signaling. Shared by the customer's session page and, bundled by
// esbuild, the rep's call page in the extension. No DOM: pages draw tiles
// from what this module holds (see media-tiles.js).
//
// A mesh: one RTCPeerConnection per other present person (rep or customer,
// never an agent) while either side has a video or audio activity. Whoever
// has one sends that track to everyone; everything is derived from each
// `session_state`, so every page arrives at the same mesh.
//
//   const media = createMedia({
//     signal,    // (to, data) => void: send a `signal` message
//     onChange,  // () => void: tracks, connections or levels changed
//     onError,   // (kind, error) => void: the camera or microphone failed
//   });
//   media.setIceServers(welcome.ice_servers)
//   media.update(state)            // every session_state of the session
//   media.receive(sender, data)    // every `signal` (ignores what is not ours)
//   media.start(kind, announce)    // get the camera ('video') or mic
//                                  // ('audio'), then call announce() to send
//                                  // start_activity; resolves true or false
//   media.local(kind)              // this page's live track, or null
//   media.remote(pid)              // { video, audio, state } of a peer
//   media.setMuted(on), media.muted()
//   media.audioLevel(pid)          // { level, energy, packets } from getStats
//   media.close()
//
// Signaling (`signal.data.media`): every peer connection has an endpoint id
// on each side. `hello` {from, to} introduces a fresh endpoint (`to` null:
// "I do not know yours yet", answered by a hello naming it); `description`
// and `candidate` {from, to} belong to one pair of endpoints, so anything
// meant for an endpoint that is gone (a reloaded page, a replayed stream)
// is dropped. Negotiation is the standard's "perfect negotiation": the
// participant with the lower pid is polite. Every track is sent on its own
// sendonly transceiver, so stopping one (transceiver.stop) ends exactly that
// track on the other side.

export const KINDS = ['audio', 'video'];

const ERROR_KINDS = { NotAllowedError: 'denied', SecurityError: 'denied', NotFoundError: 'missing',
  OverconstrainedError: 'missing', NotReadableError: 'busy', AbortError: 'busy', EndedError: 'ended' };

// The catalog key (error.denied, error.missing...) and its {device} for a
// camera or microphone failure reported by createMedia's onError.
export function mediaError(kind, err) {
  return ['error.' + (ERROR_KINDS[err && err.name] || 'failed'), kind === 'video' ? 'camera' : 'microphone'];
}

const HELLO_MS = 3000; // say hello again while the other side has not answered
const CONNECT_MS = 20000; // not connected by then: start over with fresh endpoints
const HOLD_MS = 10000; // a track got before start_activity waits this long for it
const STALL_MS = 8000; // connected, yet a shared track has not arrived by then: start over
const TICK_MS = 1000;
const CONSTRAINTS = { video: { video: true }, audio: { audio: true } };

const newId = () => Math.random().toString(36).slice(2, 12);
const isId = (x) => typeof x === 'string' && x.length > 0 && x.length <= 40;

// Who shares what: kinds of running video/audio activities by sharer pid.
export function mediaActivities(state) {
  const by = new Map();
  for (const a of (state && state.activities) || []) {
    if (!KINDS.includes(a.kind)) continue;
    if (!by.has(a.sharer)) by.set(a.sharer, {});
    by.get(a.sharer)[a.kind] = a;
  }
  return by;
}

// The people media goes to: present reps and customers other than `you`.
// The reps' video and voice activities a customer has not answered yet
// (``answered``: a Set of activity ids), with who runs each.
export function unanswered(state, answered) {
  const out = [];
  for (const [pid, kinds] of mediaActivities(state)) {
    const who = state.participants.find((p) => p.pid === pid);
    if (!who || who.kind !== 'rep' || !who.present) continue;
    for (const act of Object.values(kinds)) if (!answered.has(act.id)) out.push({ who, act });
  }
  return out;
}

export const mediaPeople = (state) => ((state && state.participants) || [])
  .filter((p) => p.present && p.pid !== state.you && (p.kind === 'rep' || p.kind === 'customer'));

// The RTCIceServer fields of a welcome's ice_servers (nulls left out).
export function cleanIceServers(list) {
  if (!Array.isArray(list)) return [];
  return list.filter((s) => s && s.urls).map((s) => {
    const out = { urls: s.urls };
    if (typeof s.username === 'string') out.username = s.username;
    if (typeof s.credential === 'string') out.credential = s.credential;
    return out;
  });
}

function validDescription(d) {
  return d && ['offer', 'answer', 'pranswer', 'rollback'].includes(d.type)
    && (d.type === 'rollback' || typeof d.sdp === 'string');
}

export function createMedia({ signal, onChange = () => {}, onError = () => {} }) {
  let iceServers = [];
  let state = null;
  let muted = false;
  const local = { audio: null, video: null };
  const localStream = new MediaStream();
  const acquiring = { audio: null, video: null };
  const failed = { audio: null, video: null }; // activity id whose capture failed
  const held = { audio: 0, video: 0 }; // until when a just-started track waits for its activity
  const peers = new Map(); // pid -> entry
  const timer = setInterval(tick, TICK_MS);

  const changed = () => { try { onChange(); } catch (_) { /* a drawing error must not stop media */ } };

  // --- local capture -----------------------------------------------------------

  async function acquire(kind) {
    if (local[kind] && local[kind].readyState === 'live') return true;
    if (!acquiring[kind]) {
      acquiring[kind] = (async () => {
        try {
          if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
            throw Object.assign(new Error('getUserMedia is unavailable'), { name: 'NotSupportedError' });
          }
          const stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS[kind]);
          const track = stream.getTracks().find((x) => x.kind === kind);
          if (!track) throw Object.assign(new Error('no track'), { name: 'NotFoundError' });
          setLocal(kind, track);
          return true;
        } catch (err) {
          onError(kind, err);
          return false;
        } finally {
          acquiring[kind] = null;
        }
      })();
    }
    return acquiring[kind];
  }

  function setLocal(kind, track) {
    const old = local[kind];
    if (old === track) return;
    if (old) { localStream.removeTrack(old); old.stop(); }
    local[kind] = track;
    if (track) {
      localStream.addTrack(track);
      if (kind === 'audio') track.enabled = !muted;
      // The device went away (unplugged, permission revoked): say so.
      track.addEventListener('ended', () => {
        if (local[kind] === track) { setLocal(kind, null); onError(kind, { name: 'EndedError' }); }
      });
    }
    for (const e of peers.values()) syncSenders(e);
    changed();
  }

  // My activities decide what is captured: none of a kind, no track of it.
  function syncLocal() {
    const mine = mediaActivities(state).get(state.you) || {};
    for (const kind of KINDS) {
      const act = mine[kind];
      if (act) held[kind] = 0;
      if (!act && Date.now() < held[kind]) continue;
      if (!act) { failed[kind] = null; if (local[kind]) setLocal(kind, null); continue; }
      if (!local[kind] && failed[kind] !== act.id) {
        acquire(kind).then((ok) => { if (!ok) failed[kind] = act.id; });
      }
    }
  }

  // --- the mesh ------------------------------------------------------------------

  function wanted() {
    const shares = mediaActivities(state);
    const me = shares.has(state.you);
    return new Set(mediaPeople(state).filter((p) => me || shares.has(p.pid)).map((p) => p.pid));
  }

  function send(e, type, fields) {
    signal(e.pid, { media: Object.assign({ type, from: e.mine, to: e.theirs }, fields) });
  }

  function hello(e) { e.helloAt = Date.now(); send(e, 'hello', {}); }

  function newEntry(pid) {
    const e = { pid, mine: newId(), theirs: null, pc: null, helloAt: 0, since: Date.now(), stallSince: 0,
      makingOffer: false, ignoreOffer: false, queue: Promise.resolve(), send: {}, recv: {} };
    peers.set(pid, e);
    return e;
  }

  function closePc(e) {
    if (e.pc) { e.pc.close(); e.pc = null; }
    e.send = {};
    e.recv = {};
  }

  function drop(pid) {
    const e = peers.get(pid);
    if (!e) return;
    closePc(e);
    peers.delete(pid);
  }

  function restart(e) {
    closePc(e);
    e.mine = newId();
    e.theirs = null;
    e.since = Date.now();
    hello(e);
  }

  // A fresh connection for the pair (e.mine, theirs).
  function connect(e, theirs) {
    closePc(e);
    e.theirs = theirs;
    e.since = Date.now();
    e.stallSince = 0;
    e.makingOffer = false;
    e.ignoreOffer = false;
    const pc = e.pc = new RTCPeerConnection({ iceServers });
    pc.addEventListener('negotiationneeded', () => {
      e.queue = e.queue.then(async () => {
        if (e.pc !== pc) return;
        try {
          e.makingOffer = true;
          await pc.setLocalDescription();
          if (e.pc === pc) send(e, 'description', { description: pc.localDescription.toJSON() });
        } catch (_) { /* a newer negotiation supersedes this one */ } finally { e.makingOffer = false; }
      });
    });
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate && e.pc === pc) send(e, 'candidate', { candidate: candidate.toJSON() });
    });
    pc.addEventListener('track', ({ track }) => {
      if (e.pc !== pc) return;
      e.recv[track.kind] = track;
      for (const name of ['ended', 'mute', 'unmute']) track.addEventListener(name, changed);
      changed();
    });
    pc.addEventListener('connectionstatechange', changed);
    pc.addEventListener('signalingstatechange', changed);
    syncSenders(e);
    changed();
  }

  function syncSenders(e) {
    const pc = e.pc;
    if (!pc || pc.signalingState === 'closed') return;
    for (const kind of KINDS) {
      const track = local[kind];
      const tr = e.send[kind];
      if (track) {
        if (!tr || tr.stopped || tr.currentDirection === 'stopped') {
          e.send[kind] = pc.addTransceiver(track, { direction: 'sendonly', streams: [localStream] });
        } else if (tr.sender.track !== track) {
          tr.sender.replaceTrack(track).catch(() => {});
        }
      } else if (tr) {
        tr.stop(); // ends the track on the other side once negotiated
        e.send[kind] = null;
      }
    }
  }

  async function onDescription(e, description) {
    const pc = e.pc;
    const polite = state.you < e.pid;
    const collision = description.type === 'offer' && (e.makingOffer || pc.signalingState !== 'stable');
    e.ignoreOffer = !polite && collision;
    if (e.ignoreOffer) return;
    await pc.setRemoteDescription(description);
    if (description.type === 'offer' && e.pc === pc) {
      await pc.setLocalDescription();
      if (e.pc === pc) send(e, 'description', { description: pc.localDescription.toJSON() });
    }
  }

  async function onCandidate(e, candidate) {
    try {
      await e.pc.addIceCandidate(candidate);
    } catch (err) {
      if (!e.ignoreOffer) throw err;
    }
  }

  function receive(sender, data) {
    const m = data && data.media;
    if (!m || !state || typeof m !== 'object' || !isId(m.from) || (m.to != null && !isId(m.to))) return;
    if (!mediaPeople(state).some((p) => p.pid === sender)) return;
    let e = peers.get(sender);
    if (m.type === 'hello') {
      if (m.to && (!e || m.to !== e.mine)) return; // for an endpoint of ours that is gone
      if (!e) e = newEntry(sender);
      if (e.theirs !== m.from) connect(e, m.from);
      if (!m.to) hello(e); // they do not know this endpoint yet
      return;
    }
    if (!e || !e.pc || m.to !== e.mine || m.from !== e.theirs) return;
    const pc = e.pc;
    e.queue = e.queue.then(async () => {
      if (e.pc !== pc) return;
      try {
        if (m.type === 'description' && validDescription(m.description)) await onDescription(e, m.description);
        else if (m.type === 'candidate' && m.candidate && typeof m.candidate === 'object') await onCandidate(e, m.candidate);
      } catch (_) {
        if (e.pc === pc) restart(e); // a broken negotiation: start over
      }
    });
  }

  function update(next) {
    state = next;
    const live = state.state === 'open' || state.state === 'active';
    if (!live) { close(); return; }
    syncLocal();
    const want = wanted();
    for (const pid of [...peers.keys()]) if (!want.has(pid)) drop(pid);
    for (const pid of want) if (!peers.has(pid)) hello(newEntry(pid));
    changed();
  }

  // The page's own Start: capture first, so nothing is announced that cannot be sent.
  async function start(kind, announce) {
    const ok = await acquire(kind);
    if (ok) { held[kind] = Date.now() + HOLD_MS; announce(); }
    return ok;
  }

  function tick() {
    const now = Date.now();
    if (state && KINDS.some((k) => held[k] && now >= held[k])) {
      for (const k of KINDS) if (held[k] && now >= held[k]) held[k] = 0;
      syncLocal(); // start_activity was refused: let the device go
    }
    for (const e of peers.values()) {
      const s = e.pc ? e.pc.connectionState : 'new';
      if (!e.theirs && now - e.helloAt > HELLO_MS) hello(e);
      else if (e.theirs && (s === 'failed' || (s !== 'connected' && now - e.since > CONNECT_MS))) restart(e);
      else if (e.theirs && stalled(e, now)) restart(e);
    }
  }

  // Connected, yet a track the peer shares has not arrived for STALL_MS (a lost
  // description, a negotiation that went wrong): true.
  function stalled(e, now) {
    const kinds = (state && mediaActivities(state).get(e.pid)) || {};
    const missing = KINDS.some((k) => kinds[k] && !(e.recv[k] && e.recv[k].readyState === 'live' && !e.recv[k].muted));
    if (!missing || !e.pc || e.pc.connectionState !== 'connected') {
      e.stallSince = 0;
      return false;
    }
    if (!e.stallSince) e.stallSince = now;
    return now - e.stallSince > STALL_MS;
  }

  function close() {
    for (const pid of [...peers.keys()]) drop(pid);
    for (const kind of KINDS) if (local[kind]) setLocal(kind, null);
    changed();
  }

  function remote(pid) {
    const e = peers.get(pid);
    const live = (track) => (track && track.readyState === 'live' ? track : null);
    return {
      video: e ? live(e.recv.video) : null,
      audio: e ? live(e.recv.audio) : null,
      state: e && e.pc ? e.pc.connectionState : 'new',
    };
  }

  async function audioLevel(pid) {
    const e = peers.get(pid);
    if (!e || !e.pc) return null;
    let found = null;
    (await e.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        found = { level: r.audioLevel || 0, energy: r.totalAudioEnergy || 0, packets: r.packetsReceived || 0 };
      }
    });
    return found;
  }

  function setMuted(on) {
    muted = Boolean(on);
    if (local.audio) local.audio.enabled = !muted;
    changed();
  }

  return {
    setIceServers: (list) => { iceServers = cleanIceServers(list); },
    update,
    receive,
    start,
    local: (kind) => local[kind],
    localStream: () => localStream,
    remote,
    audioLevel,
    setMuted,
    muted: () => muted,
    close,
    destroy: () => { clearInterval(timer); close(); },
  };
}
