// Package mcptest finds the MCP reference server for tests that talk to a
// real MCP server nobody here wrote.
package mcptest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// EverythingVersion is the version of @modelcontextprotocol/server-everything
// the tests are written against.
const EverythingVersion = "2026.8.31"

const (
	// EnvPath names the server's dist/index.js; .ci/run sets it.
	EnvPath = "MCP_EVERYTHING"
	// EnvRequire, set to 1, makes a missing server fail the test instead of
	// skipping it; .ci/run sets it.
	EnvRequire = "VOICEAGENT_REQUIRE_MCP"
)

// Everything returns the path of the reference server's entry point
// (run it as: node PATH stdio), and sets MCP_EVERYTHING to it for agent
// files that say command: ["node", "${MCP_EVERYTHING}", "stdio"].
//
// It uses $MCP_EVERYTHING when set; otherwise it installs the server with
// npm into the user's cache folder once. Without node and npm the test is
// skipped with the reason, unless VOICEAGENT_REQUIRE_MCP=1.
func Everything(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvPath)
	if path == "" {
		path = install(t)
	}
	if _, err := os.Stat(path); err != nil {
		unavailable(t, "%s=%s: %v", EnvPath, path, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "node is not installed (apt-get install nodejs)")
	}
	t.Setenv(EnvPath, path)
	return path
}

func install(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "npm is not installed (apt-get install npm), and %s is not set", EnvPath)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "voiceagent-test", "server-everything-"+EverythingVersion)
	entry := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unavailable(t, "%v", err)
	}
	// Test binaries of several packages may get here at once.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		unavailable(t, "%v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		unavailable(t, "lock %s: %v", dir, err)
	}
	if _, err := os.Stat(entry); err == nil {
		return entry
	}
	cmd := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error",
		"@modelcontextprotocol/server-everything@"+EverythingVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "npm install @modelcontextprotocol/server-everything@%s: %v\n%s", EverythingVersion, err, out)
	}
	return entry
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("the MCP reference server is required ("+EnvRequire+"=1): "+format, args...)
	}
	t.Skipf("skipping: the MCP reference server is unavailable: "+format+" (set "+EnvPath+" or install node and npm)", args...)
}
