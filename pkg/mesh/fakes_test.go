package mesh

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDiscoverer answers from a func and counts calls.
type fakeDiscoverer struct {
	mu       sync.Mutex
	calls    int
	discover func(service string) ([]Instance, error)
}

func (f *fakeDiscoverer) Discover(_ context.Context, service string) ([]Instance, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return f.discover(service)
}

// fakeReviser is a fakeDiscoverer with revisions.
type fakeReviser struct {
	fakeDiscoverer
	revCalls int
	revision func(service string) (int64, error)
}

func (f *fakeReviser) Revision(_ context.Context, service string) (int64, error) {
	f.mu.Lock()
	f.revCalls++
	f.mu.Unlock()
	return f.revision(service)
}

// fakeRevisionDiscoverer is a fakeReviser whose discovery also reports the
// revision (as Cloud Map's DiscoverInstances does).
type fakeRevisionDiscoverer struct {
	*fakeReviser
}

func (f fakeRevisionDiscoverer) DiscoverRevision(ctx context.Context, service string) ([]Instance, int64, error) {
	got, err := f.Discover(ctx, service)
	if err != nil {
		return nil, 0, err
	}
	rev, err := f.revision(service)
	return got, rev, err
}

// static returns a Discoverer of fixed instances for every service.
func static(instances ...Instance) *fakeDiscoverer {
	return &fakeDiscoverer{discover: func(string) ([]Instance, error) { return instances, nil }}
}

// fakeClock is a manual Clock. AfterFunc timers wait for Advance, except
// those fire approves: they fire at once, moving the clock forward by d (a
// sleep that takes no real time).
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	fire   func(d time.Duration) bool
	added  chan time.Duration // receives each held timer's d, if not nil
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	if c.fire != nil && c.fire(d) {
		c.now = c.now.Add(d)
		c.mu.Unlock()
		f()
		return func() bool { return false }
	}
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	added := c.added
	c.mu.Unlock()
	if added != nil {
		added <- d
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and runs the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// lockedRand is a seeded Random safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func seeded(seed uint64) *lockedRand { return &lockedRand{r: rand.New(rand.NewPCG(seed, seed))} }

func (l *lockedRand) Float64() float64 { l.mu.Lock(); defer l.mu.Unlock(); return l.r.Float64() }
func (l *lockedRand) IntN(n int) int   { l.mu.Lock(); defer l.mu.Unlock(); return l.r.IntN(n) }

// fixedRand always returns the same numbers.
type fixedRand struct{ f float64 }

func (r fixedRand) Float64() float64 { return r.f }
func (r fixedRand) IntN(n int) int   { return int(r.f * float64(n)) }

// fakeTransport answers in memory and records the hosts it was sent to.
type fakeTransport struct {
	mu     sync.Mutex
	hosts  []string
	bodies []string
	answer func(req *http.Request) (*http.Response, error)
}

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(b)
	}
	f.mu.Lock()
	f.hosts = append(f.hosts, req.URL.Host)
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	if f.answer == nil {
		return respond(req, http.StatusOK), nil
	}
	return f.answer(req)
}

func (f *fakeTransport) count(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hosts {
		if h == host {
			n++
		}
	}
	return n
}

func respond(req *http.Request, status int) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: req}
}

// statusByHost answers each host with its status, 200 for others.
func statusByHost(m map[string]int) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		if s, ok := m[req.URL.Host]; ok {
			return respond(req, s), nil
		}
		return respond(req, http.StatusOK), nil
	}
}

// inst returns an instance at 10.0.0.n:80.
func inst(id string, n int, attrs ...string) Instance {
	a := map[string]string{}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	return Instance{ID: id, Address: "10.0.0." + string(rune('0'+n)), Port: 80, Attributes: a}
}

func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get sends a GET for url through c and closes the body; it returns the status.
func get(t testing.TB, c *Client, url string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
