// speech.js: the browser's own speech, for servers without speech
// providers: recognition (SpeechRecognition, webkitSpeechRecognition in
// Chrome and Safari) and synthesis (speechSynthesis).

const Recognition = globalThis.SpeechRecognition || globalThis.webkitSpeechRecognition;

export const canRecognize = typeof Recognition === "function";
export const canSpeak = typeof globalThis.speechSynthesis === "object" && typeof globalThis.SpeechSynthesisUtterance === "function";

// Listener recognises the visitor's speech until stopped: onInterim(words
// so far), onFinal(a finished phrase), onStop(error sentence or "").
// Browsers end recognition after a pause or a minute; it restarts until
// stop is called.
export class Listener {
  constructor(lang, { onInterim, onFinal, onStop }) {
    this.wanted = false;
    this.r = new Recognition();
    this.r.lang = lang || navigator.language;
    this.r.continuous = true;
    this.r.interimResults = true;
    this.r.onresult = (e) => {
      let interim = "";
      for (let i = e.resultIndex; i < e.results.length; i++) {
        const text = e.results[i][0].transcript.trim();
        if (e.results[i].isFinal) {
          if (text) onFinal(text);
        } else {
          interim += (interim ? " " : "") + text;
        }
      }
      if (interim) onInterim(interim);
    };
    this.r.onerror = (e) => {
      const why = {
        "not-allowed": "The browser's speech recognition was not allowed the microphone.",
        "service-not-allowed": "The browser's speech recognition is not allowed here.",
        "audio-capture": "The browser's speech recognition found no microphone.",
        network: "The browser's speech recognition needs its own online service, which it could not reach (network).",
      }[e.error];
      if (why) {
        this.wanted = false;
        onStop(why);
      }
    };
    this.r.onend = () => {
      if (this.wanted) {
        try {
          this.r.start();
          return;
        } catch {
          this.wanted = false;
        }
      }
      onStop("");
    };
  }

  start() {
    this.wanted = true;
    this.r.start();
  }

  stop() {
    this.wanted = false;
    this.r.stop();
  }
}

// say speaks a sentence of the agent's in lang; sentences queue.
export function say(text, lang) {
  if (!canSpeak || !text) return;
  const u = new SpeechSynthesisUtterance(text);
  if (lang) u.lang = lang;
  speechSynthesis.speak(u);
}

// hush stops what is being said and drops the queue.
export function hush() {
  if (canSpeak) speechSynthesis.cancel();
}
