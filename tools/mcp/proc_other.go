//go:build !unix

package mcp

import "os/exec"

func inOwnGroup(*exec.Cmd) {}

func stopGroup(*exec.Cmd) {}
