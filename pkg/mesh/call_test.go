package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

// callClient returns a round-robin client over a (first) and b, whose
// backoff sleeps take no time.
func callClient(t *testing.T, p Policy) (*Client, *fakeClock, Instance, Instance) {
	t.Helper()
	a, b := inst("a", 1), inst("b", 2)
	clock := newClock()
	clock.fire = backoffsFire
	p.LoadBalancer = RoundRobin
	c := newClient(t, Config{Discoverer: static(a, b), Transport: &fakeTransport{}, Clock: clock, Random: seeded(1), Policy: p, RefreshInterval: time.Hour})
	return c, clock, a, b
}

// A failed try goes to the other instance when it was never sent, or when
// the call is idempotent (or the policy retries non-idempotent calls); a
// failure the instance is not to blame for is not retried.
func TestCallRetries(t *testing.T) {
	errDown := errors.New("connection refused")
	tests := []struct {
		name       string
		idempotent bool
		policy     Policy
		onA        Attempt
		wantTries  int
		wantErr    error
	}{
		{"unsent retried", false, Policy{}, Attempt{Err: errDown, Failed: true, Unsent: true}, 2, nil},
		{"sent, not idempotent: not retried", false, Policy{}, Attempt{Err: errDown, Status: 503, Failed: true}, 1, errDown},
		{"sent, idempotent: retried", true, Policy{}, Attempt{Err: errDown, Status: 503, Failed: true}, 2, nil},
		{"sent, policy allows non-idempotent", false, Policy{Retry: Retry{NonIdempotent: true}}, Attempt{Err: errDown, Status: 503, Failed: true}, 2, nil},
		{"not a failure: not retried", true, Policy{}, Attempt{Err: errDown, Status: 404}, 1, errDown},
		{"retries disabled", true, Policy{Retry: Retry{Attempts: 1}}, Attempt{Err: errDown, Failed: true, Unsent: true}, 1, errDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, a, b := callClient(t, tt.policy)
			var tries []string
			err := c.Call(context.Background(), "svc", tt.idempotent, func(ctx context.Context, inst Instance) Attempt {
				tries = append(tries, inst.ID)
				if inst.ID == a.ID {
					return tt.onA
				}
				return Attempt{Status: 200}
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if len(tries) != tt.wantTries || tries[0] != a.ID || (len(tries) == 2 && tries[1] != b.ID) {
				t.Fatalf("got tries %v, want %d starting with a, then b", tries, tt.wantTries)
			}
		})
	}
}

// Every try failing: the policy's attempts, then the last error; the
// snapshot counts the tries, retries and 5xx like the HTTP path's.
func TestCallAttemptsAndMetrics(t *testing.T) {
	c, _, _, _ := callClient(t, Policy{})
	n := 0
	err := c.Call(context.Background(), "svc", true, func(context.Context, Instance) Attempt {
		n++
		return Attempt{Err: errors.New("unavailable"), Status: 503, Failed: true}
	})
	if err == nil || n != DefaultAttempts {
		t.Fatalf("got %d tries and error %v, want %d tries and the last error", n, err, DefaultAttempts)
	}
	row := c.Snapshot().Rows[0] // the service's row
	if row.Instance != "" || row.Requests != 3 || row.Retries != 2 || row.Status5xx != 3 {
		t.Fatalf("got %+v, want the service row with 3 requests, 2 retries, 3 5xx", row)
	}
}

// A failing instance is ejected after its 5th consecutive failure, as on the
// HTTP path, and the other takes every call.
func TestCallEjectsFailingInstance(t *testing.T) {
	c, _, a, _ := callClient(t, Policy{Retry: Retry{Attempts: 1}})
	count := map[string]int{}
	call := func() {
		c.Call(context.Background(), "svc", false, func(_ context.Context, inst Instance) Attempt {
			count[inst.ID]++
			if inst.ID == a.ID {
				return Attempt{Err: errors.New("internal"), Status: 500, Failed: true}
			}
			return Attempt{Status: 200}
		})
	}
	for range 10 {
		call()
	}
	before := count[a.ID]
	for range 100 {
		call()
	}
	if before != 5 || count[a.ID] != before {
		t.Fatalf("got %d calls to a before ejection and %d after, want 5 and 0", before, count[a.ID]-before)
	}
}

// A try that outlives the per-try timeout sees its context cancelled and
// counts as a failure of the instance; an idempotent call goes on to the
// other one.
func TestCallPerTryTimeout(t *testing.T) {
	c, clock, a, _ := callClient(t, Policy{})
	var got []string
	err := c.Call(context.Background(), "svc", true, func(ctx context.Context, inst Instance) Attempt {
		got = append(got, inst.ID)
		if inst.ID != a.ID {
			return Attempt{Status: 200}
		}
		go clock.Advance(DefaultPerTryTimeout)
		<-ctx.Done()
		return Attempt{Err: ctx.Err(), Status: 504}
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v and tries %v, want the call answered by b after a timed out", err, got)
	}
}

// The caller's cancellation is not the instance's failure: no retry, no
// ejection count.
func TestCallCallerCancelled(t *testing.T) {
	c, _, _, _ := callClient(t, Policy{})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := c.Call(ctx, "svc", true, func(ctx context.Context, _ Instance) Attempt {
		n++
		cancel()
		return Attempt{Err: context.Canceled, Failed: true}
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("got %v after %d tries, want context.Canceled after 1", err, n)
	}
}

// A service without instances is Call's error before any try.
func TestCallNoInstances(t *testing.T) {
	c := newClient(t, Config{Discoverer: static(), Transport: &fakeTransport{}, Clock: newClock()})
	err := c.Call(context.Background(), "svc", true, func(context.Context, Instance) Attempt {
		t.Fatal("try called without instances")
		return Attempt{}
	})
	if err == nil {
		t.Fatal("got nil error, want no instances")
	}
}
