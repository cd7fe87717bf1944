package main

import (
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
)

// loadCatalogs loads and compiles the agents in paths (services and
// dialog), or the embedded example agents when there are none. It returns the agents that compiled
// and every problem of every file.
func loadCatalogs(paths []string) ([]*tools.Catalog, configs.Problems) {
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
	for _, a := range agents {
		sa, err := session.NewAgent(a) // compiles services and the dialog
		problems = append(problems, configs.AsProblems(err)...)
		if err == nil && !hasFile(problems, a.Source.File) {
			catalogs = append(catalogs, sa.Catalog)
		}
	}
	problems.Sort()
	return catalogs, problems
}

func hasFile(ps configs.Problems, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

// mustLoad is loadCatalogs for commands that cannot run on a bad config:
// problems are a usage error (exit 2).
func mustLoad(paths []string) ([]*tools.Catalog, error) {
	catalogs, problems := loadCatalogs(paths)
	if len(problems) > 0 {
		return nil, &exitError{code: exitUsage, err: problems}
	}
	return catalogs, nil
}
