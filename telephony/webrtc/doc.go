// Package webrtc is the browser's transport: a page places a call with
// WebRTC, and the transport hands it to a telephony.Answerer with a Line
// to the caller, as telephony/twiliovoice does for Twilio's, and passes
// the same conformance suite (telephony/transporttest). It knows nothing
// of agents, models or the call layer: a Config's hooks say which agents
// answer (Agents) and which requests the server admits (Admit).
//
// # Signalling
//
// Plain HTTP, one request per call, without trickle ICE: the page
// gathers its candidates, then
//
//	POST /webrtc/offer   {"agent": "ana", "sdp": "<offer>", "token": "<the page's, if any>"}
//	200                  {"call": "<id>", "sdp": "<answer>", "token": "<the call's, if any>"}
//
// and the answer carries every candidate of the server. The tokens are
// the server's: Config.Admit reads the page's (an embed's) with Offered,
// and Config.CallToken makes the call's (for its events).
//
// A page whose connection was lost (or handed over: below) goes on with
// its call by offering again, to any instance that shares the calls:
//
//	POST /webrtc/offer   {"agent": "ana", "sdp": "<offer>", "resume": "<call id>", "token": "<the call's token>"}
//	200                  {"call": "<the same id>", "sdp": "<answer>", "token": "<the call's>"}
//
// Config.Admit decides whether the page may (the server checks that the
// token is the call's); without an Admit no call is resumed (403). The
// call is then answered at once, before any PeerConnection is made, with
// CallInfo{ID: the id, Resume: true}: the Answerer takes the call over
// (the call layer claims it from its store) or refuses it, and a refusal
// answers the offer — the Answerer's own *Refusal, else 409 (the call
// has ended, or is not known). An older connection of the call still on
// this instance is taken as lost first, and its end waited for. The
// runtime then says the call's Resume (an apology and the pending
// question) instead of the greeting.
//
// Refusals are JSON, {"error": "<a sentence a page can show>"}, checked
// in this order, all before any PeerConnection is made: the page's
// origin (Config.Origins; none listed means the server's own origin; a
// request without Origin only from a client that is not a browser) 403;
// draining 503; offers from one address past Config.OffersPerMinute 429
// (an offer to resume a call that Config.Admit admits is neither held to
// that rate nor counted: pages behind a proxy share its address, and a
// hand-over sends them all at once);
// a body over 64 KB 413; JSON that is not an offer, a resume that is not
// a call id, SDP that does not parse, has no audio or does not offer PCMU
// 400; Config.Admit's refusal (a *Refusal: Unauthorized 401, Forbidden
// 403; any other error 403); an agent Config.Agents does not know 404;
// Config.MaxCalls calls in progress, counting those connecting, 503; a
// call that cannot go on 409 (or the Answerer's Refusal). Listed origins
// get CORS headers and their preflight. GET /webrtc/config answers
// {"iceServers": [...]}, Config.ICEServers, for the page's
// RTCPeerConnection.
//
// # Media
//
// Every call's media uses one UDP port (Config.UDPPort, pion's ICE UDP
// mux), with host candidates only: the server's own addresses
// (Config.IPs), or Config.PublicIP in their place behind a 1:1 NAT. The
// caller may use STUN and TURN (Config.ICEServers); the server needs
// neither.
//
// The agent's audio is PCMU (G.711 μ-law, 8 kHz); the caller's is PCMU
// or Opus, whichever the browser sends, and the answer offers those and
// telephone-event: an offer without PCMU is refused (every WebRTC
// browser has it, RFC 7874). Opus is decoded in pure Go
// (github.com/pion/opus, which decodes SILK, CELT and hybrid frames from
// libopus, the browsers' encoder, to within 51-101 dB of libopus's own
// decoder) straight to 8 kHz. The page prefers PCMU with
// RTCRtpTransceiver.setCodecPreferences, and so should any client that
// can: the runtime hears the caller at 8 kHz, where Opus's wideband is
// lost, and decoding Opus costs 25-110 µs a 20 ms packet against under
// 1 µs for μ-law, with 17-25 allocations a packet in hybrid mode (which
// browsers use for speech at their default 32 kbit/s); the PCMU path
// allocates nothing. pion/opus has no public encoder, so the agent's side
// is PCMU whatever the client prefers.
//
// The caller's audio is read from RTP as it comes: late and repeated
// packets are dropped, audio that never came (lost packets, a key's
// events) is written as silence up to a second, and the call gets whole
// 20 ms frames in order. The agent's audio, which the runtime writes
// 200 ms ahead, is queued and sent as 20 ms RTP packets in real time:
// a browser's jitter buffer takes no bursts (it would play them sped
// up). Clear drops the queue at once (what was sent, a packet or two,
// still plays).
//
// # The control channel
//
// The page opens a data channel labelled "control" with its offer; the
// call is answered once the media is connected and the channel open (an
// offer without a data channel section is answered on the media alone).
// Messages are JSON text:
//
//	page → server  {"type":"dtmf","digit":"5"}   a key: 0-9, * or #
//	page → server  {"type":"hangup"}             the caller hangs up
//	page → server  {"type":"mark","id":7}        mark 7's audio has played
//	server → page  {"type":"mark","id":7,"ts":N} echo mark 7 once the frame of RTP timestamp N has played
//	server → page  {"type":"hangup","ts":N}      the agent hung up
//	server → page  {"type":"transfer","number":"+34...","ts":N}  the agent transferred the call
//	server → page  {"type":"reconnect","ts":N}   the call is handed over: offer again to resume it
//
// The end of a call comes once the agent's last words have been sent:
// the page should close its side once it has played the frame of
// timestamp ts (there is none when nothing was said); the server closes
// its side when the page has, or a second after ts should have played.
// Keys may also come as RFC 4733 telephone-events (RTCDTMFSender), which
// the answer offers.
//
// A hang-up is said: the page's {"type":"hangup"} (then it closes). A
// caller whose network goes silent (no packet, not even ICE's
// keep-alives) for Config.Grace, or whose PeerConnection or control
// channel closes without a hang-up, has lost the connection, not hung
// up: the call ends here as telephony.OutcomeLost (Lost is called on an
// Inbound that has it, before Hangup), and the page may resume it.
//
// Transport.HandOver, for an instance that drains while others share its
// calls, ends each call at its next quiet moment as
// telephony.OutcomeHandover and tells its page {"type":"reconnect"}
// instead of hanging up (the runtime tells the line the outcome:
// telephony.Outcomer); the page offers again at once, and the load
// balancer sends it to an instance that takes calls.
//
// Marks: WebRTC has no echo of them, as Twilio's media streams have. A
// mark is reported (Inbound.Marked) once the audio before it has been
// sent and then either the page echoes it — a page knows what it has
// played from RTCRtpReceiver.getSynchronizationSources()'s rtpTimestamp
// — or, for a page that does not, Config.PlayoutDelay has passed, an
// estimate of the network and the jitter buffer. A browser cannot be
// transferred to a number: the page is told it, and may show it.
package webrtc
