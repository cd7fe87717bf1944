package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IsAgentFile reports whether a file name has an agent file extension.
func IsAgentFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// LoadPaths loads agent files; a directory stands for the agent files
// directly inside it (.yaml, .yml, .json), in name order. It returns every
// agent that could be decoded, and all problems of all files.
func LoadPaths(paths []string) ([]*Agent, error) {
	var agents []*Agent
	var problems Problems
	for _, path := range paths {
		files, err := agentFiles(path)
		if err != nil {
			problems = append(problems, Problem{File: path, Reason: err.Error()})
			continue
		}
		for _, file := range files {
			a, err := Load(file)
			if err != nil && !isProblems(err) {
				problems = append(problems, Problem{File: file, Reason: err.Error()})
				continue
			}
			problems = append(problems, AsProblems(err)...)
			if a != nil {
				agents = append(agents, a)
			}
		}
	}
	problems = append(problems, duplicateNames(agents)...)
	return agents, problems.Err()
}

func isProblems(err error) bool {
	_, ok := err.(Problems)
	return ok
}

func agentFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no such file or directory")
		}
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && IsAgentFile(e.Name()) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no agent files (.yaml, .yml, .json) in this directory")
	}
	slices.Sort(files)
	return files, nil
}

func duplicateNames(agents []*Agent) Problems {
	var problems Problems
	first := map[string]*Agent{}
	for _, a := range agents {
		if prev, dup := first[a.Name]; dup {
			problems = append(problems, a.Source.Problem("name",
				fmt.Sprintf("agent name %q is already used by %s; give each agent its own name", a.Name, prev.Source.File)))
			continue
		}
		first[a.Name] = a
	}
	return problems
}
