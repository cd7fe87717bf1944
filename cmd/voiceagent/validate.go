package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/configs"
)

func (a *app) validateCmd() *cobra.Command {
	var paths []string
	cmd := &cobra.Command{
		Use:   "validate [--config FILE|DIR]...",
		Short: "Check agent files and report every problem",
		Long: `validate loads agent files and reports every problem found, one per line, as
file:line: field.path: reason. A directory stands for the .yaml, .yml and .json
files in it. With no --config it checks the embedded example agents.

Warnings (file:line: field.path: warning: …) point at what works but may
confuse callers, such as two services whose references are too alike to
tell apart, or what another command needs, such as an environment variable
a ${VAR} names that is not set here; they do not fail validation.

Exit code 0 when every file is valid, 1 when any has problems, 2 when a
--config path does not exist.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, p := range paths {
				if _, err := os.Stat(p); err != nil {
					return usageErr("--config %s: %v", p, errors.Unwrap(err))
				}
			}
			catalogs, problems, warnings := loadChecked(paths, true)
			for _, c := range catalogs {
				mcpNote := ""
				if n := countMCP(c.Agent); n > 0 {
					mcpNote = fmt.Sprintf(", %s whose tools are listed when it connects", plural(n, "MCP integration"))
				}
				fmt.Fprintf(a.stdout, "ok   %s (%s: %s%s)\n", c.Agent.Source.File, c.Agent.Name, plural(len(c.Services()), "service"), mcpNote)
			}
			for _, p := range problems {
				fmt.Fprintln(a.stdout, p)
			}
			for _, w := range warnings {
				fmt.Fprintln(a.stdout, w)
			}
			if len(problems) > 0 {
				fmt.Fprintf(a.stdout, "FAIL %s in %s\n", plural(len(problems), "problem"), plural(countFiles(problems), "file"))
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "agent file or directory (repeatable)")
	return cmd
}

func countMCP(a *configs.Agent) int {
	n := 0
	for _, in := range a.Integrations {
		if in.Type == configs.IntegrationMCP {
			n++
		}
	}
	return n
}

func countFiles(ps configs.Problems) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.File] = true
	}
	return len(seen)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
