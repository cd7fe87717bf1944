package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/peterh/liner"
	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

func (a *app) chatCmd() *cobra.Command {
	var (
		config, agentName, stubsFile, from string
		live                               bool
		model                              llmFlags
	)
	cmd := &cobra.Command{
		Use:   "chat [--config FILE] [--agent NAME] [--stubs FILE | --live]",
		Short: "Talk to an agent by text in the terminal",
		Long: `chat holds a conversation with an agent in the terminal, as a caller would
by phone, and shows the requests its services make.

With no --config it offers the embedded example agents. Their APIs live on
the reserved .example domain, so their services are answered by embedded demo
stubs (marked "stub" in the output) unless --live is given. With --config,
services are called for real, or answered from --stubs FILE (a YAML file
with a stubs: map of intent to {status, body}, as in transcripts).

Commands: /state shows the call state and the fields collected; /dtmf 123#
presses keys (0-9, * and #); /wait 10s stays silent; /save FILE writes the
call as a replayable transcript, readable by you only (mode 0600); /quit (or
Ctrl-D) leaves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var paths []string
			if config != "" {
				paths = []string{config}
			}
			set, err := a.connect(cmd.Context(), paths)
			if err != nil {
				return err
			}
			defer set.Close()
			agent, err := a.pickChatAgent(set.Agents(), agentName)
			if err != nil {
				return err
			}
			exec, note, err := chatExecutor(agent, config == "", stubsFile, live, set.Executor())
			if err != nil {
				return err
			}
			ref := agent.Catalog.Agent.Name // an embedded example, by name
			if config != "" {
				ref = config
			}
			m, mc, err := a.model(&model)
			if err != nil {
				return err
			}
			var sm session.Model
			if m != nil {
				sm = session.Model{Understander: m, Phraser: m}
			}
			fmt.Fprintln(a.stdout, modelNote(mc))
			return a.chat(cmd.Context(), agent, exec, sm, note, from, ref)
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "agent file (default: the embedded example agents)")
	cmd.Flags().StringVar(&agentName, "agent", "", "which agent, when the file or the examples hold several")
	cmd.Flags().StringVar(&stubsFile, "stubs", "", "answer services from this stubs file instead of the network")
	cmd.Flags().BoolVar(&live, "live", false, "call the real services even for the embedded examples")
	cmd.Flags().StringVar(&from, "from", "", "caller number for {{caller_number}}")
	model.add(cmd.Flags(), true)
	return cmd
}

// pickChatAgent chooses by name, takes the only one, or asks.
func (a *app) pickChatAgent(agents []*session.Agent, name string) (*session.Agent, error) {
	var names []string
	for _, ag := range agents {
		if ag.Catalog.Agent.Name == name || len(agents) == 1 && name == "" {
			return ag, nil
		}
		names = append(names, ag.Catalog.Agent.Name)
	}
	if name != "" {
		return nil, usageErr("no agent %q; loaded: %s", name, strings.Join(names, ", "))
	}
	fmt.Fprintln(a.stdout, "Which agent?")
	for i, ag := range agents {
		ca := ag.Catalog.Agent
		fmt.Fprintf(a.stdout, "  %d. %s (%s): %d services\n", i+1, ca.Name, ca.Language, len(ag.Catalog.Services()))
	}
	fmt.Fprint(a.stdout, "number or name> ")
	line, err := a.stdinLines().ReadString('\n')
	line = strings.TrimSpace(line)
	for i, ag := range agents {
		if line == fmt.Sprint(i+1) || line == ag.Catalog.Agent.Name {
			return ag, nil
		}
	}
	if err != nil && line == "" {
		return nil, usageErr("no agent chosen; use --agent NAME (%s)", strings.Join(names, ", "))
	}
	return nil, usageErr("no agent %q; choose one of: %s", line, strings.Join(names, ", "))
}

// chatExecutor decides how services are answered, and says so.
func chatExecutor(agent *session.Agent, embedded bool, stubsFile string, live bool, real session.Executor) (session.Executor, string, error) {
	switch {
	case stubsFile != "":
		data, err := os.ReadFile(stubsFile)
		if err != nil {
			return nil, "", usageErr("%v", err)
		}
		stubs, err := transcript.ParseStubs(stubsFile, data)
		if err != nil {
			return nil, "", usageErr("%v", err)
		}
		return &session.Stubs{Responses: stubs}, "services answered from " + stubsFile, nil
	case embedded && !live:
		data, ok := configs.DemoStubs(agent.Catalog.Agent.Name)
		if !ok {
			return real, "services are called for real", nil
		}
		stubs, err := transcript.ParseStubs("demo stubs", data)
		if err != nil {
			return nil, "", err
		}
		return &session.Stubs{Responses: stubs, Next: real}, "services answered by demo stubs (--live calls them for real)", nil
	}
	return real, "services are called for real", nil
}

// chat runs the conversation loop.
func (a *app) chat(ctx context.Context, agent *session.Agent, exec session.Executor, model session.Model, note, from, ref string) error {
	ca := agent.Catalog.Agent
	fmt.Fprintf(a.stdout, "Talking to %s (%s). %s.\nType /help for commands, /quit or Ctrl-D to leave.\n\n", ca.Name, ca.Language, note)
	var offset time.Duration // moved on by /wait
	now := func() time.Time { return time.Now().Add(offset) }
	s := session.New(agent, exec, fmt.Sprintf("chat-%d", time.Now().Unix()), from)
	s.UseModel(model)
	start := s.Start(ctx, now())
	a.show(ctx, s, &start, exec)
	read, closeInput := a.lineReader()
	defer closeInput()
	for {
		line, err := read("you> ")
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, liner.ErrPromptAborted) {
				fmt.Fprintln(a.stdout)
				return nil
			}
			return err
		}
		line = strings.TrimSpace(line)
		var turn session.Turn
		switch {
		case line == "":
			continue
		case line == "/quit" || line == "/exit":
			return nil
		case line == "/help":
			fmt.Fprintln(a.stdout, "  /state  /dtmf DIGITS  /wait DURATION  /save FILE  /quit")
			continue
		case line == "/state":
			a.showState(s.State())
			continue
		case strings.HasPrefix(line, "/save "):
			a.save(s, ref, strings.TrimSpace(strings.TrimPrefix(line, "/save ")))
			continue
		case line == "/dtmf" || strings.HasPrefix(line, "/dtmf "):
			keys, err := dtmfKeys(strings.TrimPrefix(line, "/dtmf"))
			if err != nil {
				fmt.Fprintf(a.stdout, "  %v; nothing was pressed\n", err)
				continue
			}
			turn = s.Handle(ctx, dialog.DTMF{At: now(), Digits: keys})
		case strings.HasPrefix(line, "/wait "):
			d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(line, "/wait ")))
			if err != nil || d <= 0 {
				fmt.Fprintln(a.stdout, "  /wait takes a duration, like 10s")
				continue
			}
			turn = s.Wait(ctx, now().Add(d))
			offset += d
			if len(turn.Actions) == 0 {
				fmt.Fprintf(a.stdout, "  (silence; the agent waits %s before asking again)\n", ca.NoInput.Timeout.Std())
			}
		case strings.HasPrefix(line, "/"):
			fmt.Fprintf(a.stdout, "  unknown command %s; /help lists them\n", line)
			continue
		default:
			turn = s.Handle(ctx, dialog.Utterance{At: now(), Text: line})
		}
		a.show(ctx, s, &turn, exec)
		if turn.Ended() {
			return nil
		}
	}
}

// dtmfKeys checks the keys of /dtmf: digits, * and #.
func dtmfKeys(arg string) (string, error) {
	keys := strings.TrimSpace(arg)
	if keys == "" {
		return "", errors.New("/dtmf takes the keys to press, like /dtmf 123#")
	}
	for _, r := range keys {
		if (r < '0' || r > '9') && r != '*' && r != '#' {
			return "", fmt.Errorf("/dtmf: %q is not a key of a phone: use 0-9, * and #", r)
		}
	}
	return keys, nil
}

// lineReader reads lines with editing and history on a terminal, plainly
// otherwise.
func (a *app) lineReader() (func(prompt string) (string, error), func()) {
	if f, ok := a.stdin.(*os.File); ok && f == os.Stdin && liner.TerminalSupported() && isTerminal(f) {
		ln := liner.NewLiner()
		ln.SetCtrlCAborts(true)
		return func(prompt string) (string, error) {
			line, err := ln.Prompt(prompt)
			if err == nil && strings.TrimSpace(line) != "" {
				ln.AppendHistory(line)
			}
			return line, err
		}, func() { ln.Close() }
	}
	r := a.stdinLines()
	return func(prompt string) (string, error) {
		fmt.Fprint(a.stdout, prompt)
		line, err := r.ReadString('\n')
		if err != nil && line != "" {
			err = nil
		}
		fmt.Fprintln(a.stdout, strings.TrimRight(line, "\n"))
		return line, err
	}, func() {}
}

// stdinLines is the one buffered reader of stdin: a second one would
// lose what the first had buffered (piped input read by the agent picker).
func (a *app) stdinLines() *bufio.Reader {
	if a.stdinBuf == nil {
		a.stdinBuf = bufio.NewReader(a.stdin)
	}
	return a.stdinBuf
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// show prints a turn: the requests made and what the agent says, as
// configured or, with `phrasing: llm`, sentence by sentence as the model
// words it.
func (a *app) show(ctx context.Context, s *session.Session, t *session.Turn, exec session.Executor) {
	phrased := s.Phrases()
	if phrased {
		defer func() {
			s.Speak(ctx, t, func(sentence string) { fmt.Fprintf(a.stdout, "agent> %s\n", sentence) })
			if t.Ended() {
				fmt.Fprintln(a.stdout, "  (the agent hung up)")
			}
		}()
	}
	stubs, _ := exec.(*session.Stubs)
	ri := 0
	for _, act := range t.Actions {
		if ex, ok := act.(dialog.Execute); ok && ri < len(t.Results) {
			r := t.Results[ri]
			ri++
			source := ""
			if stubs != nil {
				if _, stubbed := stubs.Responses[ex.Intent]; stubbed {
					source = " (stub)"
				}
			}
			switch {
			case r.Request == nil:
				fmt.Fprintf(a.stdout, "  · %s: %v\n", "request not sent", r.Err)
			case r.Response == nil:
				fmt.Fprintf(a.stdout, "  · %s %s → %v\n", r.Request.Method, r.Request.RedactedURL(), r.Err)
			case r.Request.Method == tools.MethodMCP && r.Failed():
				fmt.Fprintf(a.stdout, "  · %s %s → %v%s\n", r.Request.Method, r.Request.RedactedURL(), r.Err, source)
			case r.Request.Method == tools.MethodMCP:
				fmt.Fprintf(a.stdout, "  · %s %s → ok%s\n", r.Request.Method, r.Request.RedactedURL(), source)
			default:
				fmt.Fprintf(a.stdout, "  · %s %s → %d%s\n", r.Request.Method, r.Request.RedactedURL(), r.Response.Status, source)
			}
			continue
		}
		if phrased {
			continue
		}
		if text := dialog.Text(act); text != "" {
			fmt.Fprintf(a.stdout, "agent> %s\n", text)
		}
		if _, ok := act.(dialog.End); ok {
			fmt.Fprintln(a.stdout, "  (the agent hung up)")
		}
	}
}

func (a *app) showState(st dialog.State) {
	fmt.Fprintf(a.stdout, "  state: %s", st.Phase)
	if st.Intent != "" {
		fmt.Fprintf(a.stdout, "  intent: %s", st.Intent)
	}
	if st.Asking != "" {
		fmt.Fprintf(a.stdout, "  asking: %s", st.Asking)
	}
	fmt.Fprintln(a.stdout)
	for _, k := range slices.Sorted(maps.Keys(st.Slots)) {
		fmt.Fprintf(a.stdout, "    %s = %s\n", k, st.Slots[k])
	}
}

// save writes the call as a transcript whose agent: points at the agent
// file from where the transcript is (or names the embedded example).
func (a *app) save(s *session.Session, ref, path string) {
	t := s.Transcript()
	t.Agent = ref
	if configs.IsAgentFile(ref) {
		abs, err1 := filepath.Abs(ref)
		dir, err2 := filepath.Abs(filepath.Dir(path))
		if rel, err3 := filepath.Rel(dir, abs); err1 == nil && err2 == nil && err3 == nil {
			t.Agent = rel
		}
	}
	data, err := transcript.Marshal(t)
	if err == nil {
		err = writePrivate(path, data)
	}
	if err != nil {
		fmt.Fprintf(a.stdout, "  cannot save: %v\n", err)
		return
	}
	fmt.Fprintf(a.stdout, "  saved %s; replay it with: voiceagent replay %s\n", path, path)
}

// writePrivate writes data to path, readable and writable by its owner
// only: a call holds caller data. A file already there is made private
// before it is written.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
