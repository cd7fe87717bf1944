package configs

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var examples embed.FS

//go:embed demo/*.yaml
var demo embed.FS

// DemoStubs returns the demo answers (a stubs file) for an embedded example
// agent, by name. Their APIs live on the reserved .example domain, so `chat`
// answers their services from these.
func DemoStubs(agent string) ([]byte, bool) {
	data, err := demo.ReadFile("demo/" + agent + ".yaml")
	return data, err == nil
}

// LoadExamples loads the example agents embedded in the binary, named
// configs/<file> in problems.
func LoadExamples() ([]*Agent, error) {
	names, err := fs.Glob(examples, "*.yaml")
	if err != nil {
		return nil, err
	}
	var agents []*Agent
	var problems Problems
	for _, name := range names {
		data, err := examples.ReadFile(name)
		if err != nil {
			return nil, err
		}
		a, err := Parse("configs/"+name, data)
		problems = append(problems, AsProblems(err)...)
		if a != nil {
			agents = append(agents, a)
		}
	}
	problems = append(problems, duplicateNames(agents)...)
	return agents, problems.Err()
}

// ExampleNames lists the embedded example agent files.
func ExampleNames() []string {
	names, _ := fs.Glob(examples, "*.yaml")
	return names
}
