// call.js: one browser call over WebRTC. The page creates the control
// data channel and the audio transceiver (PCMU preferred, then Opus),
// gathers every ICE candidate (no trickle), posts the offer and applies
// the answer. A call whose connection is lost goes on over a new one:
// the same offer, with the call's id and token (resume).

import { PageError, postOffer } from "./api.js";

// ICE_TIMEOUT_MS bounds the wait for candidates: with an unreachable STUN
// server gathering can take far longer, and what was gathered by then
// (host candidates at least) is sent.
const ICE_TIMEOUT_MS = 3000;

// orderCodecs puts PCMU first and Opus second, keeping the rest (and the
// browser's order within each rank): the server may accept only PCMU.
export function orderCodecs(codecs) {
  const rank = (c) => {
    const m = String(c.mimeType).toLowerCase();
    return m === "audio/pcmu" ? 0 : m === "audio/opus" ? 1 : 2;
  };
  return codecs.map((c, i) => [rank(c), i, c]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

// preferPCMU sets the transceiver's codec order; it returns the first
// codec, or "" when the browser cannot set preferences (its own order
// is offered then, PCMU among them).
function preferPCMU(transceiver) {
  const caps = globalThis.RTCRtpReceiver?.getCapabilities?.("audio");
  if (!transceiver.setCodecPreferences || !caps) return "";
  try {
    const codecs = orderCodecs(caps.codecs);
    transceiver.setCodecPreferences(codecs);
    return codecs[0]?.mimeType || "";
  } catch (e) {
    console.warn("voiceagent: codec preferences not set:", e);
    return "";
  }
}

// iceComplete resolves once ICE gathering is complete, or after ms.
function iceComplete(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok) => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve(ok);
    };
    const check = () => pc.iceGatheringState === "complete" && done(true);
    const timer = setTimeout(() => done(false), ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

// How a lost connection is won back: offers with resume, retried with
// backoff (0.5, 1, 2, 4, 8, 8… s) while RECONNECT_MS have not passed;
// a connection "disconnected" for DROP_MS is taken as lost.
export const RECONNECT_MS = 30000;
export const DROP_MS = 2000;

// retryDelay is how long to wait before attempt n+1 (n >= 1) of a
// reconnection whose attempt n failed with a PageError of kind, or -1
// when it is not worth trying again (the call is over, or not this
// page's).
export function retryDelay(n, kind) {
  if (!["network", "server-full", "too-many", "server"].includes(kind)) return -1;
  return Math.min(500 * 2 ** (n - 1), 8000);
}

// Call is one connection of a call in progress.
export class Call {
  // connect starts a call to agent, or, with resume (a call's id), goes
  // on with that call over a new connection (token is then the call's).
  // stream is the microphone (null: the page only listens, and types);
  // handlers: onTrack(MediaStream), onConnection(state), onChannel(open
  // bool), onMessage(the server's control message, parsed).
  static async connect({ agent, token, resume, iceServers, stream, onTrack, onConnection, onChannel, onMessage }) {
    if (typeof RTCPeerConnection !== "function") {
      throw new PageError("unsupported", "This browser cannot make calls (no WebRTC).");
    }
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    const c = new Call(pc);
    try {
      c.channel = pc.createDataChannel("control", { ordered: true });
      c.channel.onopen = () => onChannel?.(true);
      c.channel.onclose = () => onChannel?.(false);
      c.channel.onmessage = (e) => {
        let msg;
        try {
          msg = JSON.parse(e.data);
        } catch {
          return;
        }
        if (msg && typeof msg.type === "string") onMessage?.(msg);
      };
      const track = stream?.getAudioTracks()[0];
      c.transceiver = track
        ? pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] })
        : pc.addTransceiver("audio", { direction: "sendrecv" });
      c.codec = preferPCMU(c.transceiver);
      pc.ontrack = (e) => onTrack?.(e.streams[0] || new MediaStream([e.track]));
      pc.onconnectionstatechange = () => onConnection?.(pc.connectionState);
      await pc.setLocalDescription(await pc.createOffer());
      c.iceComplete = await iceComplete(pc, ICE_TIMEOUT_MS);
      const answer = await postOffer(agent, pc.localDescription.sdp, token, resume);
      c.id = answer.call;
      c.token = answer.token;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      return c;
    } catch (e) {
      pc.close();
      if (e instanceof PageError) throw e;
      throw new PageError("server", `The call could not be set up: ${e.message || e}.`);
    }
  }

  constructor(pc) {
    this.pc = pc;
    this.channel = null;
    this.transceiver = null;
    this.codec = "";
    this.iceComplete = false;
    this.id = "";
    this.token = "";
  }

  // send sends a control message; false when the channel is not open.
  send(msg) {
    if (this.channel?.readyState !== "open") return false;
    this.channel.send(JSON.stringify(msg));
    return true;
  }

  // setTrack switches the microphone without a new offer.
  async setTrack(track) {
    await this.transceiver?.sender.replaceTrack(track);
  }

  // hangup asks the server to end the call, then closes the connection
  // once the message is sent (or after half a second).
  async hangup() {
    if (this.send({ type: "hangup" })) {
      const until = Date.now() + 500;
      while (this.channel.bufferedAmount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // let SCTP deliver it
    }
    this.close();
  }

  close() {
    this.pc.close();
  }
}
