//go:build ignore

// gen makes the caller's recorded speech for voiceload with espeak-ng and
// sox: go run testdata/gen.go (from cmd/voiceload). Each line of the
// script becomes testdata/NN.wav, 8 kHz mono, trimmed to its voice.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
)

// line is one thing the caller says and the espeak-ng speed (words per
// minute) it is said at; speeds keep the clips' lengths apart, which is
// how the fake recogniser tells them apart.
type line struct {
	Text  string `json:"text"`
	File  string `json:"file"`
	speed int
}

var script = []line{
	{Text: "quiero agendar una cita", speed: 125},
	{Text: "María López", speed: 130},
	{Text: "maria punto lopez arroba gmail punto com", speed: 165},
	{Text: "nueve nueve ocho siete seis cinco cuatro tres dos", speed: 175},
	{Text: "el lunes", speed: 140},
	{Text: "a las diez de la mañana", speed: 105},
	{Text: "cardiología", speed: 90},
	{Text: "sí confirmo", speed: 110},
}

func main() {
	for i := range script {
		l := &script[i]
		l.File = fmt.Sprintf("%02d.wav", i+1)
		raw := "testdata/raw.wav"
		run("espeak-ng", "-v", "es", "-s", fmt.Sprint(l.speed), "-w", raw, l.Text)
		// 8 kHz mono 16-bit, silence trimmed at both ends.
		run("sox", raw, "-r", "8000", "-c", "1", "-b", "16", "testdata/"+l.File,
			"silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse")
		os.Remove(raw)
	}
	b, err := json.MarshalIndent(script, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("testdata/script.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
}
