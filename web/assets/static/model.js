// model.js: what the page knows of a call, and how each call event
// changes it. Pure: no DOM, no network, so node can test it
// (web/testdata/model_test.mjs).

// newState returns the page's state before any call. The object is kept
// for the page's life (window.voiceagentPage.state); reset clears it for
// each new call.
export function newState() {
  const s = {
    agent: "", // the agent called
    callId: "", // from the offer's answer
    transport: "", // as the opened event names it (webrtc)
    connection: "idle", // idle | connecting | connected | reconnecting | ended | failed
    agentState: "", // "" | listening | thinking | speaking (from turn events)
    phase: "", // the dialog's state (from state events)
    levels: { mic: 0, agent: 0 }, // RMS 0..1, updated continuously by the page
    transcript: [], // entries, below
    fields: {}, // name -> {value, was}
    asking: "", // the field being asked
    services: [], // {intent, status: running|ok|failed, ms, waitMessage}
    timings: [], // per turn: {replyMs, endpointingMs, sttMs, externalMs, ttsMs, orchestratorMs}
    ended: null, // {outcome} once the call is over
    events: 0, // call events received
    speech: { stt: "", tts: "" }, // which recognition and voice the page uses
    lastError: "", // the last error shown, "" when none
    errorKind: "", // its kind (api.js PageError)
    muted: false,
    codec: "", // the codec the page preferred (audio/PCMU), "" when it could not choose
  };
  return s;
}

// reset clears a state for a new call to agent, keeping the object and
// what is not about one call (speech, levels).
export function reset(s, agent) {
  Object.assign(s, {
    agent, callId: "", transport: "", connection: "connecting", agentState: "", phase: "",
    transcript: [], fields: {}, asking: "", services: [], timings: [],
    ended: null, events: 0, lastError: "", errorKind: "", codec: "",
  });
}

// Transcript entries:
//   {who: "caller", text, interim: true, source: "voice"|"typed"|"browser"}
//     the caller's words so far (greyed), replaced by the final turn:
//   {who: "caller", text, keys, silence, private, interim: false}
//   {who: "agent", text, speaking: true}   a sentence being said
//   {who: "agent", text, heard, interrupted, speaking: false}
//     an answer that finished playing; when interrupted, heard is what the
//     caller heard of text.

// apply changes s by one call event (its SSE name and parsed data).
// Unknown events are counted and otherwise ignored.
export function apply(s, name, d) {
  s.events++;
  d = d || {};
  switch (name) {
    case "opened":
      s.transport = d.transport || "";
      break;
    case "turn":
      s.agentState = d.state || "";
      break;
    case "hearing":
      interim(s, d.words || "", "voice");
      break;
    case "heard":
      heard(s, d);
      break;
    case "saying":
      s.transcript.push({ who: "agent", text: d.text || "", speaking: true });
      break;
    case "said":
      said(s, d);
      break;
    case "field":
      s.fields[d.name] = { value: d.value || "", was: d.was || "" };
      break;
    case "state":
      fromState(s, d.state || {});
      break;
    case "service_started":
      s.services.push({ intent: d.intent || "", status: "running", ms: null, waitMessage: d.waitMessage || "" });
      break;
    case "service_finished": {
      const svc = findLast(s.services, (x) => x.intent === d.intent && x.status === "running");
      const done = { status: d.failed ? "failed" : "ok", ms: typeof d.ms === "number" ? d.ms : null };
      if (svc) Object.assign(svc, done);
      else s.services.push({ intent: d.intent || "", waitMessage: "", ...done });
      break;
    }
    case "timing":
      s.timings.push({
        replyMs: d.replyMs, endpointingMs: d.endpointingMs, sttMs: d.sttMs,
        externalMs: d.externalMs, ttsMs: d.ttsMs, orchestratorMs: d.orchestratorMs,
      });
      if (s.timings.length > 50) s.timings.shift();
      break;
    case "ended":
      if (goesOn(d.outcome)) {
        // This connection ended, not the call: it goes on over a new one.
        s.agentState = "";
        break;
      }
      s.ended = { outcome: d.outcome || "" };
      s.agentState = "";
      if (d.state) fromState(s, d.state);
      s.asking = "";
      break;
  }
}

// goesOn says whether a call's "ended" outcome is the end of a
// connection only: the call goes on over a new one (the page
// reconnects).
export function goesOn(outcome) {
  return outcome === "handover" || outcome === "connection-lost";
}

// typed shows words the caller sent as text (typed, or recognised by the
// browser) until the server's heard event replaces them; final, when no
// heard event will come (the call's events are not available), shows
// them as the caller's turn at once.
export function typed(s, text, source, final = false) {
  if (!final) {
    interim(s, text, source);
    return;
  }
  const entry = { who: "caller", text, interim: false, source };
  const i = findLastIndex(s.transcript, (x) => x.who === "caller" && x.interim);
  if (i >= 0) s.transcript[i] = entry;
  else s.transcript.push(entry);
}

// interim sets the caller's words so far: the open interim entry, or a
// new one.
function interim(s, words, source) {
  const e = findLast(s.transcript, (x) => x.who === "caller" && x.interim);
  if (e) {
    e.text = words;
    e.source = source;
  } else {
    s.transcript.push({ who: "caller", text: words, interim: true, source });
  }
}

// heard replaces the caller's interim words with the final turn.
function heard(s, d) {
  const entry = {
    who: "caller", text: d.text || "", keys: d.keys || "", silence: !!d.silence,
    private: !!d.private, interim: false,
  };
  const i = findLastIndex(s.transcript, (x) => x.who === "caller" && x.interim);
  if (i >= 0) s.transcript[i] = entry;
  else s.transcript.push(entry);
}

// said turns the sentences being said into the answer as it was heard:
// they are replaced, where the first of them was, by one entry.
function said(s, d) {
  const entry = {
    who: "agent", text: d.text || "", heard: d.heard ?? d.text ?? "",
    interrupted: !!d.interrupted, speaking: false,
  };
  const first = s.transcript.findIndex((x) => x.who === "agent" && x.speaking);
  if (first < 0) {
    s.transcript.push(entry);
    return;
  }
  s.transcript[first] = entry;
  s.transcript = s.transcript.filter((x, i) => i <= first || !(x.who === "agent" && x.speaking));
}

// fromState reads the dialog's state: its phase, the field asked and the
// slots collected (masked as the fields are).
function fromState(s, st) {
  s.phase = st.state || "";
  s.asking = st.asking || "";
  for (const [name, value] of Object.entries(st.slots || {})) {
    const f = s.fields[name];
    if (!f) s.fields[name] = { value: String(value), was: "" };
    else f.value = String(value);
  }
}

// splitHeard cuts an interrupted answer where the caller interrupted:
// [the part heard, the part not heard]. heard is the start of text in
// whole words, perhaps ending with "…"; if it is not, as many words of
// text as heard has are taken as heard.
export function splitHeard(text, heard) {
  const h = (heard || "").replace(/…$/, "").trimEnd();
  if (text.startsWith(h)) return [h, text.slice(h.length)];
  const n = h.split(/\s+/).filter(Boolean).length;
  const words = text.split(/(\s+)/); // words and the spaces between them
  const cut = Math.min(words.length, n * 2 - 1);
  return [words.slice(0, Math.max(cut, 0)).join(""), words.slice(Math.max(cut, 0)).join("")];
}

function findLastIndex(a, f) {
  for (let i = a.length - 1; i >= 0; i--) if (f(a[i])) return i;
  return -1;
}

function findLast(a, f) {
  const i = findLastIndex(a, f);
  return i < 0 ? undefined : a[i];
}
