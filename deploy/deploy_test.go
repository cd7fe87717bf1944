// Package deploy holds what runs voiceagent as several instances behind a
// load balancer: haproxy.cfg here, and docker-compose.yml and the
// Dockerfile at the module's root. This test checks them against each
// other and against serve, since no container runs here: the files they
// name exist, the variables they set are ones serve and HAProxy read, the
// ports agree, the image builds the static binary.
package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const module = "github.com/voiceagent/voiceagent"

// compose is the part of docker-compose.yml checked here.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string `yaml:"image"`
	Build       any    `yaml:"build"`       // a context, or {context, dockerfile}
	Command     any    `yaml:"command"`     // a string or a list
	Environment any    `yaml:"environment"` // a map, or a list of NAME=VALUE
	Ports       []any  `yaml:"ports"`       // "HOST:CONTAINER/PROTO", or the long form
	Volumes     []any  `yaml:"volumes"`     // "SOURCE:TARGET[:MODE]", or the long form
	DependsOn   any    `yaml:"depends_on"`
}

// root is the module's folder (this package's parent).
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod in %s: %v", dir, err)
	}
	return dir
}

func loadCompose(t *testing.T, dir string) compose {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml: no services")
	}
	return c
}

// buildContext is a service's build context and Dockerfile, "" if it has
// no build.
func (s service) buildContext() (context, dockerfile string) {
	switch b := s.Build.(type) {
	case string:
		return b, "Dockerfile"
	case map[string]any:
		context, _ = b["context"].(string)
		dockerfile, _ = b["dockerfile"].(string)
		if context == "" {
			context = "."
		}
		if dockerfile == "" {
			dockerfile = "Dockerfile"
		}
		return context, dockerfile
	}
	return "", ""
}

// env is a service's environment as written (values not interpolated).
func (s service) env(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch e := s.Environment.(type) {
	case nil:
	case map[string]any:
		for k, v := range e {
			if v == nil {
				out[k] = ""
			} else {
				out[k] = fmt.Sprint(v)
			}
		}
	case []any:
		for _, kv := range e {
			k, v, _ := strings.Cut(fmt.Sprint(kv), "=")
			out[k] = v
		}
	default:
		t.Errorf("service %s: environment is a %T; want a map or a list", name, e)
	}
	return out
}

// args is a service's command as a list of words.
func (s service) args() []string {
	switch c := s.Command.(type) {
	case string:
		return strings.Fields(c)
	case []any:
		var out []string
		for _, a := range c {
			out = append(out, fmt.Sprint(a))
		}
		return out
	}
	return nil
}

// setting is what serve runs with for a flag and its variable: the flag in
// the command wins, as in serve; "" when neither is set.
func (s service) setting(t *testing.T, name, flag, variable string) string {
	t.Helper()
	args := s.args()
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+flag+"="); ok {
			return v
		}
		if a == "--"+flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return literal(s.env(t, name)[variable])
}

// literal resolves compose's ${NAME:-default} and ${NAME-default} to their
// default; anything else is returned as written.
func literal(v string) string {
	if m := regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*:?-(.*)\}$`).FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return v
}

// voiceagents are the services that run serve: the ones built here.
func voiceagents(t *testing.T, c compose) []string {
	t.Helper()
	var names []string
	for name, s := range c.Services {
		if ctx, _ := s.buildContext(); ctx != "" || strings.HasPrefix(s.Image, "voiceagent") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) < 2 {
		t.Fatalf("docker-compose.yml runs %d voiceagent instances (%v); want two or more", len(names), names)
	}
	return names
}

// lb is the name of the service that runs HAProxy.
func lb(t *testing.T, c compose) string {
	t.Helper()
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, "haproxy:") {
			return name
		}
	}
	t.Fatal("docker-compose.yml: no service runs the haproxy image")
	return ""
}

// TestComposeFiles: every build context, Dockerfile and mounted host file
// exists, and every named volume is declared.
func TestComposeFiles(t *testing.T) {
	dir := root(t)
	c := loadCompose(t, dir)
	for name, s := range c.Services {
		if ctx, df := s.buildContext(); ctx != "" {
			if st, err := os.Stat(filepath.Join(dir, ctx)); err != nil || !st.IsDir() {
				t.Errorf("service %s: build context %q is not a folder: %v", name, ctx, err)
			}
			if _, err := os.Stat(filepath.Join(dir, ctx, df)); err != nil {
				t.Errorf("service %s: Dockerfile %q: %v", name, filepath.Join(ctx, df), err)
			}
		}
		for _, v := range s.Volumes {
			src := ""
			switch v := v.(type) {
			case string:
				src, _, _ = strings.Cut(v, ":")
			case map[string]any:
				src, _ = v["source"].(string)
			}
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					t.Errorf("service %s mounts %q, which does not exist: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; src != "" && !ok {
				t.Errorf("service %s mounts the volume %q, which the file does not declare under volumes:", name, src)
			}
		}
	}
}

// TestComposeEnvironmentIsServes: every variable a voiceagent service sets
// is one serve reads, and the settings every instance must share are set
// alike on each.
func TestComposeEnvironmentIsServes(t *testing.T) {
	dir := root(t)
	c := loadCompose(t, dir)
	reads := serveReads(t, dir)
	shared := map[string]string{} // VOICEAGENT_SECRET and REDIS_URL as the first instance sets them
	for _, name := range voiceagents(t, c) {
		env := c.Services[name].env(t, name)
		for k := range env {
			if !reads[k] {
				t.Errorf("service %s sets %s, which serve does not read (a typo, or a setting serve lost?)", name, k)
			}
		}
		for _, k := range []string{"VOICEAGENT_SECRET", "REDIS_URL"} {
			v, ok := env[k]
			switch {
			case !ok || v == "":
				t.Errorf("service %s does not set %s; every instance needs it, the same", name, k)
			case shared[k] == "":
				shared[k] = v
			case shared[k] != v:
				t.Errorf("service %s sets %s to %q, another instance to %q; they must share it", name, k, v, shared[k])
			}
		}
		if v := env["VOICEAGENT_SECRET"]; v != "" && !strings.HasPrefix(v, "${VOICEAGENT_SECRET:?") {
			t.Errorf("service %s: VOICEAGENT_SECRET is %q; want ${VOICEAGENT_SECRET:?...}, required from the environment and never written here", name, v)
		}
	}
}

// serveReads are the environment variables serve may read: the names in
// string literals of the non-test Go files of cmd/voiceagent and the
// packages of this module it imports (getenv("VOICEAGENT_ADDR"),
// env(f.addr, "VOICEAGENT_ADDR", getenv), llm's OPENAI_API_KEY...). A
// literal that looks like a variable and is not one would pass; a
// variable serve never names cannot.
func serveReads(t *testing.T, dir string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if eq .Module.Path "`+module+`"}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}{{end}}`, "./cmd/voiceagent")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/voiceagent: %v", err)
	}
	name := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	reads := map[string]bool{}
	fset := token.NewFileSet()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, file := range fields[1:] {
			f, err := parser.ParseFile(fset, filepath.Join(fields[0], file), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && name.MatchString(s) {
						reads[s] = true
					}
				}
				return true
			})
		}
	}
	for _, must := range []string{"VOICEAGENT_ADDR", "VOICEAGENT_WEBRTC_UDP_PORT", "VOICEAGENT_SECRET", "OPENAI_API_KEY"} {
		if !reads[must] {
			t.Fatalf("found no %s among serve's sources (%d names): the search is broken", must, len(reads))
		}
	}
	return reads
}

// haproxyVars are the ${NAME} deploy/haproxy.cfg expands: required ones,
// and optional ones (with a default, or only inside `.if defined(NAME)`).
func haproxyVars(t *testing.T, dir string) (required, optional map[string]bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "deploy", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	required, optional = map[string]bool{}, map[string]bool{}
	ref := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(-[^}]*)?\}?`)
	defined := regexp.MustCompile(`(^|[^!])defined\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	var stack []map[string]bool // the names each open .if block is conditioned on
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		word, _, _ := strings.Cut(line, " ")
		switch word {
		case ".if":
			names := map[string]bool{}
			for _, m := range defined.FindAllStringSubmatch(line, -1) {
				names[m[2]] = true
			}
			stack = append(stack, names)
			continue
		case ".elif", ".else":
			if len(stack) > 0 {
				stack[len(stack)-1] = map[string]bool{}
			}
			continue
		case ".endif":
			if len(stack) == 0 {
				t.Fatalf("haproxy.cfg:%d: .endif without .if", n)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			guarded := slices.ContainsFunc(stack, func(names map[string]bool) bool { return names[m[1]] })
			if m[2] != "" || guarded {
				optional[m[1]] = true
			} else {
				required[m[1]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(required) == 0 {
		t.Fatal("haproxy.cfg expands no variable: the search is broken")
	}
	return required, optional
}

// TestComposeLoadBalancer: the lb service runs haproxy.cfg with every
// variable it needs, in front of every voiceagent instance on the port
// serve listens on, and publishes the port it binds.
func TestComposeLoadBalancer(t *testing.T) {
	dir := root(t)
	c := loadCompose(t, dir)
	name := lb(t, c)
	s := c.Services[name]
	// The tests run Debian 12's haproxy, 2.6, with the same file.
	if !strings.HasPrefix(s.Image, "haproxy:2.6") {
		t.Errorf("service %s runs %s; want haproxy:2.6, the version the tests run (Debian 12's)", name, s.Image)
	}
	mounted := false
	for _, v := range s.Volumes {
		if str, ok := v.(string); ok && str == "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("service %s does not mount ./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro (the image's configuration): %v", name, s.Volumes)
	}
	env := s.env(t, name)
	required, optional := haproxyVars(t, dir)
	for v := range required {
		if env[v] == "" {
			t.Errorf("haproxy.cfg needs ${%s}; service %s does not set it", v, name)
		}
	}
	for v := range env {
		if !required[v] && !optional[v] {
			t.Errorf("service %s sets %s, which haproxy.cfg does not use", name, v)
		}
	}
	// Backends: each voiceagent instance once, on the port serve listens on.
	instances := voiceagents(t, c)
	var backends []string
	for v, addr := range env {
		if !strings.HasPrefix(v, "VOICEAGENT_BACKEND_") {
			continue
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("service %s: %s=%q is not host:port", name, v, addr)
			continue
		}
		if !slices.Contains(instances, host) {
			t.Errorf("service %s: %s=%q names no voiceagent service (%v)", name, v, addr, instances)
			continue
		}
		listen := c.Services[host].setting(t, host, "addr", "VOICEAGENT_ADDR")
		if listen == "" {
			listen = ":8080" // serve's default
		}
		if _, want, err := net.SplitHostPort(listen); err != nil || port != want {
			t.Errorf("service %s: %s=%q; %s listens on %q", name, v, addr, host, listen)
		}
		backends = append(backends, host)
	}
	slices.Sort(backends)
	if !slices.Equal(backends, instances) {
		t.Errorf("service %s balances %v; want every voiceagent instance once: %v", name, backends, instances)
	}
	// The port it binds is published.
	_, bind, err := net.SplitHostPort(env["VOICEAGENT_LB_BIND"])
	if err != nil {
		t.Fatalf("service %s: VOICEAGENT_LB_BIND=%q: %v", name, env["VOICEAGENT_LB_BIND"], err)
	}
	if ps := published(t, name, s); !slices.ContainsFunc(ps, func(p port) bool { return p.container == bind && p.proto == "tcp" }) {
		t.Errorf("service %s binds port %s but publishes %v", name, bind, ps)
	}
}

// port is a published port.
type port struct{ host, container, proto string }

func published(t *testing.T, name string, s service) []port {
	t.Helper()
	var out []port
	for _, p := range s.Ports {
		switch p := p.(type) {
		case string:
			spec, proto, _ := strings.Cut(p, "/")
			if proto == "" {
				proto = "tcp"
			}
			parts := strings.Split(spec, ":") // [IP:]HOST:CONTAINER, or CONTAINER
			pp := port{container: parts[len(parts)-1], proto: proto}
			if len(parts) > 1 {
				pp.host = parts[len(parts)-2]
			}
			out = append(out, pp)
		case map[string]any:
			proto, _ := p["protocol"].(string)
			if proto == "" {
				proto = "tcp"
			}
			out = append(out, port{host: fmt.Sprint(p["published"]), container: fmt.Sprint(p["target"]), proto: proto})
		default:
			t.Errorf("service %s: a port is a %T", name, p)
		}
	}
	return out
}

// TestComposeWebRTCPorts: each instance has its own fixed UDP port for
// browser media, published as itself (the port in its answers is the one
// browsers reach), and an address to advertise.
func TestComposeWebRTCPorts(t *testing.T) {
	dir := root(t)
	c := loadCompose(t, dir)
	seen := map[string]string{}
	for _, name := range voiceagents(t, c) {
		s := c.Services[name]
		udp := s.setting(t, name, "webrtc-udp-port", "VOICEAGENT_WEBRTC_UDP_PORT")
		if n, err := strconv.Atoi(udp); err != nil || n <= 0 || n > 65535 {
			t.Errorf("service %s: --webrtc-udp-port/VOICEAGENT_WEBRTC_UDP_PORT is %q; want a fixed port to publish", name, udp)
			continue
		}
		if other, ok := seen[udp]; ok {
			t.Errorf("services %s and %s both take UDP port %s; each instance needs its own on the host", other, name, udp)
		}
		seen[udp] = name
		ps := published(t, name, s)
		if !slices.Contains(ps, port{host: udp, container: udp, proto: "udp"}) {
			t.Errorf("service %s: media on UDP %s, but it publishes %v; want %s:%s/udp", name, udp, ps, udp, udp)
		}
		if s.setting(t, name, "webrtc-public-ip", "VOICEAGENT_WEBRTC_PUBLIC_IP") == "" {
			t.Errorf("service %s sets no --webrtc-public-ip/VOICEAGENT_WEBRTC_PUBLIC_IP: its answers would name the container's address", name)
		}
	}
}

// TestDockerfile: the image builds the static binary of ./cmd/voiceagent,
// has espeak-ng for the offline voice and runs serve.
func TestDockerfile(t *testing.T) {
	dir := root(t)
	c := loadCompose(t, dir)
	ctx, df := c.Services[voiceagents(t, c)[0]].buildContext()
	data, err := os.ReadFile(filepath.Join(dir, ctx, df))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ") // continued lines as one
	var build, install string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "RUN ") {
			continue
		}
		if strings.Contains(line, "go build") {
			build = line
		}
		if strings.Contains(line, "apt-get install") {
			install = line
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/voiceagent", "-trimpath"} {
		if !strings.Contains(build, want) {
			t.Errorf("%s: the go build step %q lacks %s", df, build, want)
		}
	}
	if !strings.Contains(install, "espeak-ng") || !strings.Contains(install, "ca-certificates") {
		t.Errorf("%s: the runtime installs %q; want espeak-ng (the offline voice) and ca-certificates", df, install)
	}
	for _, want := range []string{`ENTRYPOINT ["voiceagent"]`, `CMD ["serve"]`, "EXPOSE 8080", "USER "} {
		if !strings.Contains(text, "\n"+want) {
			t.Errorf("%s has no line %q", df, want)
		}
	}
}

// TestComposeConfig: docker compose itself reads the file (interpolation,
// merge keys, the schema), and refuses it without VOICEAGENT_SECRET. It
// needs the compose plugin or docker-compose, not a daemon; without them
// it is skipped.
func TestComposeConfig(t *testing.T) {
	dir := root(t)
	var argv []string
	if exec.Command("docker", "compose", "version").Run() == nil {
		argv = []string{"docker", "compose"}
	} else if _, err := exec.LookPath("docker-compose"); err == nil {
		argv = []string{"docker-compose"}
	} else {
		t.Skip("neither docker compose nor docker-compose is installed")
	}
	run := func(secret string) (string, error) {
		cmd := exec.Command(argv[0], append(argv[1:], "-f", "docker-compose.yml", "config", "-q")...)
		cmd.Dir = dir
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "VOICEAGENT_SECRET=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if secret != "" {
			cmd.Env = append(cmd.Env, "VOICEAGENT_SECRET="+secret)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	if out, err := run("0123456789abcdef0123456789abcdef"); err != nil {
		t.Errorf("%s config: %v\n%s", strings.Join(argv, " "), err, out)
	}
	if out, err := run(""); err == nil || !strings.Contains(out, "VOICEAGENT_SECRET") {
		t.Errorf("%s config without VOICEAGENT_SECRET: %v %q; want it refused, naming VOICEAGENT_SECRET", strings.Join(argv, " "), err, out)
	}
}
