package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
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

// Through a real mesh client whose policies come from the configuration: the
// orders route's 30 s timeout outlives the
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
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(testRoutes))
	watch, err := live.NewWatch(live.Config{Source: src}, config.NewBuilder(config.SnapshotConfig{}).Build)
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	client, err := mesh.New(mesh.Config{
		Discoverer:   staticDiscoverer{backend.Listener.Addr().(*net.TCPAddr)},
		Clock:        clock,
		Policy:       mesh.Policy{Retry: mesh.Retry{Attempts: 1}},
		PolicySource: config.Policies{Watch: watch},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Configuration: watch, Transport: client, Now: func() time.Time { return testNow }})
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
