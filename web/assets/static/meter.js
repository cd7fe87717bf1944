// meter.js: the level of a MediaStream's audio, read through an
// AnalyserNode (no audio is played through it).

export class Meter {
  // ctx is the page's AudioContext; stream has an audio track.
  constructor(ctx, stream) {
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.buf = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  // level is the RMS of the last ~20 ms of audio, 0 (silence) to 1 (a
  // full-scale square wave; a full-scale tone is 0.71).
  level() {
    this.analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (const v of this.buf) sum += v * v;
    return Math.min(1, Math.sqrt(sum / this.buf.length));
  }

  close() {
    this.source.disconnect();
  }
}

// display maps an RMS level to a meter's 0..1 on a 60 dB scale, so that
// speech (often -30 dB) shows half way.
export function display(rms) {
  if (!(rms > 0)) return 0;
  return Math.max(0, Math.min(1, (20 * Math.log10(rms) + 60) / 60));
}
