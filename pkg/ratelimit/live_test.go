package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// docSource is a limits document in memory, as the state table holds it.
type docSource struct {
	mu    sync.Mutex
	doc   []byte
	found bool
	err   error
	loads int
}

func (s *docSource) load(context.Context) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	return s.doc, s.found, s.err
}

func (s *docSource) set(doc string, found bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.found, s.err = []byte(doc), found, err
}

func ipDoc(requests int) string {
	return fmt.Sprintf(`{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":%d,"window":"1h"}]}`, requests)
}

type liveClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *liveClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *liveClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLive(t *testing.T, src *docSource, clock *liveClock, log *bytes.Buffer) *Live {
	t.Helper()
	l, err := NewLive(context.Background(), LiveConfig{
		Load:    src.load,
		Store:   NewMemory(nil),
		Default: []Rule{{Dimension: IP, Limit: Config{Name: "default-ip", Requests: 1000, Window: time.Hour}}},
		Refresh: 30 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(log, nil)),
		Now:     clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// allow makes one request from ip and returns the answering limit's name and
// size.
func allow(t *testing.T, l *Live, ip string) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), Request{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A warm instance takes a changed document once Refresh has passed, and not
// before; the count of a rule whose name and window are unchanged goes on.
func TestLiveFollowsTheDocument(t *testing.T) {
	src := &docSource{}
	src.set(ipDoc(5), true, nil)
	clock := &liveClock{now: time.Now()}
	var log bytes.Buffer
	l := newLive(t, src, clock, &log)

	for i := 0; i < 3; i++ {
		if d := allow(t, l, "10.0.0.1"); !d.Allowed || d.Limit != 5 {
			t.Fatalf("request %d: got %+v, want allowed under the limit of 5", i+1, d)
		}
	}
	src.set(ipDoc(4), true, nil)
	clock.Advance(29 * time.Second)
	if d := allow(t, l, "10.0.0.1"); d.Limit != 5 {
		t.Fatalf("before the refresh: got limit %d, want 5", d.Limit)
	}
	clock.Advance(time.Second)
	// Four counted so far in this window: the new limit of 4 denies the fifth.
	if d := allow(t, l, "10.0.0.1"); d.Allowed || d.Limit != 4 {
		t.Fatalf("after the refresh: got %+v, want denied by the limit of 4 (the count goes on)", d)
	}
	if !strings.Contains(log.String(), "ratelimit: loaded limits") {
		t.Fatalf("got log %q, want the load logged", log.String())
	}
}

// A document that cannot be read, or is invalid, keeps the current limits;
// the next valid one is taken at the next refresh.
func TestLiveKeepsTheLimitsOnABadDocument(t *testing.T) {
	src := &docSource{}
	src.set(ipDoc(5), true, nil)
	clock := &liveClock{now: time.Now()}
	var log bytes.Buffer
	l := newLive(t, src, clock, &log)

	for _, bad := range []struct {
		name, doc string
		err       error
		log       string
	}{
		{"store down", "", errors.New("dynamodb: connection refused"), "cannot read the limits document"},
		{"invalid JSON", `{"version":1,"rules":[`, nil, "refusing the limits document"},
		{"unknown field", `{"version":1,"rules":[],"extra":1}`, nil, "refusing the limits document"},
		{"no rules", `{"version":1,"rules":[]}`, nil, "refusing the limits document"},
	} {
		log.Reset()
		src.set(bad.doc, bad.err == nil, bad.err)
		clock.Advance(30 * time.Second)
		if d := allow(t, l, "10.0.0.2"); d.Limit != 5 {
			t.Fatalf("%s: got limit %d, want the current 5 kept", bad.name, d.Limit)
		}
		if !strings.Contains(log.String(), bad.log) {
			t.Fatalf("%s: got log %q, want %q", bad.name, log.String(), bad.log)
		}
	}
	src.set(ipDoc(7), true, nil)
	clock.Advance(30 * time.Second)
	if d := allow(t, l, "10.0.0.2"); d.Limit != 7 {
		t.Fatalf("after a valid document: got limit %d, want 7", d.Limit)
	}
}

// The same refused document is not parsed and logged again at every refresh.
func TestLiveLogsARefusedDocumentOnce(t *testing.T) {
	src := &docSource{}
	src.set(ipDoc(5), true, nil)
	clock := &liveClock{now: time.Now()}
	var log bytes.Buffer
	l := newLive(t, src, clock, &log)
	src.set(`{"version":2,"rules":[]}`, true, nil)
	for i := 0; i < 3; i++ {
		clock.Advance(30 * time.Second)
		allow(t, l, "10.0.0.3")
	}
	if n := strings.Count(log.String(), "refusing the limits document"); n != 1 {
		t.Fatalf("got the refusal logged %d times, want once:\n%s", n, log.String())
	}
}

// No document means the default rules; a document written later replaces
// them, and deleting it brings them back.
func TestLiveDefaultsWithoutADocument(t *testing.T) {
	src := &docSource{}
	src.set("", false, nil)
	clock := &liveClock{now: time.Now()}
	var log bytes.Buffer
	l := newLive(t, src, clock, &log)
	if d := allow(t, l, "10.0.0.4"); d.Name != "default-ip" || d.Limit != 1000 {
		t.Fatalf("no document: got %s/%d, want default-ip/1000", d.Name, d.Limit)
	}
	src.set(ipDoc(3), true, nil)
	clock.Advance(30 * time.Second)
	if d := allow(t, l, "10.0.0.4"); d.Name != "ip" || d.Limit != 3 {
		t.Fatalf("document written: got %s/%d, want ip/3", d.Name, d.Limit)
	}
	src.set("", false, nil)
	clock.Advance(30 * time.Second)
	if d := allow(t, l, "10.0.0.4"); d.Name != "default-ip" {
		t.Fatalf("document deleted: got %s, want default-ip", d.Name)
	}
}

// At the first load there are no limits to keep: a read error or an invalid
// document is NewLive's error, and so is a configuration without a Load,
// Store or default rules.
func TestNewLiveErrors(t *testing.T) {
	good := LiveConfig{
		Store:   NewMemory(nil),
		Default: []Rule{{Dimension: IP, Limit: Config{Name: "ip", Requests: 1, Window: time.Minute}}},
	}
	src := &docSource{}
	cases := []struct {
		name string
		cfg  func() LiveConfig
		want string
	}{
		{"store down", func() LiveConfig {
			src.set("", false, errors.New("timeout"))
			c := good
			c.Load = src.load
			return c
		}, "read the limits document: timeout"},
		{"invalid document", func() LiveConfig {
			src.set(`{"version":1,"rules":[{"name":"ip","dimension":"planet","requests":1,"window":"1m"}]}`, true, nil)
			c := good
			c.Load = src.load
			return c
		}, "planet"},
		{"no Load", func() LiveConfig { return good }, "Load is required"},
		{"no Store", func() LiveConfig { c := good; c.Load = src.load; c.Store = nil; return c }, "Store is required"},
		{"no defaults", func() LiveConfig { c := good; c.Load = src.load; c.Default = nil; return c }, "Default rules are required"},
	}
	for _, tc := range cases {
		_, err := NewLive(context.Background(), tc.cfg())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// Under concurrent requests a due document is read by one of them, once.
func TestLiveReadsOncePerRefreshUnderConcurrency(t *testing.T) {
	src := &docSource{}
	src.set(ipDoc(1_000_000), true, nil)
	clock := &liveClock{now: time.Now()}
	var log bytes.Buffer
	l := newLive(t, src, clock, &log)
	for round := 0; round < 5; round++ {
		clock.Advance(30 * time.Second)
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := l.Allow(context.Background(), Request{IP: "10.0.0.5"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.loads != 6 { // the first load and one per refresh
		t.Fatalf("got %d loads, want 6", src.loads)
	}
}
