// view.js: draws the state (model.js) into the page. Lists are redrawn
// whole: they are short, and events come a few a second at most. Text
// is always set as text, never as HTML.

import { splitHeard } from "./model.js";

const $ = (id) => document.getElementById(id);

// el makes an element with attributes and children (strings or nodes).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== "") e.append(c);
  return e;
}

const stateNames = { listening: "listening", thinking: "thinking", speaking: "speaking" };

export function renderAgentState(s) {
  const e = $("agent-state");
  let text = s.connection === "reconnecting" ? "" : stateNames[s.agentState] || "";
  if (!text) {
    text = {
      idle: "not in a call", connecting: "connecting…", connected: "connected", reconnecting: "reconnecting…",
      ended: "call ended", failed: "not in a call",
    }[s.connection] || s.connection;
  }
  e.textContent = text;
  e.dataset.state = (s.connection !== "reconnecting" && s.agentState) || s.connection;
}

export function renderTranscript(s) {
  const list = $("transcript");
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...s.transcript.map(entry));
  if (stick) list.scrollTop = list.scrollHeight;
}

function entry(e) {
  const attrs = {
    "data-testid": "entry", "data-who": e.who, class: `entry ${e.who}`,
    "data-interim": e.interim ? "true" : null, "data-private": e.private ? "true" : null,
    "data-speaking": e.speaking ? "true" : null, "data-interrupted": e.interrupted ? "true" : null,
  };
  const who = el("span", { class: "who" }, e.who === "agent" ? "Agent" : "You");
  if (e.who === "caller") {
    let text = e.text;
    if (!e.interim && !text && e.keys) text = `pressed ${e.keys}`;
    else if (!e.interim && e.keys) text = `${text} (pressed ${e.keys})`;
    if (!e.interim && !text && e.silence) text = "(silence)";
    const note = e.interim && e.source === "typed" ? " (typed)" : e.interim && e.source === "browser" ? " (browser)" : "";
    return el("li", attrs, who, el("span", { class: "text" }, text), note ? el("small", {}, note) : null);
  }
  if (e.interrupted) {
    const [heard, rest] = splitHeard(e.text, e.heard);
    return el("li", attrs, who,
      el("span", { class: "text" }, heard, rest ? el("del", { title: "not heard: the caller interrupted" }, rest) : null));
  }
  return el("li", attrs, who, el("span", { class: "text" }, e.text));
}

export function renderFields(s) {
  const names = Object.keys(s.fields);
  if (s.asking && !names.includes(s.asking)) names.push(s.asking);
  $("fields").replaceChildren(...names.map((name) => {
    const f = s.fields[name];
    const asking = name === s.asking;
    return el("li", { "data-field": name, "data-asking": asking ? "true" : null, class: asking ? "asking" : null },
      el("span", { class: "name" }, name),
      el("span", { class: "value" }, f ? f.value : "…"),
      f?.was ? el("small", { class: "was" }, `was ${f.was}`) : null,
      asking ? el("small", { class: "tag" }, "asking") : null);
  }));
}

export function renderServices(s) {
  $("services").replaceChildren(...s.services.map((x) => el("li",
    { "data-intent": x.intent, "data-status": x.status, "data-ms": x.ms ?? null, class: x.status },
    el("span", { class: "name" }, x.intent),
    el("span", { class: "status" }, x.status),
    el("span", { class: "ms" }, x.ms == null ? "" : `${Math.round(x.ms)} ms`))));
}

export function renderLatency(s) {
  const ms = (v) => (typeof v === "number" ? String(Math.round(v)) : "–");
  const n = s.timings.length;
  const rows = s.timings.slice(-10).reverse().map((t, i) => el("tr", { "data-turn": n - i },
    el("td", {}, String(n - i)), el("td", { class: "reply" }, ms(t.replyMs)), el("td", {}, ms(t.endpointingMs)),
    el("td", {}, ms(t.sttMs)), el("td", {}, ms(t.externalMs)), el("td", {}, ms(t.ttsMs)), el("td", {}, ms(t.orchestratorMs))));
  $("latency").tBodies[0].replaceChildren(...rows);
}

export function renderAll(s) {
  renderAgentState(s);
  renderTranscript(s);
  renderFields(s);
  renderServices(s);
  renderLatency(s);
  $("call-id").textContent = s.callId || "none yet";
}

// showError shows a sentence in the alert box ("" hides it).
export function showError(text) {
  const e = $("error");
  e.textContent = text;
  e.hidden = !text;
}

export function setStatus(text) {
  $("status").textContent = text;
}
