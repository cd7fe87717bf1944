//go:build unix

package mcp

import (
	"os/exec"
	"syscall"
)

// inOwnGroup starts cmd in a process group of its own, so that stopping it
// reaches what it started too (a wrapper script, npx, uv run).
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stopGroup sends SIGTERM to what is left of the command's process group,
// once the SDK has closed its input and stopped the command itself.
func stopGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}
