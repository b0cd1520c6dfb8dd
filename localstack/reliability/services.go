package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
)

// Fault is what a service instance (or the JWKS endpoint) does to the
// requests it gets.
type Fault int

// Faults.
const (
	// Healthy answers normally.
	Healthy Fault = iota
	// Fail answers 503 with a JSON body.
	Fail
	// Down refuses connections: the listener is closed and the open
	// connections dropped.
	Down
	// Slow waits Instance.Slow before answering.
	Slow
	// Reset accepts the request and resets the connection without an answer.
	Reset
	// Hang accepts the request and never answers, until the caller gives up.
	Hang
)

func (f Fault) String() string {
	return [...]string{"healthy", "5xx", "down", "slow", "reset", "hang"}[f]
}

// Instance is one instance of a demo service (localstack/backend) on a
// loopback port, whose fault can be changed while it serves.
type Instance struct {
	Service, ID string
	Port        int

	bind    string
	handler http.Handler

	mu    sync.Mutex
	fault Fault
	slow  time.Duration
	srv   *http.Server
	conns map[net.Conn]struct{}

	// Served counts the requests that reached the handler.
	Served atomic.Int64
}

// NewInstance starts an instance of service on bind (port 0: any free one;
// the port is kept when it goes Down and comes back).
func NewInstance(service, id, bind string, port int) (*Instance, error) {
	in := &Instance{Service: service, ID: id, bind: bind, Port: port, handler: backend.Handler(service), conns: map[net.Conn]struct{}{}}
	if err := in.listen(); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *Instance) listen() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(in.bind, strconv.Itoa(in.Port)))
	if err != nil {
		return fmt.Errorf("reliability: %s/%s: %w", in.Service, in.ID, err)
	}
	in.Port = ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: http.HandlerFunc(in.serve), ReadHeaderTimeout: 10 * time.Second, ConnState: in.track}
	in.srv = srv
	go srv.Serve(ln)
	return nil
}

func (in *Instance) track(c net.Conn, s http.ConnState) {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch s {
	case http.StateNew:
		in.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(in.conns, c)
	}
}

// Set changes the instance's fault; slow is the wait of Slow.
func (in *Instance) Set(f Fault, slow time.Duration) error {
	in.mu.Lock()
	prev := in.fault
	in.fault, in.slow = f, slow
	srv := in.srv
	in.mu.Unlock()
	switch {
	case f == Down && prev != Down:
		return srv.Close() // the listener and every connection
	case f != Down && prev == Down:
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.listen()
	}
	return nil
}

// Fault returns the instance's fault.
func (in *Instance) Fault() Fault {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.fault
}

// Close stops the instance.
func (in *Instance) Close() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.srv.Close()
}

func (in *Instance) serve(w http.ResponseWriter, r *http.Request) {
	in.Served.Add(1)
	in.mu.Lock()
	f, slow := in.fault, in.slow
	in.mu.Unlock()
	switch f {
	case Fail:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"service": in.Service, "instance": in.ID, "error": "failing (reliability fault)"})
		return
	case Slow:
		t := time.NewTimer(slow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	case Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				resetClose(c)
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Hang:
		<-r.Context().Done()
		return
	}
	w.Header().Set("X-Instance", in.ID)
	in.handler.ServeHTTP(w, r)
}

// resetClose closes c with a TCP reset rather than a clean end.
func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		if raw, err := tc.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) {
				syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
			})
		}
	}
	c.Close()
}

// Fleet is the demo services' instances by service.
type Fleet struct {
	Instances map[string][]*Instance
}

// FleetLayout is the services and their instance count the stack expects.
var FleetLayout = map[string]int{
	"user-service": 2, "order-service": 1, "notification-service": 1, "product-service": 1, "ledger-service": 1,
}

// StartFleet starts FleetLayout on bind.
func StartFleet(bind string) (*Fleet, error) {
	f := &Fleet{Instances: map[string][]*Instance{}}
	for svc, n := range FleetLayout {
		for i := range n {
			in, err := NewInstance(svc, fmt.Sprintf("%s-%d", svc, i+1), bind, 0)
			if err != nil {
				f.Close()
				return nil, err
			}
			f.Instances[svc] = append(f.Instances[svc], in)
		}
	}
	return f, nil
}

// Ports is the instances' ports by service and instance ID, as the
// Terraform root takes them.
func (f *Fleet) Ports() map[string]map[string]int {
	out := map[string]map[string]int{}
	for svc, ins := range f.Instances {
		out[svc] = map[string]int{}
		for _, in := range ins {
			out[svc][in.ID] = in.Port
		}
	}
	return out
}

// Heal makes every instance healthy.
func (f *Fleet) Heal() error {
	var errs []error
	for _, ins := range f.Instances {
		for _, in := range ins {
			errs = append(errs, in.Set(Healthy, 0))
		}
	}
	return errors.Join(errs...)
}

// Close stops every instance.
func (f *Fleet) Close() {
	for _, ins := range f.Instances {
		for _, in := range ins {
			in.Close()
		}
	}
}

// wait sleeps d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
