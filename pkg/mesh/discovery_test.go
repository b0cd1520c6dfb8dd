package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

// With a Reviser: one revision check per interval while nothing changes, a
// discovery when the revision changes, and a full discovery every
// ResyncInterval anyway (health changes do not change the revision).
func TestRevisionCheck(t *testing.T) {
	clock := newClock()
	rev := int64(1)
	instances := []Instance{inst("a", 1)}
	d := &fakeReviser{
		fakeDiscoverer: fakeDiscoverer{discover: func(string) ([]Instance, error) { return instances, nil }},
		revision:       func(string) (int64, error) { return rev, nil },
	}
	c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 10 * time.Second, ResyncInterval: 40 * time.Second, Transport: &fakeTransport{}})
	ctx := context.Background()
	steps := []struct {
		name              string
		advance           time.Duration
		change            func()
		wantRev, wantDisc int
		wantInstance      string
	}{
		{"first use", 0, nil, 1, 1, "a"},
		{"within the interval", 9 * time.Second, nil, 1, 1, "a"},
		{"revision unchanged", 2 * time.Second, nil, 2, 1, "a"},
		{"revision changed", 10 * time.Second, func() { rev, instances = 2, []Instance{inst("b", 2)} }, 3, 2, "b"},
		{"unchanged again", 10 * time.Second, nil, 4, 2, "b"},
		{"health change only", 10 * time.Second, func() {
			instances = []Instance{{ID: "b", Address: "10.0.0.2", Port: 80, Health: HealthUnhealthy}, inst("c", 3)}
		}, 5, 2, "b"},
		{"before the resync", 10 * time.Second, nil, 6, 2, "b"},
		{"resync 40 s after the last discovery", 10 * time.Second, nil, 7, 3, "c"},
	}
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		clock.Advance(s.advance)
		got, err := c.Pick(ctx, "svc")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if d.revCalls != s.wantRev || d.calls != s.wantDisc || got.ID != s.wantInstance {
			t.Fatalf("%s: got %d revision checks, %d discoveries, instance %s; want %d, %d, %s",
				s.name, d.revCalls, d.calls, got.ID, s.wantRev, s.wantDisc, s.wantInstance)
		}
	}
}

// A revision check that fails falls back to a discovery; a discovery that
// fails keeps the last known instances.
func TestRevisionFailure(t *testing.T) {
	clock := newClock()
	d := &fakeReviser{
		fakeDiscoverer: fakeDiscoverer{discover: func(string) ([]Instance, error) { return []Instance{inst("a", 1)}, nil }},
		revision:       func(string) (int64, error) { return 0, errors.New("UnknownOperationException") },
	}
	c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 10 * time.Second})
	for range 3 {
		if _, err := c.Pick(context.Background(), "svc"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	if d.revCalls != 3 || d.calls != 3 {
		t.Fatalf("got %d revision checks and %d discoveries over 3 intervals, want 3 and 3", d.revCalls, d.calls)
	}
}

// An empty answer is cached like any other: no discovery per request.
func TestNoInstancesCached(t *testing.T) {
	d := static()
	c := newClient(t, Config{Discoverer: d, Clock: newClock()})
	for range 100 {
		if _, err := c.Pick(context.Background(), "svc"); !errors.Is(err, ErrNoInstances) {
			t.Fatalf("got %v, want ErrNoInstances", err)
		}
	}
	if d.calls != 1 {
		t.Fatalf("got %d discoveries for 100 picks, want 1", d.calls)
	}
}

// Health and attribute filtering on the client: healthy instances, or all of
// them when none is healthy (unknown counts as healthy); Match keeps the
// instances with the attributes; each version is filtered on its own.
func TestFiltering(t *testing.T) {
	h := func(i Instance, health Health) Instance { i.Health = health; return i }
	tests := []struct {
		name      string
		instances []Instance
		policy    Policy
		want      []string // IDs that receive traffic
	}{
		{"healthy only", []Instance{h(inst("a", 1), HealthHealthy), h(inst("b", 2), HealthUnhealthy)}, Policy{}, []string{"a"}},
		{"unknown counts as healthy", []Instance{h(inst("a", 1), HealthUnknown), h(inst("b", 2), HealthUnhealthy)}, Policy{}, []string{"a"}},
		{"all unhealthy: all", []Instance{h(inst("a", 1), HealthUnhealthy), h(inst("b", 2), HealthUnhealthy)}, Policy{}, []string{"a", "b"}},
		{"zone match", []Instance{inst("a", 1, "zone", "eu-west-1a"), inst("b", 2, "zone", "eu-west-1b")}, Policy{Match: map[string]string{"zone": "eu-west-1b"}}, []string{"b"}},
		{
			"per version: v2 all unhealthy still gets its share",
			[]Instance{inst("a", 1, "version", "v1"), h(inst("b", 2, "version", "v2"), HealthUnhealthy)},
			Policy{Versions: []Weighted{{"v1", 50}, {"v2", 50}}},
			[]string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.policy.LoadBalancer = RoundRobin
			c := newClient(t, Config{Discoverer: static(tt.instances...), Clock: newClock(), Random: seeded(1), Policy: tt.policy})
			got := map[string]bool{}
			for range 100 {
				i, err := c.Pick(context.Background(), "svc")
				if err != nil {
					t.Fatal(err)
				}
				got[i.ID] = true
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got traffic to %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if !got[id] {
					t.Fatalf("got traffic to %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// discoveryScenario is one way a service's instances change over time, and
// how the Client learns its policy.
type discoveryScenario struct {
	name string
	// churnEvery: the revision changes every churnEvery intervals (0: never).
	churnEvery int
	// oneCall: the Discoverer reports the revision with its discovery.
	oneCall bool
	// policies: a PolicySource read from memory (the gateway's
	// configuration snapshot) is set.
	policies bool
}

var discoveryScenarios = []discoveryScenario{
	{name: "steady", oneCall: true},
	{name: "steady/policies", oneCall: true, policies: true},
	{name: "churn-every-3", churnEvery: 3, oneCall: true},
	{name: "churn-every-3/policies", churnEvery: 3, oneCall: true, policies: true},
	{name: "steady/revision-check-only", churnEvery: 0, oneCall: false},
}

// memoryPolicies is a PolicySource that answers from memory, as the
// configuration snapshot does: it costs no registry call.
type memoryPolicies struct{}

func (memoryPolicies) Policy(context.Context, string) (Policy, bool, error) {
	return Policy{Retry: Retry{Attempts: 2}}, true, nil
}

// The registry calls per service and interval, whatever the request rate: at
// steady state one (a revision check, or a discovery that reports the
// revision when a resync is due), also with policies applied from memory; a
// change of the instances costs one more call in the interval it happens.
func TestDiscoveryCallRate(t *testing.T) {
	for _, sc := range discoveryScenarios {
		t.Run(sc.name, func(t *testing.T) {
			calls, intervals := discoveryCalls(t, sc, 10_000, 10*time.Second, 10*time.Millisecond)
			want := float64(intervals)
			if sc.churnEvery > 0 {
				want += float64(intervals / sc.churnEvery)
			}
			if !sc.oneCall {
				want += float64(intervals/4) + 1 // the first discovery and each resync: a check, then a discovery
			}
			if float64(calls) > want {
				t.Fatalf("got %d registry calls over %d intervals, want at most %.0f", calls, intervals, want)
			}
			if sc.churnEvery == 0 && sc.oneCall && calls > intervals {
				t.Fatalf("steady state: got %d calls over %d intervals, want at most one per interval", calls, intervals)
			}
		})
	}
}

// discoveryCalls sends n picks spaced by step on a fake clock, and returns the
// registry calls made and the intervals covered.
func discoveryCalls(t testing.TB, sc discoveryScenario, n int, interval, step time.Duration) (calls, intervals int) {
	clock := newClock()
	start := clock.Now()
	rev := &fakeReviser{
		fakeDiscoverer: fakeDiscoverer{discover: func(string) ([]Instance, error) { return []Instance{inst("a", 1), inst("b", 2)}, nil }},
		revision: func(string) (int64, error) {
			if sc.churnEvery == 0 {
				return 1, nil
			}
			return int64(clock.Now().Sub(start) / (time.Duration(sc.churnEvery) * interval)), nil
		},
	}
	cfg := Config{Discoverer: rev, Clock: clock, RefreshInterval: interval, Random: seeded(1)}
	if sc.oneCall {
		cfg.Discoverer = fakeRevisionDiscoverer{rev}
	}
	if sc.policies {
		cfg.PolicySource = memoryPolicies{}
	}
	c := newClient(t, cfg)
	for range n {
		if _, err := c.Pick(context.Background(), "svc"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(step)
	}
	span := clock.Now().Sub(start)
	return rev.calls + rev.revCalls, int((span + interval - 1) / interval)
}
