package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a check failed: invalid config under validate, a service fell back
	exitUsage  = 2 // bad flags or arguments, or a config that cannot be used
)

// exitError carries the exit code of a failed command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// errSilent is an error whose details were already printed.
var errSilent = errors.New("")

// errFailed reports a failed check whose details were already printed.
var errFailed = &exitError{code: exitFailed, err: errSilent}

// app holds what every command shares.
type app struct {
	stdin          io.Reader
	stdinBuf       *bufio.Reader // see stdinLines
	stdout, stderr io.Writer
	logLevel       string
	log            *slog.Logger
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "voiceagent",
		Short: "Voice agents that collect, confirm and call your APIs",
		Long: `voiceagent runs voice agents: callers talk to an agent that collects the data
a service needs, validates it, confirms sensitive actions, calls your APIs and
answers with what they returned.

With no --config, commands use the example agents embedded in the binary.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
				return usageErr("--log-level: want debug, info, warn or error")
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(a.log)
			return nil
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(a.validateCmd(), a.toolsCmd(), a.replayCmd(), a.chatCmd(), a.serveCmd())

	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if msg := ee.Error(); msg != "" {
			fmt.Fprintln(stderr, "voiceagent:", msg)
		}
		return ee.code
	}
	// Errors cobra raises itself: unknown commands, wrong argument counts.
	fmt.Fprintln(stderr, "voiceagent:", err)
	if strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(stderr, "Run 'voiceagent --help' for usage.")
	}
	return exitUsage
}
