#!/bin/sh
# Regenerates the speech fixtures of vad_test.go with espeak-ng and sox:
# two sentences, each trimmed of espeak's own leading and trailing
# silence, joined by a 700 ms pause, padded with 400 ms of silence before
# and 500 ms after, with white noise at about -70 dBFS under everything;
# 8 kHz mono 16-bit WAV. It prints each sentence's duration, which
# vad_test.go turns into the expected speech boundaries. Made with
# espeak-ng 1.51 and sox 14.4.2 (Debian 12).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fixture() { # name voice sentence1 sentence2
	for i in 1 2; do
		eval "text=\$$((i + 2))"
		espeak-ng -v "$2" -w "$tmp/raw$i.wav" "$text"
		sox "$tmp/raw$i.wav" -r 8000 -b 16 -c 1 "$tmp/s$i.wav" \
			silence 1 0.005 0.1% reverse silence 1 0.005 0.1% reverse
		printf '%s sentence %d: %s s\n' "$1" "$i" "$(soxi -D "$tmp/s$i.wav")"
	done
	sox "$tmp/s1.wav" -p pad 0.4 0.7 | sox - "$tmp/s2.wav" -p | sox - "$tmp/speech.wav" pad 0 0.5
	len=$(soxi -D "$tmp/speech.wav")
	sox -n -r 8000 -b 16 -c 1 "$tmp/noise.wav" synth "$len" whitenoise vol 0.001
	sox -m -v 1 "$tmp/speech.wav" -v 1 "$tmp/noise.wav" -r 8000 -b 16 -c 1 "$1.wav"
	printf '%s: %s s\n' "$1" "$(soxi -D "$1.wav")"
}

fixture speech_es es "Quiero reservar una cita para mañana." "Me llamo Ana García."
fixture speech_en en-us "I would like to book an appointment." "My name is John Smith."
