package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/replay"
	"github.com/voiceagent/voiceagent/tools"
)

func (a *app) replayCmd() *cobra.Command {
	var (
		config  string
		asJSON  bool
		live    bool
		verbose bool
		useLLM  bool
		model   llmFlags
	)
	cmd := &cobra.Command{
		Use:   "replay [--config FILE] [--json] [--live] [--llm] PATH...",
		Short: "Run call transcripts against an agent as regression tests",
		Long: `replay runs transcripts (files, or folders searched for .yaml, .yml and .json)
through the dialog engine and the services' real request rendering and
response mapping. Services are answered by each transcript's stubs (or its
recorded responses) on a frozen, virtual clock, so replays are fast and
deterministic; --live sends requests without a stub to the real services.
Environment variables the agent uses (${VAR}) need not be set: a request
that would be sent while it needs an unset one fails its turn instead.

Each transcript names its agent (agent: path relative to the transcript, or
the name of an embedded example agent); --config runs all against one file.
An agent's MCP servers are connected to list their tools even offline (the
tool calls are stubbed like any service); a server that is down stops its
transcripts from running (exit 2).

Replays are offline: caller turns are read by the rules, or as a language
model read them when the call was recorded (model: in a turn). --llm reads
every caller turn with the model configured in the environment instead
(OPENAI_API_KEY, OPENAI_BASE_URL, VOICEAGENT_LLM_MODEL), to check a model
against the transcripts' expectations.

A redacted transcript (serve --redact-transcripts) runs up to the first turn
whose words or keys were withheld; that turn and those after it, and any
turn whose recorded text or requests were masked, are reported as not
checked, not as failures.

Exit code 0 when every transcript passes, 1 when any fails, 2 when one
cannot run (malformed transcript, agent that does not load).`,
		Example: `  voiceagent replay testdata/transcripts/
  voiceagent replay --config agent.yaml --json calls/booking.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := replay.Files(args)
			if err != nil {
				return usageErr("%v", err)
			}
			if len(files) == 0 {
				return usageErr("no transcripts in %v", args)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			r := &replay.Runner{Config: config, Live: live, Executor: &tools.Executor{Logger: a.log}, MCP: mcpOptions(a)}
			if useLLM {
				model.require = true
				m, c, err := a.model(&model)
				if err != nil {
					return err
				}
				if m == nil {
					return usageErr("--llm: no model configured: set OPENAI_API_KEY, or VOICEAGENT_LLM=openai and OPENAI_BASE_URL")
				}
				fmt.Fprintln(a.stderr, modelNote(c))
				r.Understander = m
			}
			defer r.Close()
			var results []replay.Result
			for _, f := range files {
				results = append(results, r.RunFile(ctx, f))
			}
			if asJSON {
				if err := replay.WriteJSON(a.stdout, results); err != nil {
					return err
				}
			} else {
				replay.WriteText(a.stdout, results, verbose)
			}
			switch s := replay.Summarize(results); {
			case s.Broken > 0:
				return &exitError{code: exitUsage, err: errSilent}
			case s.Failed > 0:
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "agent file for every transcript (overrides agent:)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON report")
	cmd.Flags().BoolVar(&live, "live", false, "send requests that have no stub to the real services")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show every turn, not only failing ones")
	cmd.Flags().BoolVar(&useLLM, "llm", false, "read caller turns with the language model configured in the environment")
	model.add(cmd.Flags(), false)
	return cmd
}
