package main

import (
	"context"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/tools/mcp"
)

// loadCatalogs loads and compiles the agents in paths (services and
// dialog), or the embedded example agents when there are none. It returns
// the agents that compiled and every problem of every file. MCP tools are
// not listed: nothing connects.
func loadCatalogs(paths []string) ([]*tools.Catalog, configs.Problems) {
	catalogs, problems, _ := loadChecked(paths, false)
	return catalogs, problems
}

// loadChecked is loadCatalogs with the warnings of the agents that load:
// what an author should know though the agent works (services too alike to
// tell apart). With allowUnset, an unset environment variable is a warning
// too, for a command that sends nothing (validate).
func loadChecked(paths []string, allowUnset bool) ([]*tools.Catalog, configs.Problems, configs.Problems) {
	var (
		agents []*configs.Agent
		err    error
	)
	if len(paths) == 0 {
		agents, err = configs.LoadExamples()
	} else {
		agents, err = configs.LoadPaths(paths)
	}
	problems := configs.AsProblems(err)
	var catalogs []*tools.Catalog
	var warnings configs.Problems
	if allowUnset {
		var unset configs.Problems
		unset, problems = problems.SplitUnset()
		for _, p := range unset {
			p.Reason = "warning: " + p.Reason + ": serve, chat and tools will not start without it"
			warnings = append(warnings, p)
		}
	}
	for _, a := range agents {
		sa, err := session.NewAgent(a) // compiles services and the dialog
		problems = append(problems, configs.AsProblems(err)...)
		if err == nil && !hasFile(problems, a.Source.File) {
			catalogs = append(catalogs, sa.Catalog)
			warnings = append(warnings, sa.Engine.Warnings()...)
		}
	}
	problems.Sort()
	warnings.Sort()
	return catalogs, problems, warnings
}

func hasFile(ps configs.Problems, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

// connect loads the agents in paths (or the embedded examples) for a
// command that runs them: a config with problems is a usage error (exit 2).
// Their MCP servers are connected and their tools listed; a server that is
// down is logged and its tools are missing. Close the set when done.
func (a *app) connect(ctx context.Context, paths []string) (*agents.Set, error) {
	catalogs, problems := loadCatalogs(paths)
	if len(problems) > 0 {
		return nil, &exitError{code: exitUsage, err: problems}
	}
	set := agents.New(agents.Options{
		HTTP:   &tools.Executor{Logger: a.log},
		MCP:    mcpOptions(a),
		Logger: a.log,
	})
	for _, c := range catalogs {
		if _, err := set.Add(ctx, c.Agent); err != nil {
			set.Close()
			return nil, &exitError{code: exitUsage, err: err}
		}
	}
	return set, nil
}

// mcpOptions are the MCP connection settings of the commands: two attempts
// of up to 10s each, so that a server that is down costs seconds, not a
// minute.
func mcpOptions(a *app) mcp.Options {
	return mcp.Options{ConnectTimeout: 10 * time.Second, Attempts: 2, Logger: a.log}
}

// catalogsOf returns the compiled catalogs of the set's agents.
func catalogsOf(set *agents.Set) []*tools.Catalog {
	var out []*tools.Catalog
	for _, ag := range set.Agents() {
		out = append(out, ag.Catalog)
	}
	return out
}
