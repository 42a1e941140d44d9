// One function per message a rep sends (server/protocol/client.py), named for it.
import { CLIENT_TYPES } from '../generated/protocol.js';

export function createCommands(sendRaw) {
  // The types come from the relay's schema: a type it does not know is a bug here.
  const send = (type, fields) => {
    if (!CLIENT_TYPES.includes(type)) throw new Error(`not a relay message type: ${type}`);
    return sendRaw(type, fields);
  };
  return {
    setAvailability: (available) => send('set_availability', { available }),
    startSession: (emailInvite) => send('start_session', { email_invite_on_start: Boolean(emailInvite) }),
    assistSession: (number) => send('assist_session', { number }),
    decideAssist: (session, request, approve) => send('decide_assist', { session, request, approve }),
    acceptNext: () => send('accept_next', {}),
    acceptOffer: (session) => send('accept_offer', { session }),
    declineOffer: (session) => send('decline_offer', { session }),
    selectCustomer: (session, pid) => send('select_customer', { session, pid }),
    requestGrant: (session, kind, scope, direction = 'request') =>
      send('request_grant', { session, kind, scope, direction }),
    revokeGrant: (session, grant) => send('revoke_grant', { session, grant }),
    startActivity: (session, kind) => send('start_activity', { session, kind }),
    stopActivity: (session, activity) => send('stop_activity', { session, activity }),
    setViewMode: (session, mode) => send('set_view_mode', { session, mode }),
    transferControl: (session, to) => send('transfer_control', { session, to }),
    transferSession: (session, { queue, reps, message }) => {
      const fields = { session, reps: reps || [], message: message || '' };
      if (queue) fields.queue = queue;
      return send('transfer_session', fields);
    },
    endSession: (session) => send('end_session', { session }),
    leaveSession: (session) => send('leave_session', { session }),
    chat: (session, text, repsOnly) => send('chat', { session, text, reps_only: Boolean(repsOnly) }),
    note: (session, text) => send('note', { session, text }),
    signal: (session, to, data) => send('signal', { session, to, data }),
  };
}
