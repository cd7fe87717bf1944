package calls

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/voiceagent/voiceagent/transcript"
)

// recorder writes each finished call's transcript to dir, named after
// its start and id: 20240115T093000Z-<id>.yaml.
type recorder struct {
	dir string
	log *slog.Logger
}

func (r recorder) observe(ev Event) {
	end, ok := ev.What.(Ended)
	if !ok {
		return
	}
	data, err := transcript.Marshal(end.Transcript)
	if err == nil {
		name := end.Started.UTC().Format("20060102T150405Z") + "-" + ev.Call + ".yaml"
		err = os.WriteFile(filepath.Join(r.dir, name), data, 0o600)
	}
	if err != nil {
		r.log.Warn("could not record the call", "call", ev.Call, "err", err)
	}
}
