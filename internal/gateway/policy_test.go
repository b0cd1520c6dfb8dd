package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
)

// fakeClock is a mesh.Clock that moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// advance moves the clock and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// staticDiscoverer finds every service at one address.
type staticDiscoverer struct{ addr *net.TCPAddr }

func (d staticDiscoverer) Discover(_ context.Context, service string) ([]mesh.Instance, error) {
	return []mesh.Instance{{ID: service + "-1", Address: d.addr.IP.String(), Port: d.addr.Port}}, nil
}

// innerPolicies is a control plane holding fixed policies.
type innerPolicies struct {
	p   map[string]mesh.Policy
	err error
}

func (s innerPolicies) Policy(_ context.Context, service string) (mesh.Policy, bool, error) {
	p, ok := s.p[service]
	return p, ok, s.err
}

func TestTimeoutPolicies(t *testing.T) {
	tbl := testTable(t)
	long := mesh.Policy{Retry: mesh.Retry{PerTryTimeout: mesh.Duration(time.Minute)}}
	tests := []struct {
		name       string
		inner      mesh.PolicySource
		per        map[string]mesh.Policy
		service    string
		wantPerTry time.Duration
		wantOK     bool
	}{
		{"route timeout raises the default per-try", nil, nil, "order-service", 30 * time.Second, true},
		{"no explicit timeout: the mesh decides", nil, nil, "product-service", 0, false},
		{"configured per-service policy kept, per-try raised", nil, map[string]mesh.Policy{"order-service": {Retry: mesh.Retry{Attempts: 2}}}, "order-service", 30 * time.Second, true},
		{"a longer per-try stays", innerPolicies{p: map[string]mesh.Policy{"order-service": long}}, nil, "order-service", time.Minute, true},
		{"control plane answer passed through", innerPolicies{p: map[string]mesh.Policy{"user-service": long}}, nil, "user-service", time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewTimeoutPolicies(tt.inner, mesh.Policy{}, tt.per)
			p.Use(tbl)
			got, ok, err := p.Policy(context.Background(), tt.service)
			if err != nil || ok != tt.wantOK || time.Duration(got.Retry.PerTryTimeout) != tt.wantPerTry {
				t.Fatalf("got per-try %s ok %v err %v, want %s ok %v", time.Duration(got.Retry.PerTryTimeout), ok, err, tt.wantPerTry, tt.wantOK)
			}
			if tt.per != nil && got.Retry.Attempts != 2 {
				t.Errorf("got attempts %d, want the configured 2", got.Retry.Attempts)
			}
		})
	}
	p := NewTimeoutPolicies(innerPolicies{err: errors.New("throttled")}, mesh.Policy{}, nil)
	p.Use(tbl)
	if _, _, err := p.Policy(context.Background(), "order-service"); err == nil {
		t.Error("control plane down: got nil error, want it passed on (the mesh keeps its policy)")
	}
}

// Through a real mesh client: the orders route's 30 s timeout outlives the
// mesh's 2 s per-try default, while a route without a timeout keeps it.
func TestRouteTimeoutReachesTheMesh(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
			w.Write([]byte(`{"ok":true}`))
		case <-r.Context().Done():
		}
	}))
	defer backend.Close()
	defer close(release)
	clock := &fakeClock{now: testNow}
	policies := NewTimeoutPolicies(nil, mesh.Policy{Retry: mesh.Retry{Attempts: 1}}, nil)
	tbl := testTable(t)
	policies.Use(tbl)
	client, err := mesh.New(mesh.Config{
		Discoverer:   staticDiscoverer{backend.Listener.Addr().(*net.TCPAddr)},
		Clock:        clock,
		Policy:       mesh.Policy{Retry: mesh.Retry{Attempts: 1}},
		PolicySource: policies,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Routes: tbl, Transport: client, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/api/v1/orders/789", 200},
		{"/api/v1/products/1", 504}, // no route or call sets a timeout for product-service
	} {
		done := make(chan int)
		go func() {
			resp, _ := h.Handle(context.Background(), event("GET", tt.path, nil))
			done <- resp.StatusCode
		}()
		<-arrived
		clock.advance(5 * time.Second) // past the mesh's 2 s default per try
		if tt.status == 200 {
			release <- struct{}{}
		}
		if got := <-done; got != tt.status {
			t.Errorf("%s after 5 s: got %d, want %d", tt.path, got, tt.status)
		}
	}
	if got, _ := client.Policy("order-service"); time.Duration(got.Retry.PerTryTimeout) != 30*time.Second {
		t.Errorf("order-service per-try in the mesh: got %s, want 30s", strconv.Quote(got.Retry.PerTryTimeout.String()))
	}
}
