package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failingEjections is an Ejections store that is down.
type failingEjections struct{ calls int }

func (f *failingEjections) Eject(context.Context, string, string, time.Time) error {
	f.calls++
	return errors.New("throttled")
}

func (f *failingEjections) Ejected(context.Context, string, time.Time) (map[string]time.Time, error) {
	f.calls++
	return nil, errors.New("throttled")
}

// Two processes (Clients) share ejections: the one that sees instance a fail
// ejects it and publishes the ejection; the other, which never saw a
// failure, stops sending to a at its next refresh, and a returns to both
// when the ejection ends.
func TestSharedEjection(t *testing.T) {
	clock := newClock()
	a, b := inst("a", 1), inst("b", 2)
	shared := &MemoryEjections{}
	client := func(tr *fakeTransport) *Client {
		return newClient(t, Config{
			Discoverer: static(a, b), Transport: tr, Clock: clock, Random: seeded(1),
			RefreshInterval: 10 * time.Second, Ejections: shared,
			Policy: Policy{LoadBalancer: RoundRobin, Retry: Retry{Attempts: 1}},
		})
	}
	trA := &fakeTransport{answer: statusByHost(map[string]int{a.HostPort(): 503})}
	trB := &fakeTransport{}
	first, second := client(trA), client(trB)
	get(t, second, "http://svc/") // second has discovered svc before the ejection

	for range 10 { // round robin: a fails 5 times and is ejected
		get(t, first, "http://svc/")
	}
	got, _ := shared.Ejected(context.Background(), "svc", clock.Now())
	if until, ok := got["a"]; !ok || !until.Equal(clock.Now().Add(60*time.Second)) {
		t.Fatalf("got shared ejections %v, want a until now + 60 s", got)
	}

	clock.Advance(10 * time.Second) // second's next refresh
	before := trB.count(a.HostPort())
	for range 20 {
		get(t, second, "http://svc/")
	}
	if n := trB.count(a.HostPort()) - before; n != 0 {
		t.Fatalf("got %d requests from the second client to the ejected a, want 0", n)
	}

	clock.Advance(50100 * time.Millisecond) // the ejection is over
	before = trB.count(a.HostPort())
	for range 2 {
		get(t, second, "http://svc/")
	}
	if n := trB.count(a.HostPort()) - before; n != 1 {
		t.Fatalf("got %d requests to a after its ejection, want 1 (back in rotation)", n)
	}
}

// Shared ejections respect MaxEjectionPercent: of two instances both ejected
// elsewhere, one is adopted.
func TestSharedEjectionCap(t *testing.T) {
	clock := newClock()
	a, b := inst("a", 1), inst("b", 2)
	shared := &MemoryEjections{}
	for _, id := range []string{"a", "b"} {
		shared.Eject(context.Background(), "svc", id, clock.Now().Add(time.Minute))
	}
	tr := &fakeTransport{}
	c := newClient(t, Config{Discoverer: static(a, b), Transport: tr, Clock: clock, Ejections: shared, Policy: Policy{LoadBalancer: RoundRobin}})
	for range 10 {
		get(t, c, "http://svc/")
	}
	na, nb := tr.count(a.HostPort()), tr.count(b.HostPort())
	if (na == 0) == (nb == 0) {
		t.Fatalf("got %d requests to a and %d to b, want all to exactly one of them (50 %% cap)", na, nb)
	}
}

// A store that is down changes nothing: the local ejection works, requests
// succeed, and the failures are only logged.
func TestSharedEjectionStoreDown(t *testing.T) {
	clock := newClock()
	a, b := inst("a", 1), inst("b", 2)
	store := &failingEjections{}
	tr := &fakeTransport{answer: statusByHost(map[string]int{a.HostPort(): 503})}
	c := newClient(t, Config{
		Discoverer: static(a, b), Transport: tr, Clock: clock, Ejections: store,
		Policy: Policy{LoadBalancer: RoundRobin, Retry: Retry{Attempts: 1}},
	})
	for range 10 {
		get(t, c, "http://svc/")
	}
	before := tr.count(a.HostPort())
	for range 10 {
		if s := get(t, c, "http://svc/"); s != 200 {
			t.Fatalf("got %d, want 200 with a ejected locally", s)
		}
	}
	if n := tr.count(a.HostPort()) - before; n != 0 || store.calls != 2 {
		t.Fatalf("got %d requests to a after its ejection and %d store calls, want 0 and 2 (one read, one publish)", n, store.calls)
	}
}

func TestMemoryEjections(t *testing.T) {
	var m MemoryEjections
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	m.Eject(ctx, "svc", "a", t0.Add(2*time.Minute))
	m.Eject(ctx, "svc", "a", t0.Add(time.Minute)) // an earlier end does not shorten it
	m.Eject(ctx, "svc", "b", t0.Add(time.Second))
	m.Eject(ctx, "other", "c", t0.Add(time.Hour))
	got, err := m.Ejected(ctx, "svc", t0.Add(time.Second))
	if err != nil || len(got) != 1 || !got["a"].Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("got %v, %v; want only a, until t0 + 2 min", got, err)
	}
}
