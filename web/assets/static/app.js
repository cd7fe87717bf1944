// app.js: the voiceagent browser page, its main module. It calls an agent
// over WebRTC (call.js), follows the call's events (model.js, view.js)
// and falls back on the browser's own speech when the server has none
// (speech.js).
//
// Test contract: these ids and attributes are stable; a headless-browser
// test may drive and read the page through them.
//
//   #agent           <select> of the server's agents (value: the name);
//                    ?agent=NAME preselects one
//   #agent-custom    <input> for an agent's name, shown when the server
//                    lists no agents
//   #call, #hangup   start and end a call (disabled when they cannot)
//   #mute            mutes the microphone; aria-pressed="true" when muted
//   #mic             <select> of microphones (labelled once allowed)
//   #mic-level, #agent-level
//                    <meter> 0..1 on a 60 dB scale; the raw RMS levels
//                    are in voiceagentPage.state.levels
//   #agent-state     the agent's turn as text; data-state is listening,
//                    thinking or speaking in a call, else the connection
//                    (idle, connecting, connected, reconnecting, ended,
//                    failed)
//   #status          one line: what the page is doing
//   #error           role=alert, hidden when there is no error; its
//                    text is state.lastError, its kind state.errorKind
//   #speech-mode     which speech recognition and voice are used
//   #remote-audio    the <audio> element playing the agent
//   #text-form, #text, #send
//                    type to the agent (enabled while the call's control
//                    channel is open)
//   #talk            the browser's speech recognition, shown only when
//                    the server has none; aria-pressed while listening
//   #keypad          button[data-digit] for 0-9, * and #, inside
//                    details#keypad-box (open, but closed in embed mode)
//   #transcript      <ol> of li[data-testid="entry"][data-who="caller"|"agent"]
//                    with data-interim (caller's words so far, greyed),
//                    data-speaking (a sentence being said),
//                    data-interrupted (a <del> holds what was not heard)
//                    and data-private; the words are in span.text
//   #fields          li[data-field="NAME"] with span.value;
//                    data-asking="true" on the field being asked
//   #services        li[data-intent][data-status="running"|"ok"|"failed"][data-ms]
//   #latency         <table>; tbody tr[data-turn="N"], newest first
//   #call-id         the call's id
//   #save            Save as test (enabled once a call has an id)
//
// window.voiceagentPage, for tests and the console:
//   ready            true once the configuration is loaded (or given up)
//   config           {agents, iceServers, speech {stt, tts}} as used
//   state            model.js newState(): {agent, callId, transport,
//                    connection, agentState, phase, levels {mic, agent},
//                    transcript, fields, asking, services, timings, ended,
//                    events, speech {stt, tts}, lastError, errorKind,
//                    muted, codec}; the same object for the page's life,
//                    levels updated every 50 ms
//   call(), hangup(), setMuted(bool), sendText(text), sendDigit(d), save()
//   reconnects       how many times the call's connection was won back
//
// A call whose connection drops — the RTCPeerConnection "failed", or
// "disconnected" for DROP_MS, or the control channel closed — without
// the call having ended (the server's hangup or transfer message, an
// "ended" event whose outcome is not handover or connection-lost) or the
// visitor hanging up, or that the server hands over ({"type":
// "reconnect"}), is won back: "Reconnecting…", and a new offer with the
// call's id and token (resume), to whichever instance answers, retried
// with backoff for up to RECONNECT_MS. The call keeps its id, its
// transcript and its events stream.

import { PageError, defaultConfig, eventsURL, fetchTranscript, loadConfig } from "./api.js";
import { Call, DROP_MS, RECONNECT_MS, retryDelay } from "./call.js";
import { Meter, display } from "./meter.js";
import { apply, goesOn, newState, reset, typed } from "./model.js";
import { Listener, canRecognize, canSpeak, hush, say } from "./speech.js";
import { renderAll, renderTranscript, setStatus, showError } from "./view.js";

const $ = (id) => document.getElementById(id);

// The call events the page follows (GET /v1/calls/{id}/events).
const EVENTS = ["opened", "turn", "hearing", "heard", "saying", "said", "field", "state",
  "service_started", "service_finished", "timing", "ended"];

const params = new URLSearchParams(location.search);
const embed = params.get("embed") === "1";
const embedToken = params.get("token") || "";

const state = newState();
let config = defaultConfig();
let audioCtx = null;
let mic = null; // the microphone's MediaStream, while in a call
let micMeter = null;
let agentMeter = null;
let call = null; // the Call in progress: its connection
let callToken = ""; // the last call's token (events, transcript, resuming)
let aborted = false; // hang up pressed while connecting
let events = null; // the call's EventSource
let eventsDown = false; // the call's events could not be followed
let eventsTimer = 0;
let lastEventId = ""; // the id of the last event of the call seen
let handedOff = false; // the events said this connection ended, the call going on over another
let connections = 0; // counts connections made: a handler of an older one is ignored
let wasConnected = false; // the call's media has connected once: it can be resumed
let serverEnded = false; // the server said the call is over (hangup, transfer)
let transferredTo = ""; // the number the agent transferred the call to
let dropTimer = 0; // a connection "disconnected", given DROP_MS to come back
let reconnect = null; // {until, attempt, timer} while the call's connection is won back
let listener = null; // the browser's speech recognition

const page = {
  ready: false,
  config,
  state,
  call: startCall,
  hangup,
  setMuted,
  sendText: (text) => sendText(text, "typed"),
  sendDigit,
  save,
  reconnects: 0,
};
window.voiceagentPage = page;

// fail shows a PageError (or any error) as the page's error.
function fail(e) {
  state.lastError = e?.message || String(e);
  state.errorKind = e?.kind || "";
  showError(state.lastError);
}

function clearError() {
  state.lastError = "";
  state.errorKind = "";
  showError("");
}

function chosenAgent() {
  const custom = $("agent-custom");
  if (!custom.hidden && custom.value.trim()) return custom.value.trim();
  return $("agent").value;
}

// lang is the language of the agent called or chosen ("" when unknown).
function lang() {
  const name = state.agent || chosenAgent();
  return config.agents.find((a) => a.name === name)?.language || "";
}

// controls enables what can be done now.
function controls() {
  const connecting = state.connection === "connecting" || !!reconnect;
  const inCall = !!call;
  const open = call?.channel?.readyState === "open";
  $("call").disabled = !page.ready || inCall || connecting;
  $("hangup").disabled = !inCall && !connecting;
  $("mute").disabled = !inCall || !mic;
  $("agent").disabled = inCall || connecting || embed;
  $("agent-custom").disabled = inCall || connecting;
  $("text").disabled = !open;
  $("send").disabled = !open;
  $("talk").disabled = !open;
  for (const b of $("keypad").querySelectorAll("button")) b.disabled = !open;
  $("save").disabled = !state.callId;
}

// --- agents and speech ------------------------------------------------

function fillAgents() {
  const want = params.get("agent") || "";
  const listed = config.agents.some((a) => a.name === want);
  const options = config.agents.map((a) => new Option(a.language ? `${a.name} (${a.language})` : a.name, a.name));
  if (want && !listed) options.unshift(new Option(want, want));
  const sel = $("agent");
  sel.replaceChildren(...options);
  if (want) sel.value = want;
  sel.hidden = options.length === 0;
  $("agent-custom").hidden = options.length > 0;
  $("embed-agent").textContent = embed ? want : "";
  describeAgent();
}

function describeAgent() {
  const a = config.agents.find((x) => x.name === chosenAgent());
  const parts = [];
  if (a?.description) parts.push(a.description);
  if (a?.services.length) parts.push(`Services: ${a.services.join(", ")}.`);
  $("agent-about").textContent = parts.join(" ");
}

// speechModes decides, and says, how the visitor is heard and how the
// agent speaks.
function speechModes() {
  const s = state.speech;
  s.stt = config.speech.stt ? "server" : canRecognize ? "browser" : "typing";
  s.tts = config.speech.tts ? "server" : canSpeak ? "browser" : "none";
  const heard = {
    server: "The server's speech recognition hears you; you can also type.",
    browser: "The server has no speech recognition: press Talk to use your browser's own (it may send your voice to the browser maker's service), or type.",
    typing: "The server has no speech recognition and this browser has none: type to the agent.",
  }[s.stt];
  const voice = {
    server: "The agent speaks with the server's voice.",
    browser: "The server has no voice: your browser reads the agent's sentences aloud.",
    none: "The server has no voice and this browser cannot speak: read the agent's answers below.",
  }[s.tts];
  $("speech-mode").textContent = `${heard} ${voice}`;
  $("talk").hidden = s.stt !== "browser";
}

// --- microphone -------------------------------------------------------

async function refreshMics() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  let devices;
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const sel = $("mic");
  const current = sel.value;
  const options = [new Option("Default microphone", "")];
  devices
    .filter((d) => d.kind === "audioinput" && d.deviceId && d.deviceId !== "default")
    .forEach((d, i) => options.push(new Option(d.label || `Microphone ${i + 1}`, d.deviceId)));
  sel.replaceChildren(...options);
  sel.value = options.some((o) => o.value === current) ? current : "";
}

// openMic asks for the microphone chosen ("" for the default).
async function openMic(deviceId) {
  const hint = "Meanwhile you can type to the agent.";
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new PageError("insecure", `The microphone is only available to pages served over HTTPS (or from localhost). ${hint}`);
  }
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId) audio.deviceId = { exact: deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio });
  } catch (e) {
    switch (e.name) {
      case "NotAllowedError":
      case "SecurityError":
        throw new PageError("mic-denied",
          `Microphone access was denied, so the agent cannot hear you. Allow the microphone for this site (in the address bar) and call again. ${hint}`);
      case "NotFoundError":
      case "OverconstrainedError":
        throw new PageError("no-mic", `No microphone was found. Connect one and call again. ${hint}`);
      case "NotReadableError":
        throw new PageError("no-mic", `The microphone could not be opened: another program may be using it. ${hint}`);
      default:
        throw new PageError("no-mic", `The microphone could not be opened (${e.message || e.name}). ${hint}`);
    }
  }
}

async function changeMic() {
  if (!call || !mic) return; // the next call uses it
  try {
    const next = await openMic($("mic").value);
    await call.setTrack(next.getAudioTracks()[0]);
    mic.getTracks().forEach((t) => t.stop());
    mic = next;
    micMeter?.close();
    micMeter = meter(mic);
    setMuted(state.muted);
  } catch (e) {
    fail(e);
  }
}

// meter measures a stream's level, when the browser can.
function meter(stream) {
  try {
    return audioCtx ? new Meter(audioCtx, stream) : null;
  } catch {
    return null;
  }
}

function setMuted(on) {
  state.muted = !!on;
  mic?.getAudioTracks().forEach((t) => { t.enabled = !state.muted; });
  $("mute").setAttribute("aria-pressed", String(state.muted));
  $("mute").textContent = state.muted ? "Unmute" : "Mute";
}

// --- the call ---------------------------------------------------------

async function startCall() {
  if (call || state.connection === "connecting") return;
  const agent = chosenAgent();
  if (!agent) {
    fail(new PageError("bad-request", "Choose an agent first."));
    return;
  }
  closeEvents();
  reset(state, agent);
  aborted = false;
  eventsDown = false;
  callToken = "";
  lastEventId = "";
  handedOff = false;
  wasConnected = false;
  serverEnded = false;
  transferredTo = "";
  clearError();
  setMuted(false);
  renderAll(state);
  controls();
  setStatus(`Calling ${agent}…`);

  // Made within the click, so that it may run; without Web Audio there
  // are no meters, and the call goes on.
  try {
    audioCtx ??= new AudioContext();
    audioCtx.resume().catch(() => {});
  } catch {
    audioCtx = null;
  }

  if (state.speech.stt === "server") {
    try {
      mic = await openMic($("mic").value);
      micMeter = meter(mic);
      refreshMics(); // labels are known now
    } catch (e) {
      fail(e); // the call goes on: the visitor can type
    }
  }
  try {
    call = await Call.connect({ agent, token: embedToken, iceServers: config.iceServers, stream: mic, ...handlers() });
  } catch (e) {
    stopMedia();
    state.connection = "failed";
    fail(e);
    setStatus("Not connected.");
    renderAll(state);
    controls();
    return;
  }
  state.callId = call.id;
  state.codec = call.codec;
  callToken = call.token;
  if (aborted) { // hang up was pressed meanwhile
    const c = call;
    call = null;
    await c.hangup();
    endCall("Hung up.");
    return;
  }
  openEvents(call.id, call.token);
  setStatus(`Connecting to ${agent}…`);
  renderAll(state);
  controls();
}

// handlers are the page's handlers for a new connection: those of an
// older one, left for it, are ignored.
function handlers() {
  const n = ++connections;
  const mine = (f) => (...args) => n === connections && f(...args);
  return { onTrack: mine(onTrack), onConnection: mine(onConnection), onChannel: mine(onChannel), onMessage: mine(onMessage) };
}

function onTrack(stream) {
  const audio = $("remote-audio");
  audio.srcObject = stream;
  audio.play().catch(() => setStatus("The browser blocked the agent's audio: click the page to hear it."));
  agentMeter?.close();
  // Chrome feeds a remote stream to Web Audio only while an element
  // plays it, which the <audio> above does.
  agentMeter = meter(stream);
}

function onConnection(st) {
  if (!call && st !== "connected") return;
  switch (st) {
    case "connected":
      clearTimeout(dropTimer);
      dropTimer = 0;
      wasConnected = true;
      state.connection = "connected";
      if (reconnect) {
        if (call) reconnected();
        else reconnect.up = true; // before its offer's answer was taken: tryReconnect finishes
        return;
      }
      setStatus(`In a call with ${state.agent}.`);
      break;
    case "disconnected":
      if (reconnect) break;
      setStatus("The connection is interrupted; trying to recover…");
      clearTimeout(dropTimer);
      dropTimer = setTimeout(() => dropped("disconnected"), DROP_MS);
      break;
    case "failed":
      dropped("failed");
      return;
  }
  renderAll(state);
  controls();
}

function onChannel(open) {
  if (!open && call) {
    dropped("closed");
    return;
  }
  controls();
}

// onMessage takes the server's control messages: the end of the call
// (hangup, transfer: then the server closes the connection), or its
// hand-over (reconnect: offer again at once).
function onMessage(msg) {
  switch (msg.type) {
    case "hangup":
    case "transfer":
      serverEnded = true;
      if (msg.type === "transfer") transferredTo = String(msg.number || "");
      break;
    case "reconnect":
      if (call) startReconnect();
      break;
  }
}

// over says whether the call is over, not just its connection.
function over() {
  return serverEnded || (state.ended && !goesOn(state.ended.outcome));
}

// dropped: the connection failed, or closed. A call that had connected
// and is not over is won back; otherwise it ends here.
function dropped(why) {
  clearTimeout(dropTimer);
  dropTimer = 0;
  if (reconnect) {
    retryLater(new PageError("network", "The new connection did not come up."));
    return;
  }
  if (!call) return;
  if (wasConnected && !over() && state.callId && callToken) {
    startReconnect();
    return;
  }
  if (why === "failed") {
    state.connection = "failed";
    fail(new PageError("network",
      "The call's connection failed (network): the audio could not reach the server. A firewall may block it, or the server needs a TURN server."));
    endCall("Not connected.");
    return;
  }
  endCall(transferredTo ? `The agent transferred the call to ${transferredTo}.` : "The server ended the call.");
}

// startReconnect leaves the connection and offers a new one for the same
// call; the microphone, the transcript and the events stream stay.
function startReconnect() {
  if (reconnect || !call) return;
  const old = call;
  call = null;
  connections++; // the old connection's handlers are ignored from now
  old.close();
  hush();
  state.connection = "reconnecting";
  state.agentState = "";
  reconnect = { until: Date.now() + RECONNECT_MS, attempt: 0, timer: 0, up: false };
  setStatus("Reconnecting…");
  renderAll(state);
  controls();
  tryReconnect();
}

async function tryReconnect() {
  const r = reconnect;
  if (!r) return;
  r.attempt++;
  let c;
  try {
    c = await Call.connect({
      agent: state.agent, token: callToken, resume: state.callId, iceServers: config.iceServers, stream: mic, ...handlers(),
    });
  } catch (e) {
    if (r === reconnect) retryLater(e);
    return;
  }
  if (r !== reconnect) { // hung up meanwhile
    c.hangup();
    return;
  }
  call = c;
  callToken = c.token || callToken;
  state.codec = c.codec;
  if (r.up) {
    reconnected();
    return;
  }
  // Won once the media connects (onConnection); a connection that does
  // not come up is tried again.
  clearTimeout(r.timer);
  r.timer = setTimeout(() => r === reconnect && dropped("timeout"), 10000);
  controls();
}

// retryLater tries again after the backoff, or gives up: the call is
// over, or the time is.
function retryLater(e) {
  const r = reconnect;
  if (call) {
    call.close();
    call = null;
    connections++;
  }
  clearTimeout(r.timer);
  r.up = false;
  const wait = retryDelay(r.attempt, e?.kind);
  if (wait < 0 || Date.now() + wait > r.until) {
    reconnect = null;
    state.connection = "failed";
    fail(wait < 0 ? e : new PageError("network",
      "The call's connection was lost and could not be won back (network). Check the connection and call again."));
    endCall("Disconnected.");
    return;
  }
  setStatus(`Reconnecting… (attempt ${r.attempt + 1})`);
  r.timer = setTimeout(tryReconnect, wait);
}

// reconnected: the call goes on over its new connection.
function reconnected() {
  clearTimeout(reconnect.timer);
  reconnect = null;
  handedOff = false;
  page.reconnects++;
  if (state.errorKind === "events") clearError();
  if (!events) {
    eventsDown = false;
    openEvents(state.callId, callToken); // from the last event seen
  }
  setStatus(`In a call with ${state.agent} (reconnected).`);
  renderAll(state);
  controls();
}

// endCall releases the call's media; the events stream stays open a few
// seconds for the call's last events (ended).
function endCall(status) {
  clearTimeout(dropTimer);
  dropTimer = 0;
  if (reconnect) {
    clearTimeout(reconnect.timer);
    reconnect = null;
  }
  connections++;
  listener?.stop();
  if (call) {
    call.close();
    call = null;
  }
  stopMedia();
  hush();
  if (state.connection !== "failed") state.connection = "ended";
  state.agentState = "";
  if (events && !eventsTimer) eventsTimer = setTimeout(closeEvents, 5000);
  if (status) setStatus(status);
  renderAll(state);
  controls();
}

async function hangup() {
  if (reconnect && !call) { // between connections: nothing to tell the server
    endCall("Hung up.");
    return;
  }
  if (!call) {
    if (state.connection === "connecting") aborted = true;
    return;
  }
  setStatus("Hanging up…");
  const c = call;
  call = null;
  await c.hangup();
  endCall("Hung up.");
}

function stopMedia() {
  mic?.getTracks().forEach((t) => t.stop());
  mic = null;
  micMeter?.close();
  micMeter = null;
  agentMeter?.close();
  agentMeter = null;
  $("remote-audio").srcObject = null;
}

// --- events -----------------------------------------------------------

function openEvents(id, token) {
  let got = !!lastEventId;
  const es = new EventSource(eventsURL(id, token, lastEventId));
  events = es;
  for (const name of EVENTS) {
    es.addEventListener(name, (e) => {
      got = true;
      if (e.lastEventId) lastEventId = e.lastEventId;
      let d;
      try {
        d = JSON.parse(e.data);
      } catch {
        return;
      }
      onEvent(name, d);
    });
  }
  es.onerror = () => {
    if (es !== events) return;
    if (es.readyState === EventSource.CLOSED) {
      events = null;
      eventsDown = true;
      if (reconnect) return; // reopened once the call is back
      if (!state.ended) {
        fail(new PageError("events", got
          ? "The call's live events stopped: the transcript, fields and services are no longer updated."
          : "This call's live events are not available: the call goes on, but the transcript, fields and services will not show."));
      }
    } else if (call && !reconnect && !handedOff && state.connection === "connected") {
      setStatus("Live events interrupted; reconnecting…");
    }
  };
}

function closeEvents() {
  clearTimeout(eventsTimer);
  eventsTimer = 0;
  events?.close();
  events = null;
}

function onEvent(name, d) {
  apply(state, name, d);
  switch (name) {
    case "saying":
      if (state.speech.tts === "browser") say(d.text, lang());
      break;
    case "said":
      if (d.interrupted && state.speech.tts === "browser") hush();
      break;
    case "ended":
      if (goesOn(d.outcome)) { // its connection ended; the call goes on over another
        handedOff = true;
        break;
      }
      closeEvents();
      endCall(`Call ended${d.outcome ? ` (${d.outcome})` : ""}.`);
      break;
  }
  renderAll(state);
}

// --- typing, keys, the browser's recognition -------------------------

function sendText(text, source) {
  text = String(text || "").trim();
  if (!text) return false;
  if (!call?.send({ type: "text", text })) {
    fail(new PageError("network", "Not connected: the text was not sent."));
    return false;
  }
  typed(state, text, source, eventsDown);
  renderTranscript(state);
  return true;
}

function sendDigit(d) {
  d = String(d);
  if (!/^[0-9*#]$/.test(d)) return false;
  return !!call?.send({ type: "dtmf", digit: d });
}

function toggleTalk() {
  if (listener?.wanted) {
    listener.stop();
    return;
  }
  listener = new Listener(lang(), {
    onInterim: (words) => {
      typed(state, words, "browser");
      renderTranscript(state);
    },
    onFinal: (text) => sendText(text, "browser"),
    onStop: (why) => {
      if (why) fail(new PageError("recognition", why));
      talking(false);
    },
  });
  try {
    listener.start();
    talking(true);
  } catch (e) {
    fail(new PageError("recognition", `The browser's speech recognition did not start (${e.message || e}).`));
  }
}

function talking(on) {
  $("talk").setAttribute("aria-pressed", String(on));
  $("talk").textContent = on ? "Stop talking" : "Talk";
}

// --- save as test -----------------------------------------------------

async function save() {
  if (!state.callId) return;
  try {
    const blob = await fetchTranscript(state.callId, callToken);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${state.agent}-${state.callId}.yaml`.replace(/[^A-Za-z0-9._-]/g, "_");
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    fail(e);
  }
}

// --- levels -----------------------------------------------------------

function tickLevels() {
  state.levels.mic = micMeter ? micMeter.level() : 0;
  state.levels.agent = agentMeter ? agentMeter.level() : 0;
  $("mic-level").value = display(state.levels.mic);
  $("agent-level").value = display(state.levels.agent);
}

// --- start ------------------------------------------------------------

function bind() {
  $("call").addEventListener("click", startCall);
  $("hangup").addEventListener("click", hangup);
  $("mute").addEventListener("click", () => setMuted(!state.muted));
  $("mic").addEventListener("change", changeMic);
  $("agent").addEventListener("change", describeAgent);
  $("talk").addEventListener("click", toggleTalk);
  $("save").addEventListener("click", save);
  $("keypad").addEventListener("click", (e) => {
    const d = e.target.closest("button[data-digit]")?.dataset.digit;
    if (d) sendDigit(d);
  });
  $("text-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (sendText($("text").value, "typed")) $("text").value = "";
  });
  navigator.mediaDevices?.addEventListener?.("devicechange", refreshMics);
  // Leaving the page ends the call at once rather than at the server's
  // timeout.
  addEventListener("pagehide", () => {
    call?.send({ type: "hangup" });
    call?.close();
  });
}

async function init() {
  if (embed) {
    document.body.classList.add("embed");
    $("keypad-box").open = false; // room for the transcript
  }
  bind();
  setInterval(tickLevels, 50);
  const { config: c, problem } = await loadConfig();
  config = c;
  page.config = c;
  fillAgents();
  speechModes();
  refreshMics();
  page.ready = true;
  controls();
  const typeName = $("agent-custom").hidden ? "" : " Type the agent's name.";
  if (problem) fail(new PageError("config", problem + typeName));
  else if (!config.agents.length) fail(new PageError("config", "This server lists no agents for the page." + typeName));
  setStatus(embed ? "Press Call to talk to us." : "Ready: choose an agent and press Call.");
}

init();
