// api.js: the server's HTTP side of a browser call, as the page uses it:
// the configuration, the SDP offer, the call's events and transcript.
// Every failure becomes a PageError whose message can be shown as is.

// PageError is a failure to tell the visitor: message is a plain
// sentence; kind names it for code and tests (mic-denied, no-mic,
// insecure, network, bad-request, not-admitted, unknown-agent,
// too-many, server-full, call-ended, unsupported, server).
export class PageError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// Paths of the server's side of the contract.
export const CONFIG_PATH = "/v1/web/config";
export const OFFER_PATH = "/webrtc/offer";
// eventsURL is the call's events; after, when set, is the id of the last
// event seen (as Last-Event-ID, for a stream opened anew).
export const eventsURL = (call, token, after) => `/v1/calls/${encodeURIComponent(call)}/events?token=${encodeURIComponent(token || "")}` +
  (after ? `&lastEventId=${encodeURIComponent(after)}` : "");
export const transcriptURL = (call, token) => `/v1/calls/${encodeURIComponent(call)}/transcript?token=${encodeURIComponent(token || "")}`;

// defaultConfig is assumed when the server gives none: no agents listed
// (the visitor types a name), no STUN or TURN (host candidates only:
// enough on one machine or network), the server's own speech.
export function defaultConfig() {
  return { agents: [], iceServers: [], speech: { stt: true, tts: true } };
}

// normalizeConfig keeps what the page uses of a configuration, with
// defaults for what is missing.
export function normalizeConfig(c) {
  const d = defaultConfig();
  if (!c || typeof c !== "object") return d;
  const agents = Array.isArray(c.agents) ? c.agents.filter((a) => a && typeof a.name === "string" && a.name) : [];
  return {
    agents: agents.map((a) => ({
      name: a.name,
      language: a.language || "",
      description: a.description || "",
      services: Array.isArray(a.services) ? a.services.map(String) : [],
    })),
    iceServers: Array.isArray(c.iceServers) ? c.iceServers : [],
    speech: {
      stt: c.speech?.stt !== false,
      tts: c.speech?.tts !== false,
    },
  };
}

// loadConfig fetches the configuration; when it cannot, it returns the
// default one and a sentence saying why.
export async function loadConfig() {
  let res;
  try {
    res = await fetch(CONFIG_PATH, { headers: { Accept: "application/json" }, cache: "no-store" });
  } catch {
    return { config: defaultConfig(), problem: "Could not reach the server to list its agents (network)." };
  }
  if (!res.ok) {
    return { config: defaultConfig(), problem: `The server lists no agents for the page (HTTP ${res.status}).` };
  }
  try {
    return { config: normalizeConfig(await res.json()), problem: "" };
  } catch {
    return { config: defaultConfig(), problem: "The server's list of agents could not be read." };
  }
}

// postOffer sends the offer and returns the answer {call, sdp, token}.
// resume, when set, is the id of the call to go on with (its connection
// lost, or handed over); token is then the call's token.
export async function postOffer(agent, sdp, token, resume) {
  const body = { agent, sdp };
  if (token) body.token = token;
  if (resume) body.resume = resume;
  let res;
  try {
    res = await fetch(OFFER_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new PageError("network", "Could not reach the server to start the call (network). Check the connection and try again.");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: a server without this route, or a proxy's page
  }
  if (!res.ok) throw offerError(res.status, data);
  if (!data || typeof data.sdp !== "string" || !data.call) {
    throw new PageError("server", "The server's answer to the call could not be read.");
  }
  return { call: String(data.call), sdp: data.sdp, token: data.token || "" };
}

// offerError is the PageError for a refused offer: the server's own
// sentence when it gave one, else one for the status.
export function offerError(status, data) {
  const said = data && typeof data.error === "string" && data.error.trim() ? data.error.trim() : "";
  const kinds = { 400: "bad-request", 401: "not-admitted", 403: "not-admitted", 404: "unknown-agent", 409: "call-ended", 429: "too-many", 503: "server-full" };
  let kind = kinds[status] || "server";
  if (said) return new PageError(kind, said);
  const plain = {
    400: "The server could not read the call request (HTTP 400).",
    401: "The server did not admit this call (HTTP 401). If this page was opened from another site, reload it for a fresh token.",
    403: "The server did not admit this call (HTTP 403).",
    409: "The call has ended and cannot be resumed.",
    429: "Too many calls from here at once. Wait a moment and try again.",
    503: "The server is full or shutting down. Try again in a moment.",
  };
  if (status === 404) {
    kind = "unsupported"; // no JSON: the route itself is missing
    return new PageError(kind, "This server does not take browser calls (no /webrtc/offer).");
  }
  return new PageError(kind, plain[status] || `The server could not start the call (HTTP ${status}).`);
}

// fetchTranscript returns the call's transcript as a YAML Blob.
export async function fetchTranscript(call, token) {
  let res;
  try {
    res = await fetch(transcriptURL(call, token), { headers: { Accept: "application/yaml, text/yaml, */*" }, cache: "no-store" });
  } catch {
    throw new PageError("network", "Could not reach the server for the transcript (network).");
  }
  if (!res.ok) {
    let said = "";
    try {
      said = (await res.json()).error || "";
    } catch {
      // not JSON
    }
    const why = said || (res.status === 404 ? "the server has no transcript for this call" : `HTTP ${res.status}`);
    throw new PageError(res.status === 404 ? "unsupported" : "server", `Could not save the call as a test: ${why}.`);
  }
  return new Blob([await res.arrayBuffer()], { type: "application/yaml" });
}
