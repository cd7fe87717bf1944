// model_test.mjs DIR: the page's pure modules, run by node against the
// assets unpacked in DIR (web_test.go's TestNodeRunsTheScripts).
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const load = (name) => import(pathToFileURL(`${dir}/static/${name}`).href);
const { newState, reset, apply, typed, splitHeard, goesOn } = await load("model.js");
const { orderCodecs, retryDelay, RECONNECT_MS } = await load("call.js");
const { offerError, normalizeConfig, eventsURL, transcriptURL } = await load("api.js");
const { display } = await load("meter.js");

const tests = [];
const test = (name, f) => tests.push([name, f]);

test("interim words are replaced by the final turn", () => {
  const s = newState();
  reset(s, "clinica-central");
  apply(s, "hearing", { words: "quiero", private: false });
  apply(s, "hearing", { words: "quiero una cita", private: false });
  assert.equal(s.transcript.length, 1);
  assert.deepEqual(s.transcript[0], { who: "caller", text: "quiero una cita", interim: true, source: "voice" });
  apply(s, "heard", { text: "quiero una cita de cardiología", keys: "", silence: false, private: false });
  assert.equal(s.transcript.length, 1);
  assert.equal(s.transcript[0].interim, false);
  assert.equal(s.transcript[0].text, "quiero una cita de cardiología");
  apply(s, "hearing", { words: "[redacted]", private: true });
  apply(s, "heard", { text: "[redacted]", keys: "", silence: false, private: true });
  assert.equal(s.transcript.length, 2);
  assert.equal(s.transcript[1].private, true);
});

test("keys and silences are turns too", () => {
  const s = newState();
  apply(s, "heard", { text: "", keys: "5", silence: false, private: false });
  apply(s, "heard", { text: "", keys: "", silence: true, private: false });
  assert.equal(s.transcript[0].keys, "5");
  assert.equal(s.transcript[1].silence, true);
});

test("an answer's sentences become the answer as heard", () => {
  const s = newState();
  apply(s, "saying", { text: "Hola." });
  apply(s, "saying", { text: "¿En qué puedo ayudarte?" });
  apply(s, "hearing", { words: "quiero", private: false }); // barge-in: the caller speaks meanwhile
  assert.equal(s.transcript.filter((e) => e.speaking).length, 2);
  apply(s, "said", { text: "Hola. ¿En qué puedo ayudarte?", heard: "Hola. ¿En qué…", interrupted: true });
  assert.deepEqual(s.transcript.map((e) => e.who), ["agent", "caller"]);
  assert.deepEqual(s.transcript[0], { who: "agent", text: "Hola. ¿En qué puedo ayudarte?", heard: "Hola. ¿En qué…", interrupted: true, speaking: false });
  apply(s, "said", { text: "Sin saying.", heard: "Sin saying.", interrupted: false });
  assert.equal(s.transcript[2].text, "Sin saying.");
});

test("an interrupted answer is cut where the caller interrupted", () => {
  assert.deepEqual(splitHeard("Hola. ¿En qué puedo ayudarte?", "Hola. ¿En qué…"), ["Hola. ¿En qué", " puedo ayudarte?"]);
  assert.deepEqual(splitHeard("Hola. ¿En qué puedo ayudarte?", ""), ["", "Hola. ¿En qué puedo ayudarte?"]);
  assert.deepEqual(splitHeard("Hola.", "Hola."), ["Hola.", ""]);
  // Not a prefix (masked differently): as many words as were heard.
  assert.deepEqual(splitHeard("Tu correo j•••@•••.com quedó", "Tu mail x…"), ["Tu correo j•••@•••.com", " quedó"]);
});

test("fields, the one asked, and the state's slots", () => {
  const s = newState();
  apply(s, "field", { name: "email", value: "j•••@•••.com", was: "" });
  apply(s, "state", { state: { state: "collecting", intent: "agendar_cita", slots: { email: "j•••@•••.com", fecha: "2024-01-15" }, asking: "nombre" } });
  assert.equal(s.phase, "collecting");
  assert.equal(s.asking, "nombre");
  assert.deepEqual(Object.keys(s.fields), ["email", "fecha"]);
  apply(s, "field", { name: "fecha", value: "2024-01-16", was: "2024-01-15" });
  assert.deepEqual(s.fields.fecha, { value: "2024-01-16", was: "2024-01-15" });
  apply(s, "ended", { outcome: "caller-hangup", state: { state: "done", slots: {} } });
  assert.equal(s.asking, "");
  assert.deepEqual(s.ended, { outcome: "caller-hangup" });
});

test("an ended connection of a call that goes on is not the end of the call", () => {
  const s = newState();
  reset(s, "clinica-central");
  apply(s, "turn", { state: "listening" });
  apply(s, "state", { state: { state: "collecting", slots: { nombre: "María López" }, asking: "fecha" } });
  for (const outcome of ["handover", "connection-lost"]) {
    assert.ok(goesOn(outcome));
    apply(s, "ended", { outcome, state: { state: "collecting", slots: {}, asking: "fecha" } });
    assert.equal(s.ended, null, outcome);
    assert.equal(s.agentState, "");
    assert.equal(s.asking, "fecha");
  }
  // The call goes on over the new connection, with its transcript.
  apply(s, "opened", { transport: "webrtc" });
  apply(s, "saying", { text: "Perdona, se ha cortado un momento." });
  assert.equal(s.transcript.length, 1);
  apply(s, "ended", { outcome: "caller-hangup" });
  assert.ok(!goesOn("caller-hangup"));
  assert.deepEqual(s.ended, { outcome: "caller-hangup" });
});

test("a lost connection is tried again with backoff, unless the call cannot go on", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, "network")), [500, 1000, 2000, 4000, 8000, 8000]);
  for (const kind of ["server-full", "too-many", "server"]) assert.equal(retryDelay(1, kind), 500, kind);
  for (const kind of ["call-ended", "not-admitted", "bad-request", "unknown-agent", "unsupported", undefined]) {
    assert.equal(retryDelay(1, kind), -1, kind);
  }
  // Every attempt within the time allowed: at least 6.
  let t = 0, n = 0;
  while (t + retryDelay(n + 1, "network") <= RECONNECT_MS) t += retryDelay(++n, "network");
  assert.ok(n >= 6, `${n} attempts`);
});

test("services run, then finish ok or failed with their time", () => {
  const s = newState();
  apply(s, "service_started", { intent: "a", waitMessage: "Un momento" });
  apply(s, "service_started", { intent: "b", waitMessage: "" });
  assert.deepEqual(s.services.map((x) => x.status), ["running", "running"]);
  apply(s, "service_finished", { intent: "b", ms: 12.5, failed: true });
  apply(s, "service_finished", { intent: "a", ms: 300, failed: false });
  assert.deepEqual(s.services.map((x) => [x.intent, x.status, x.ms]), [["a", "ok", 300], ["b", "failed", 12.5]]);
  apply(s, "service_finished", { intent: "c", ms: 1, failed: false }); // its start missed
  assert.equal(s.services[2].status, "ok");
});

test("turns and timings", () => {
  const s = newState();
  apply(s, "turn", { state: "thinking" });
  assert.equal(s.agentState, "thinking");
  apply(s, "timing", { replyMs: 800, endpointingMs: 600, sttMs: 100, externalMs: 0, ttsMs: 80, orchestratorMs: 20 });
  assert.equal(s.timings[0].replyMs, 800);
  apply(s, "nonsense", {});
  assert.equal(s.events, 3);
});

test("typed words wait for the server's heard, unless no events come", () => {
  const s = newState();
  typed(s, "hola", "typed");
  assert.equal(s.transcript[0].interim, true);
  apply(s, "heard", { text: "hola", keys: "", silence: false, private: false });
  assert.equal(s.transcript.length, 1);
  typed(s, "buenos", "browser");
  typed(s, "buenos días", "browser", true);
  assert.deepEqual(s.transcript[1], { who: "caller", text: "buenos días", interim: false, source: "browser" });
});

test("reset keeps the object, speech and levels", () => {
  const s = newState();
  s.speech.stt = "browser";
  apply(s, "turn", { state: "speaking" });
  s.callId = "CA1";
  s.lastError = "x";
  const same = s;
  reset(s, "tienda-online");
  assert.equal(s, same);
  assert.equal(s.callId, "");
  assert.equal(s.agentState, "");
  assert.equal(s.lastError, "");
  assert.equal(s.speech.stt, "browser");
  assert.equal(s.connection, "connecting");
});

test("PCMU first, Opus second, the rest kept in order", () => {
  const codecs = [
    { mimeType: "audio/opus" }, { mimeType: "audio/red" }, { mimeType: "audio/G722" },
    { mimeType: "audio/PCMU" }, { mimeType: "audio/PCMA" }, { mimeType: "audio/telephone-event" },
  ];
  assert.deepEqual(orderCodecs(codecs).map((c) => c.mimeType),
    ["audio/PCMU", "audio/opus", "audio/red", "audio/G722", "audio/PCMA", "audio/telephone-event"]);
  assert.deepEqual(orderCodecs([{ mimeType: "audio/opus" }]).map((c) => c.mimeType), ["audio/opus"]);
});

test("a refused offer says the server's sentence, or one for its status", () => {
  assert.equal(offerError(404, { error: "There is no agent called \"x\"." }).message, "There is no agent called \"x\".");
  assert.equal(offerError(404, { error: "x" }).kind, "unknown-agent");
  assert.equal(offerError(404, null).kind, "unsupported");
  assert.equal(offerError(503, { error: "Full." }).kind, "server-full");
  assert.equal(offerError(409, { error: "This call has ended." }).kind, "call-ended");
  assert.match(offerError(409, null).message, /ended/);
  assert.match(offerError(503, null).message, /full/);
  assert.equal(offerError(429, null).kind, "too-many");
  assert.equal(offerError(401, null).kind, "not-admitted");
  assert.equal(offerError(403, { error: "" }).kind, "not-admitted");
  assert.equal(offerError(400, null).kind, "bad-request");
  assert.match(offerError(502, null).message, /HTTP 502/);
});

test("a configuration with parts missing gets defaults", () => {
  assert.deepEqual(normalizeConfig(null), { agents: [], iceServers: [], speech: { stt: true, tts: true } });
  const c = normalizeConfig({ agents: [{ name: "a" }, { nope: 1 }, null], speech: { stt: false } });
  assert.deepEqual(c.agents, [{ name: "a", language: "", description: "", services: [] }]);
  assert.deepEqual(c.speech, { stt: false, tts: true });
  assert.equal(eventsURL("CA 1", "t+/="), "/v1/calls/CA%201/events?token=t%2B%2F%3D");
  assert.equal(eventsURL("CA1", "t", "1000005"), "/v1/calls/CA1/events?token=t&lastEventId=1000005");
  assert.equal(transcriptURL("CA1", "t"), "/v1/calls/CA1/transcript?token=t");
});

test("the meter's scale", () => {
  assert.equal(display(0), 0);
  assert.equal(display(NaN), 0);
  assert.equal(display(1), 1);
  assert.equal(display(0.001), 0);
  assert.ok(Math.abs(display(0.0316) - 0.5) < 0.01);
});

let failed = 0;
for (const [name, f] of tests) {
  try {
    await f();
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}
if (failed) process.exit(1);
console.log(`ok ${tests.length} tests`);
