package mesh

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// backoffsFire fires backoff sleeps at once and holds per-try timeouts.
func backoffsFire(d time.Duration) bool { return d < time.Second }

// retryClient returns a round-robin client over a (first) and b.
func retryClient(t *testing.T, tr http.RoundTripper, p Policy) (*Client, Instance, Instance) {
	a, b := inst("a", 1), inst("b", 2)
	clock := newClock()
	clock.fire = backoffsFire
	p.LoadBalancer = RoundRobin
	c := newClient(t, Config{Discoverer: static(a, b), Transport: tr, Clock: clock, Random: seeded(1), Policy: p})
	return c, a, b
}

// An attempt that fails (503, connect failure, reset) is retried on the other
// instance, for idempotent methods and replayable bodies only.
func TestRetry(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	resetErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	body := func(s string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
	}
	tests := []struct {
		name      string
		method    string
		header    http.Header
		getBody   bool // set Request.GetBody
		policy    Policy
		failA     func(*http.Request) (*http.Response, error)
		wantTries int
		wantCode  int // 0: want an error
	}{
		{"GET 503 retried", "GET", nil, false, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 2, 200},
		{"GET connect failure retried", "GET", nil, false, Policy{}, func(*http.Request) (*http.Response, error) { return nil, dialErr }, 2, 200},
		{"GET reset retried", "GET", nil, false, Policy{}, func(*http.Request) (*http.Response, error) { return nil, resetErr }, 2, 200},
		{"GET 404 not retried", "GET", nil, false, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 404), nil }, 1, 404},
		{"POST 503 not retried", "POST", nil, true, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 1, 503},
		{"POST reset not retried", "POST", nil, true, Policy{}, func(*http.Request) (*http.Response, error) { return nil, resetErr }, 1, 0},
		{"POST allowed by policy", "POST", nil, true, Policy{Retry: Retry{NonIdempotent: true}}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 2, 200},
		{"POST with Idempotency-Key", "POST", http.Header{"Idempotency-Key": {"k1"}}, true, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 2, 200},
		{"PUT body without GetBody not retried", "PUT", nil, false, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 1, 503},
		{"PUT body replayed", "PUT", nil, true, Policy{}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 2, 200},
		{"retries disabled", "GET", nil, false, Policy{Retry: Retry{Attempts: 1}}, func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }, 1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Instance
			tr := &fakeTransport{}
			tr.answer = func(r *http.Request) (*http.Response, error) {
				if r.URL.Host == a.HostPort() {
					return tt.failA(r)
				}
				return respond(r, 200), nil
			}
			c, ia, _ := retryClient(t, tr, tt.policy)
			a = ia
			var rd io.Reader
			if tt.method == "POST" || tt.method == "PUT" {
				rd = bytes.NewReader([]byte("payload"))
			}
			req, _ := http.NewRequest(tt.method, "http://svc/x", rd)
			req.GetBody = nil
			if tt.getBody {
				req.GetBody = body("payload")
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := c.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			switch {
			case tt.wantCode == 0 && err == nil:
				t.Fatalf("got status %d, want an error", resp.StatusCode)
			case tt.wantCode != 0 && (err != nil || resp.StatusCode != tt.wantCode):
				t.Fatalf("got %v, %v; want status %d", resp, err, tt.wantCode)
			}
			if got := len(tr.hosts); got != tt.wantTries {
				t.Fatalf("got %d attempts, want %d", got, tt.wantTries)
			}
			for i, b := range tr.bodies {
				if rd != nil && b != "payload" {
					t.Fatalf("got body %q on attempt %d, want %q", b, i+1, "payload")
				}
			}
		})
	}
}

// Always failing: 3 attempts, then the last 503 is returned to the caller.
func TestRetryAttempts(t *testing.T) {
	tr := &fakeTransport{answer: func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }}
	c, _, _ := retryClient(t, tr, Policy{})
	if got := get(t, c, "http://svc/"); got != 503 {
		t.Fatalf("got status %d, want 503", got)
	}
	if got := len(tr.hosts); got != DefaultAttempts {
		t.Fatalf("got %d attempts, want %d", got, DefaultAttempts)
	}
	row := c.Snapshot().Rows[0]
	if row.Requests != 3 || row.Retries != 2 || row.Status5xx != 3 {
		t.Fatalf("got %d requests, %d retries, %d 5xx in the snapshot, want 3, 2, 3", row.Requests, row.Retries, row.Status5xx)
	}
}

// An attempt without response headers after 2 s is abandoned and retried.
func TestRetryPerTryTimeout(t *testing.T) {
	clock := newClock()
	clock.fire = backoffsFire
	clock.added = make(chan time.Duration, 10)
	a, b := inst("a", 1), inst("b", 2)
	arrived := make(chan struct{})
	tr := &fakeTransport{answer: func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == a.HostPort() {
			close(arrived)
			<-r.Context().Done()
			return nil, r.Context().Err()
		}
		return respond(r, 200), nil
	}}
	c := newClient(t, Config{Discoverer: static(a, b), Transport: tr, Clock: clock, Random: seeded(1), Policy: Policy{LoadBalancer: RoundRobin}})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-arrived
		if d := <-clock.added; d != DefaultPerTryTimeout {
			t.Errorf("got a %s timer, want the %s per-try timeout", d, DefaultPerTryTimeout)
		}
		clock.Advance(DefaultPerTryTimeout)
	}()
	status := get(t, c, "http://svc/")
	wg.Wait()
	if status != 200 || tr.count(a.HostPort()) != 1 || tr.count(b.HostPort()) != 1 {
		t.Fatalf("got status %d after %v, want 200 after one attempt on a and one on b", status, tr.hosts)
	}
	for _, r := range c.Snapshot().Rows {
		if r.Instance == "a" && r.Errors != 1 {
			t.Fatalf("got %d errors for a, want 1 (the timed-out attempt)", r.Errors)
		}
	}

	// Without another instance to retry on, the caller sees ErrPerTryTimeout.
	c1 := newClient(t, Config{Discoverer: static(a), Transport: tr, Clock: clock, Policy: Policy{Retry: Retry{Attempts: 1}}})
	arrived = make(chan struct{})
	go func() {
		<-arrived
		<-clock.added
		clock.Advance(DefaultPerTryTimeout)
	}()
	if _, err := c1.RoundTrip(mustRequest(t, "GET", "http://svc/")); !errors.Is(err, ErrPerTryTimeout) {
		t.Fatalf("got %v, want ErrPerTryTimeout", err)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A retry whose backoff would end past the caller's deadline is not made.
func TestRetryNeverPastDeadline(t *testing.T) {
	tests := []struct {
		name      string
		remaining time.Duration // caller's deadline minus now
		wantTries int
	}{
		{"deadline before the backoff ends", 100 * time.Millisecond, 1},
		{"deadline after the backoff ends", time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Real time: the deadline is an hour or more away, so it never
			// fires; the fake clock is what the Client compares it with.
			clock := &fakeClock{now: time.Now().Add(time.Hour)}
			clock.fire = func(d time.Duration) bool { return d < time.Second }
			tr := &fakeTransport{answer: func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }}
			c := newClient(t, Config{
				Discoverer: static(inst("a", 1), inst("b", 2)), Transport: tr, Clock: clock,
				Random: fixedRand{0.5}, // backoff: half of 400 ms = 200 ms
				Policy: Policy{Retry: Retry{Attempts: 2, BackoffBase: Duration(400 * time.Millisecond), BackoffMax: Duration(400 * time.Millisecond)}},
			})
			ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(tt.remaining))
			defer cancel()
			resp, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/").WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := len(tr.hosts); got != tt.wantTries {
				t.Fatalf("got %d attempts, want %d", got, tt.wantTries)
			}
		})
	}
}

// With every attempt failing, retries stop at Ratio × requests +
// MinPerSecond × TTL within the TTL, and come back when the window moves on.
func TestRetryBudget(t *testing.T) {
	clock := newClock()
	clock.fire = func(d time.Duration) bool { return d < time.Second && d > 0 }
	tr := &fakeTransport{answer: func(r *http.Request) (*http.Response, error) { return respond(r, 503), nil }}
	c := newClient(t, Config{
		Discoverer: static(inst("a", 1), inst("b", 2), inst("c", 3)), Transport: tr, Clock: clock, Random: seeded(1),
		// Backoffs are tiny, so the 100 requests stay within one TTL.
		Policy: Policy{
			Outlier: Outlier{Disabled: true},
			Retry: Retry{BackoffBase: Duration(time.Microsecond), BackoffMax: Duration(time.Microsecond),
				Budget: Budget{Ratio: 0.25, MinPerSecond: 1, TTL: Duration(10 * time.Second)}},
		},
	})
	for range 100 {
		get(t, c, "http://svc/")
	}
	// 0.25 × 100 + 1 × 10 = 35 retries on top of 100 requests.
	if got := len(tr.hosts); got != 135 {
		t.Fatalf("got %d attempts for 100 requests, want 135 (35 retries)", got)
	}
	clock.Advance(11 * time.Second)
	get(t, c, "http://svc/")
	if got := len(tr.hosts); got != 138 {
		t.Fatalf("got %d attempts after the window moved on, want 138 (a request with 2 retries)", got)
	}
}

// Pool.MaxRequests: the request beyond the limit fails at once with an
// *OverflowError; closing a response body frees its slot.
func TestOverflowMaxRequests(t *testing.T) {
	tr := &fakeTransport{}
	c := newClient(t, Config{Discoverer: static(inst("a", 1)), Transport: tr, Policy: Policy{Pool: Pool{MaxRequests: 2}}})
	var open []*http.Response
	for range 2 {
		resp, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/"))
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, resp)
	}
	_, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/"))
	var oe *OverflowError
	if !errors.Is(err, ErrOverflow) || !errors.As(err, &oe) || oe.Limit != "maxRequests" || oe.Max != 2 || oe.Service != "svc" {
		t.Fatalf("got %v, want an *OverflowError for maxRequests 2 of svc", err)
	}
	if len(tr.hosts) != 2 {
		t.Fatalf("got %d requests sent, want 2 (the overflow never sent)", len(tr.hosts))
	}
	open[0].Body.Close()
	open[0].Body.Close() // twice: frees one slot only
	resp, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/"))
	if err != nil {
		t.Fatalf("got %v after closing a body, want a free slot", err)
	}
	defer resp.Body.Close()
	if _, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/")); !errors.Is(err, ErrOverflow) {
		t.Fatalf("got %v with two bodies open, want ErrOverflow", err)
	}
	open[1].Body.Close()
}
