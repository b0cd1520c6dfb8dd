package mesh

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePolicies answers Policy from a func and counts calls.
type fakePolicies struct {
	mu     sync.Mutex
	calls  int
	policy func(service string) (Policy, bool, error)
}

func (f *fakePolicies) Policy(_ context.Context, service string) (Policy, bool, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return f.policy(service)
}

var canary = Policy{
	Versions: []Weighted{{"v1", 95}, {"v2", 5}},
	Routes:   []Route{{Header: "X-Test-User", Value: "true", Version: "v2"}},
}

// The policy from the control plane is read on the refresh interval, is put
// in effect, and wins over the configured one; an invalid one or a failed
// read keeps the last good policy; a removed one falls back to the Config.
func TestPolicyFromSource(t *testing.T) {
	clock := newClock()
	type answer struct {
		p   Policy
		ok  bool
		err error
	}
	current := answer{p: canary, ok: true}
	src := &fakePolicies{policy: func(string) (Policy, bool, error) { return current.p, current.ok, current.err }}
	configured := Policy{LoadBalancer: RoundRobin}
	c := newClient(t, Config{
		Discoverer: static(inst("a", 1, "version", "v1"), inst("b", 2, "version", "v2")),
		Clock:      clock, RefreshInterval: 10 * time.Second, PolicySource: src,
		Policies:  map[string]Policy{"payment": configured},
		Transport: &fakeTransport{},
	})
	invalid := Policy{Versions: []Weighted{{"v1", 95}, {"v2", 10}}}
	steps := []struct {
		name        string
		set         answer
		wantOrigin  PolicyOrigin
		wantWeights int // len(Versions) of the policy in effect
		wantUpdates uint64
		wantErrors  uint64
	}{
		{"first read", current, OriginControlPlane, 2, 1, 0},
		{"weights sum to 105: kept", answer{p: invalid, ok: true}, OriginControlPlane, 2, 1, 1},
		{"read fails: kept", answer{err: errors.New("ThrottlingException")}, OriginControlPlane, 2, 1, 2},
		{"new valid policy", answer{p: Policy{Versions: []Weighted{{"v1", 50}, {"v2", 50}}}, ok: true}, OriginControlPlane, 2, 2, 2},
		{"attribute removed: configured policy", answer{}, OriginConfig, 0, 3, 2},
	}
	for i, s := range steps {
		current = s.set
		if i > 0 {
			clock.Advance(10 * time.Second)
		}
		get(t, c, "http://payment/charge")
		got, origin := c.Policy("payment")
		row := c.Snapshot().Rows[0]
		if origin != s.wantOrigin || len(got.Versions) != s.wantWeights || row.PolicyUpdates != s.wantUpdates || row.PolicyErrors != s.wantErrors {
			t.Fatalf("%s: got origin %s, %d versions, %d updates, %d errors; want %s, %d, %d, %d",
				s.name, origin, len(got.Versions), row.PolicyUpdates, row.PolicyErrors, s.wantOrigin, s.wantWeights, s.wantUpdates, s.wantErrors)
		}
	}
	if got, _ := c.Policy("payment"); got.LoadBalancer != RoundRobin {
		t.Fatalf("got load balancer %q after the attribute was removed, want the configured %q", got.LoadBalancer, RoundRobin)
	}
	if src.calls != len(steps) {
		t.Fatalf("got %d policy reads, want %d (one per interval)", src.calls, len(steps))
	}
}

// A policy read from the control plane routes requests: the header route
// goes to v2 and the weights split the rest.
func TestPolicyFromSourceRoutes(t *testing.T) {
	ft := &fakeTransport{}
	c := newClient(t, Config{
		Discoverer:   static(inst("a", 1, "version", "v1"), inst("b", 2, "version", "v2")),
		Clock:        newClock(),
		Random:       seeded(7),
		PolicySource: &fakePolicies{policy: func(string) (Policy, bool, error) { return canary, true, nil }},
		Transport:    ft,
	})
	for range 20 {
		get(t, c, "http://payment/charge", "X-Test-User", "true")
	}
	if got := ft.count("10.0.0.2:80"); got != 20 {
		t.Fatalf("got %d of 20 tester requests on v2, want 20", got)
	}
	for range 2000 {
		get(t, c, "http://payment/charge")
	}
	// 5 % of 2,000 is 100, with a standard deviation of 9.7; ±5 sd.
	if got := ft.count("10.0.0.2:80") - 20; got < 51 || got > 149 {
		t.Fatalf("got %d of 2000 requests on v2, want 100 ± 49", got)
	}
}

// A new policy with a different Match is applied to the instances already
// known, without waiting for the revision to change.
func TestPolicyMatchRebuild(t *testing.T) {
	clock := newClock()
	zone := "eu-west-1a"
	d := &fakeReviser{
		fakeDiscoverer: fakeDiscoverer{discover: func(string) ([]Instance, error) {
			return []Instance{inst("a", 1, "zone", "eu-west-1a"), inst("b", 2, "zone", "eu-west-1b")}, nil
		}},
		revision: func(string) (int64, error) { return 1, nil },
	}
	src := &fakePolicies{policy: func(string) (Policy, bool, error) { return Policy{Match: map[string]string{"zone": zone}}, true, nil }}
	c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 10 * time.Second, PolicySource: src})
	for _, step := range []struct{ zone, want string }{{"eu-west-1a", "a"}, {"eu-west-1b", "b"}} {
		zone = step.zone
		clock.Advance(10 * time.Second)
		got, err := c.Pick(context.Background(), "svc")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != step.want {
			t.Fatalf("zone %s: got instance %s, want %s", step.zone, got.ID, step.want)
		}
	}
	if d.calls != 1 {
		t.Fatalf("got %d discoveries, want 1 (the revision did not change)", d.calls)
	}
}

// Policy reads are bounded per interval whatever the request rate: 10,000
// requests over 100 s of fake time with a 10 s interval make 10 reads; a
// longer PolicyInterval makes fewer.
func TestPolicyCallRate(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		want     int
	}{{0, 10}, {30 * time.Second, 4}} {
		clock := newClock()
		src := &fakePolicies{policy: func(string) (Policy, bool, error) { return canary, true, nil }}
		c := newClient(t, Config{Discoverer: static(inst("a", 1, "version", "v1"), inst("b", 2, "version", "v2")),
			Clock: clock, RefreshInterval: 10 * time.Second, PolicyInterval: tt.interval, PolicySource: src, Random: seeded(1)})
		for range 10_000 {
			if _, err := c.Pick(context.Background(), "svc"); err != nil {
				t.Fatal(err)
			}
			clock.Advance(10 * time.Millisecond)
		}
		if src.calls != tt.want {
			t.Fatalf("PolicyInterval %s: got %d policy reads for 10,000 requests over 100 s, want %d", tt.interval, src.calls, tt.want)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, in, want string // want: "" for valid, else a substring of the error
	}{
		{"canary", `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":5}],"routes":[{"header":"X-Test-User","value":"true","version":"v2"}]}`, ""},
		{"empty object: defaults", `{}`, ""},
		{"weights", `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":10}]}`, "versions: weights sum to 105, want 100"},
		{"misspelt field", `{"versions":[{"version":"v1","weigth":100}]}`, `unknown field "weigth"`},
		{"wrong type", `{"retry":{"attempts":"3"}}`, "retry.attempts: got a JSON string, want int"},
		{"syntax", "{\n  \"versions\": [,]\n}", "not valid JSON at line 2, column"},
		{"bad duration", `{"retry":{"perTryTimeout":"2 seconds"}}`, `duration "2 seconds"`},
		{"trailing data", `{} {}`, "unexpected data after the policy object"},
		{"empty", ``, "empty document"},
		{"truncated", `{"versions":[`, "ends too early"},
		{"route without version", `{"routes":[{"header":"X-Test-User","value":"true"}]}`, "routes[0]: version is required"},
		{"bad header name", `{"routes":[{"header":"X Test","value":"true","version":"v2"}]}`, `routes[0]: header "X Test" is not a valid HTTP header name`},
		{"abort percent", `{"fault":{"abortPercent":150,"abortStatus":500}}`, "fault: abortPercent 150 is not within 0..100"},
		{"negative per-try", `{"retry":{"perTryTimeout":"-1s"}}`, "retry: perTryTimeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.in))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrPolicy)):
				t.Fatalf("got %v, want an ErrPolicy containing %q", err, tt.want)
			}
		})
	}
}

// A policy is read on its own interval, also while the instances are fresh:
// a change reaches the calls within PolicyInterval, not the longer
// RefreshInterval, and costs no discovery.
func TestPolicyIntervalShorterThanRefresh(t *testing.T) {
	clock := newClock()
	var mu sync.Mutex
	current := Policy{}
	src := &fakePolicies{policy: func(string) (Policy, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return current, true, nil
	}}
	d := static(inst("a", 1, "version", "v1"), inst("b", 2, "version", "v2"))
	c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 30 * time.Second, PolicyInterval: 5 * time.Second, PolicySource: src})
	if _, err := c.Pick(context.Background(), "payment"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = Policy{Versions: []Weighted{{"v2", 100}}}
	mu.Unlock()
	clock.Advance(6 * time.Second)
	for range 20 {
		got, err := c.Pick(context.Background(), "payment")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "b" {
			t.Fatalf("6 s after the policy changed: got instance %s, want b (v2, all the weight)", got.ID)
		}
	}
	if d.calls != 1 {
		t.Fatalf("got %d discoveries, want 1: the policy change needs none", d.calls)
	}
}
