package meshproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-gw/portico/internal/extension"
	"github.com/portico-gw/portico/pkg/mesh"
)

// Error types reported to Lambda when the extension cannot start.
const (
	errTypeConfig = "Extension.ConfigInvalid"
	errTypeInit   = "Extension.InitFailed"
	errTypeExit   = "Extension.Failed"
)

// shutdownMargin is kept back from a SHUTDOWN deadline for the metrics and
// the exit itself.
const shutdownMargin = 100 * time.Millisecond

// maxWarm bounds the services kept warm per invocation.
const maxWarm = 32

// warmBound bounds the refresh an INVOKE triggers.
const warmBound = 3 * time.Second

// certReload is how often certificates are read again between
// invocations (package mtls's default reload interval).
const certReload = time.Minute

// Run runs portico-mesh with the configuration in the environment (lookup
// is os.LookupEnv in main), writing JSON logs and CloudWatch metrics to
// stdout. args[0] is the program's path: its file name is the extension's
// name in Lambda.
//
// As a Lambda extension it listens first, registers, builds its clients
// and warms the services it may call during INIT, keeps discovery and
// certificates fresh at each INVOKE, and on SHUTDOWN drains the calls in
// flight and writes its metrics before the event's deadline. As a sidecar
// it runs until ctx ends, then drains for Config.Drain.
func Run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer) error {
	if err := run(ctx, args, lookup, stdout, BuildAWS); err != nil {
		return fmt.Errorf("portico-mesh: %w", err)
	}
	return nil
}

func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer, build Build) error {
	start := time.Now()
	out := &lockedWriter{w: stdout}
	cfg, cfgErr := Parse(lookup)
	logger := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel})).With("component", "portico-mesh")
	r := &runner{cfg: cfg, log: logger, out: out, build: build, start: start}
	api, _ := lookup("AWS_LAMBDA_RUNTIME_API")
	if cfg.Mode == ModeExtension || (cfg.Mode == ModeAuto && api != "") {
		name := "portico-mesh"
		if len(args) > 0 {
			name = filepath.Base(args[0])
		}
		ext, err := extension.New(extension.Config{RuntimeAPI: api, Name: name})
		if err != nil {
			return errors.Join(cfgErr, err)
		}
		r.ext = ext
	}
	if cfgErr != nil {
		return r.failInit(ctx, errTypeConfig, cfgErr)
	}
	return r.run(ctx)
}

// runner is one run of portico-mesh.
type runner struct {
	cfg   Config
	log   *slog.Logger
	out   io.Writer
	build Build
	start time.Time
	ext   *extension.Client // nil for a sidecar

	registered bool
	gate       *gate
	outSrv     *http.Server
	inSrv      *http.Server
	server     *Server
	deps       Dependencies
	release    func()
	metrics    *metrics
	invocation atomic.Pointer[string]
	lastReload time.Time
}

// failInit reports err to Lambda as an init error (registering first if
// need be, as the API requires) and returns it.
func (r *runner) failInit(ctx context.Context, errType string, err error) error {
	r.log.ErrorContext(ctx, "portico-mesh: cannot start", "err", err)
	if r.ext != nil {
		if !r.registered {
			if _, rerr := r.ext.Register(ctx); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
		if rerr := r.ext.InitError(ctx, errType, err); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

func (r *runner) run(ctx context.Context) error {
	// The port first: from here on calls wait for the clients instead of
	// being refused.
	ln, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		return r.failInit(ctx, errTypeInit, fmt.Errorf("listen on %s: %w", r.cfg.Listen, err))
	}
	r.gate = newGate()
	r.outSrv = &http.Server{
		Handler: r.gate, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 90 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: log.New(io.Discard, "", 0),
	}
	go r.outSrv.Serve(ln)
	r.log.InfoContext(ctx, "portico-mesh: port ready", "listen", ln.Addr().String(), "sinceStartMs", msSince(r.start))
	if r.ext != nil {
		reg, err := r.ext.Register(ctx)
		if err != nil {
			r.outSrv.Close()
			return err
		}
		r.registered = true
		r.log.InfoContext(ctx, "portico-mesh: registered as a Lambda extension", "function", reg.FunctionName, "version", reg.FunctionVersion)
	}
	if err := r.init(ctx); err != nil {
		r.gate.fail(err)
		err = r.failInit(ctx, errTypeInit, err)
		r.outSrv.Close()
		return err
	}
	r.log.InfoContext(ctx, "portico-mesh: ready", "sinceStartMs", msSince(r.start), "services", r.server.Known())
	if r.ext != nil {
		return r.events(ctx)
	}
	return r.sidecar(ctx)
}

// init builds the clients, opens the gate, starts the inbound port and warms
// the listed services.
func (r *runner) init(ctx context.Context) error {
	deps, release, err := r.build(ctx, r.cfg, r.log)
	if err != nil {
		return err
	}
	r.release = release
	if r.ext != nil {
		deps.Invocation = func() string {
			if v := r.invocation.Load(); v != nil {
				return *v
			}
			return ""
		}
	}
	r.deps = deps
	if r.server, err = New(r.cfg, deps); err != nil {
		release()
		return err
	}
	r.gate.open(r.server.Outbound())
	clients := []*mesh.Client{deps.Mesh}
	if deps.Plain != nil {
		clients = append(clients, deps.Plain)
	}
	r.metrics = &metrics{w: r.out, namespace: r.cfg.MetricsNamespace, clients: clients, off: r.cfg.NoMetrics, last: time.Now()}
	if r.cfg.InboundListen != "" {
		ln, err := net.Listen("tcp", r.cfg.InboundListen)
		if err != nil {
			release()
			return fmt.Errorf("listen on %s (inbound): %w", r.cfg.InboundListen, err)
		}
		r.inSrv = &http.Server{
			Handler: r.server.Inbound(), TLSConfig: r.server.InboundTLS(), ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout: 90 * time.Second, MaxHeaderBytes: 64 << 10, ErrorLog: log.New(io.Discard, "", 0),
		}
		go r.inSrv.ServeTLS(ln, "", "")
		r.log.InfoContext(ctx, "portico-mesh: inbound port ready", "listen", ln.Addr().String(), "target", r.cfg.InboundTarget, "allow", r.cfg.InboundAllow)
	}
	r.lastReload = time.Now()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.warm(wctx, false)
	return nil
}

// warm refreshes the known services' instances and policies where they are
// due (a fresh one costs nothing), and the certificates when reload is set
// and a reload is due, so that the function's calls find them ready.
func (r *runner) warm(ctx context.Context, reload bool) {
	var wg sync.WaitGroup
	services := r.server.Known()
	if len(services) > maxWarm {
		services = services[:maxWarm]
	}
	for _, svc := range services {
		wg.Go(func() {
			if _, err := r.server.Client(svc).Pick(ctx, svc); err != nil {
				r.log.DebugContext(ctx, "portico-mesh: warming failed", "service", svc, "err", err)
			}
		})
	}
	if reload && r.deps.Credentials != nil && time.Since(r.lastReload) >= certReload {
		r.lastReload = time.Now()
		wg.Go(func() {
			if err := r.deps.Credentials.Reload(ctx); err != nil {
				r.log.WarnContext(ctx, "portico-mesh: certificate reload failed, keeping the current ones", "err", err)
			}
		})
	}
	wg.Wait()
}

// events follows the Lambda lifecycle until SHUTDOWN.
func (r *runner) events(ctx context.Context) error {
	for {
		ev, err := r.ext.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				r.shutdown(time.Now().Add(2*time.Second), "stopped")
				return nil
			}
			r.log.ErrorContext(ctx, "portico-mesh: Extensions API failed", "err", err)
			r.shutdown(time.Now().Add(time.Second), "error")
			return errors.Join(err, r.ext.ExitError(context.WithoutCancel(ctx), errTypeExit, err))
		}
		switch ev.Type {
		case extension.Invoke:
			v := ev.Tracing.Value
			r.invocation.Store(&v)
			// The function runs meanwhile; this is done before the next
			// Next, so that the environment is never frozen mid-refresh,
			// and bounded, so that a slow registry cannot hold up the
			// next invocation (a refresh cut short keeps what it had).
			bound := time.Now().Add(warmBound)
			if ev.DeadlineMs > 0 {
				bound = minTime(bound, ev.Deadline())
			}
			wctx, cancel := context.WithDeadline(ctx, bound)
			r.warm(wctx, true)
			cancel()
			if r.metrics.due(time.Now(), r.cfg.MetricsInterval) {
				r.metrics.flush(ctx, r.log)
			}
		case extension.Shutdown:
			r.shutdown(ev.Deadline(), ev.ShutdownReason)
			return nil
		}
	}
}

// sidecar serves until ctx ends, writing metrics every MetricsInterval.
func (r *runner) sidecar(ctx context.Context) error {
	var tick <-chan time.Time
	if r.cfg.MetricsInterval > 0 && !r.cfg.NoMetrics {
		t := time.NewTicker(r.cfg.MetricsInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			r.metrics.flush(ctx, r.log)
		case <-ctx.Done():
			r.shutdown(time.Now().Add(r.cfg.Drain), "signal")
			return nil
		}
	}
}

// shutdown stops taking calls, waits for those in flight (whose trace
// segments end and are sent as they finish) until deadline, writes the
// metrics and releases the clients.
func (r *runner) shutdown(deadline time.Time, reason string) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-shutdownMargin))
	defer cancel()
	var wg sync.WaitGroup
	drained := atomic.Bool{}
	drained.Store(true)
	for _, srv := range []*http.Server{r.outSrv, r.inSrv} {
		if srv == nil {
			continue
		}
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				drained.Store(false)
				srv.Close()
			}
		})
	}
	wg.Wait()
	if r.metrics != nil {
		r.metrics.flush(ctx, r.log)
	}
	if r.release != nil {
		r.release()
	}
	r.log.Info("portico-mesh: stopped", "reason", reason, "drained", drained.Load())
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

// gate holds calls that arrive before the clients are built, then passes
// them to the outbound handler, or answers 503 if the start failed.
type gate struct {
	ready chan struct{}
	once  sync.Once
	h     http.Handler
	err   error
}

func newGate() *gate { return &gate{ready: make(chan struct{})} }

func (g *gate) open(h http.Handler) {
	g.once.Do(func() {
		g.h = h
		close(g.ready)
	})
}

func (g *gate) fail(err error) {
	g.once.Do(func() {
		g.err = err
		close(g.ready)
	})
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-g.ready:
	case <-r.Context().Done():
		return
	}
	if g.err != nil {
		writeProblem(w, "", problem{http.StatusServiceUnavailable, codeStarting, "portico-mesh could not start: " + g.err.Error()})
		return
	}
	g.h.ServeHTTP(w, r)
}

// lockedWriter serialises the writes of the logger and the metrics.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
