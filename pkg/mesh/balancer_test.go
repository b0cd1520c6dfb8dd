package mesh

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Least-request (the default) sends nothing to an instance with a request in
// flight while the other two are idle... and spreads evenly among idle ones.
func TestLeastRequest(t *testing.T) {
	a, b, cc := inst("a", 1), inst("b", 2), inst("c", 3)
	tr := &fakeTransport{}
	c := newClient(t, Config{Discoverer: static(a, b, cc), Transport: tr, Clock: newClock(), Random: seeded(3)})
	busy, err := c.RoundTrip(mustRequest(t, "GET", "http://svc/"))
	if err != nil {
		t.Fatal(err)
	}
	busyHost := tr.hosts[0]
	for range 3000 {
		get(t, c, "http://svc/")
	}
	if got := tr.count(busyHost); got != 1 {
		t.Fatalf("got %d requests to the busy instance %s, want only the first", got, busyHost)
	}
	for _, h := range []string{a.HostPort(), b.HostPort(), cc.HostPort()} {
		if h == busyHost {
			continue
		}
		// 3000 requests over two idle instances: 1500 each, ± 4 standard deviations.
		if ok, mean, tol := within(tr.count(h), 3000, 0.5); !ok {
			t.Fatalf("got %d requests to %s, want %.0f ± %.0f", tr.count(h), h, mean, tol)
		}
	}
	busy.Body.Close()
	for range 300 {
		get(t, c, "http://svc/")
	}
	if got := tr.count(busyHost); got == 1 {
		t.Fatalf("got no request to %s after its request ended, want some", busyHost)
	}
}

// Pool.MaxConnections through a real http.Transport: a second connection to
// the service is refused at once while the first is busy.
func TestOverflowMaxConnections(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(arrived)
			<-release
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := newClient(t, Config{
		Discoverer: static(instance(t, srv, "s1")),
		Transport:  &http.Transport{},
		Policy:     Policy{Pool: Pool{MaxConnections: 1}, Retry: Retry{Attempts: 1}},
	})
	done := make(chan error, 1)
	go func() {
		resp, err := c.HTTPClient().Get("http://svc/slow")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	<-arrived
	_, err := c.HTTPClient().Get("http://svc/fast")
	var oe *OverflowError
	if !errors.Is(err, ErrOverflow) || !errors.As(err, &oe) || oe.Limit != "maxConnections" {
		t.Fatalf("got %v for a second connection, want an *OverflowError for maxConnections", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTPClient().Get("http://svc/fast")
	if err != nil {
		t.Fatalf("got %v once the connection is idle again, want it reused", err)
	}
	resp.Body.Close()
}
