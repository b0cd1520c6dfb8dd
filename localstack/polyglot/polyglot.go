// Package polyglot runs the demo services written in other languages that
// reach the mesh through portico-mesh, with no mesh code of their own: a
// Python Lambda function (function.py, run by bootstrap, a standard-library
// custom runtime) under the AWS Lambda Runtime Interface Emulator with
// portico-mesh as its extension; a Python order service (order.py) and a
// Node.js payment service (payment.js) beside portico-mesh sidecars. The
// end-to-end tests in tests/meshproxy use it.
package polyglot

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed bootstrap function.py order.py payment.js
var files embed.FS

// Write writes the demo's sources into dir (bootstrap executable) and
// returns dir.
func Write(dir string) (string, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return "", err
		}
		mode := os.FileMode(0o644)
		if e.Name() == "bootstrap" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, mode); err != nil {
			return "", fmt.Errorf("polyglot: write %s: %w", e.Name(), err)
		}
	}
	return dir, nil
}

// Process is a child process with its output kept.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *buffer
	done chan struct{}
	err  error
}

// buffer is a bytes.Buffer safe for concurrent use.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Start starts name with args and env (added to this process's
// environment) in its own process group.
func Start(name string, args []string, env map[string]string) (*Process, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = os.Environ()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	p := &Process{name: filepath.Base(name), cmd: cmd, out: &buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("polyglot: start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process's group, waits up to grace, then
// kills the group. It returns the process's exit error, if any other than
// the signal's.
func (p *Process) Stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("polyglot: %s did not stop within %s", p.name, grace)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) && !exit.Exited() {
		return nil // ended by the signal
	}
	return p.err
}

// WaitPort waits until addr accepts connections, or the process exits, or
// timeout passes.
func (p *Process) WaitPort(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.Exited() {
			return fmt.Errorf("polyglot: %s exited: %v\n%s", p.name, p.err, p.Output())
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("polyglot: %s not listening on %s after %s\n%s", p.name, addr, timeout, p.Output())
}

// FreeAddr returns a loopback address that nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// LambdaConfig describes a Lambda execution environment under the Runtime
// Interface Emulator.
type LambdaConfig struct {
	// RIE is the path of aws-lambda-rie.
	RIE string
	// Bootstrap is the runtime's executable (the function's code is
	// beside it).
	Bootstrap string
	// Extensions are executables to install in /opt/extensions, by the
	// file name each gets there.
	Extensions map[string]string
	// Env is the function's environment, which Lambda gives its
	// extensions too.
	Env map[string]string
}

// Lambda is a running emulated execution environment.
type Lambda struct {
	*Process
	// Addr is the emulator's invoke address.
	Addr string
}

// installAndRun is the script that runs the emulator in a private mount
// namespace, over a tmpfs /opt that holds the extensions (the emulator
// looks for them in /opt/extensions only): nothing outside the namespace
// sees them. Arguments: rie addr runtime-api bootstrap name=path...
const installAndRun = `set -e
mount -t tmpfs tmpfs /opt
mkdir /opt/extensions
rie=$1; addr=$2; api=$3; boot=$4; shift 4
for ext in "$@"; do cp "${ext#*=}" "/opt/extensions/${ext%%=*}"; done
exec "$rie" --runtime-interface-emulator-address "$addr" --runtime-api-address "$api" --log-level info "$boot"
`

// StartLambda starts the emulator with cfg's extensions in /opt/extensions,
// inside a user and mount namespace (unshare -Urm, no privileges needed
// where unprivileged user namespaces are allowed). The environment's INIT
// runs at the first Invoke, as on Lambda.
func StartLambda(cfg LambdaConfig) (*Lambda, error) {
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, errors.New("polyglot: unshare (util-linux) is needed to give the emulator a private /opt/extensions")
	}
	if _, err := os.Stat(cfg.RIE); err != nil {
		return nil, fmt.Errorf("polyglot: the Runtime Interface Emulator: %w (make installs it)", err)
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	api, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"-Urm", "--", "sh", "-c", installAndRun, "sh", cfg.RIE, addr, api, cfg.Bootstrap}
	names := make([]string, 0, len(cfg.Extensions))
	for name := range cfg.Extensions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, name+"="+cfg.Extensions[name])
	}
	p, err := Start("unshare", args, cfg.Env)
	if err != nil {
		return nil, err
	}
	l := &Lambda{Process: p, Addr: addr}
	if err := p.WaitPort(addr, 10*time.Second); err != nil {
		p.Stop(time.Second)
		return nil, err
	}
	return l, nil
}

// Invoke invokes the function with event and decodes its answer into out.
func (l *Lambda) Invoke(ctx context.Context, event, out any) error {
	b, err := json.Marshal(event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+l.Addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("polyglot: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"errorType"`) {
		return fmt.Errorf("polyglot: invoke: got %d %s", resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}
