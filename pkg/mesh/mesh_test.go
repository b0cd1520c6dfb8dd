package mesh

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func instance(t testing.TB, srv *httptest.Server, id string) Instance {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return Instance{ID: id, Address: u.Hostname(), Port: port}
}

func TestRoundTripRoundRobin(t *testing.T) {
	var srvs []*httptest.Server
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.URL.Path)
		}))
		defer srv.Close()
		srvs = append(srvs, srv)
	}
	d := &fakeDiscoverer{discover: func(service string) ([]Instance, error) {
		if service != "user-service" {
			return nil, nil
		}
		return []Instance{instance(t, srvs[0], "a"), instance(t, srvs[1], "b")}, nil
	}}
	// Round robin makes the order exact; the default, least-request, is
	// tested in balancer_test.go.
	c, err := New(Config{Discoverer: d, Policy: Policy{LoadBalancer: RoundRobin}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		resp, err := c.HTTPClient().Get("http://user-service/users/1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, string(b))
	}
	want := []string{"a /users/1", "b /users/1", "a /users/1", "b /users/1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if d.calls != 1 {
		t.Fatalf("got %d discovery calls, want 1 (cached)", d.calls)
	}
	if _, err := c.HTTPClient().Get("http://unknown-service/"); !errors.Is(err, ErrNoInstances) {
		t.Fatalf("got %v, want ErrNoInstances", err)
	}
}

func TestDiscoveryFailureKeepsLastKnown(t *testing.T) {
	clock := newClock()
	fail := false
	d := &fakeDiscoverer{discover: func(string) ([]Instance, error) {
		if fail {
			return nil, errors.New("throttled")
		}
		return []Instance{{ID: "i-1", Address: "127.0.0.1", Port: 8080}}, nil
	}}
	c, err := New(Config{Discoverer: d, RefreshInterval: time.Second, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Pick(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	fail = true
	clock.Advance(2 * time.Second)
	inst, err := c.Pick(ctx, "s")
	if err != nil || inst.ID != "i-1" {
		t.Fatalf("got %v, %v; want the last known instance i-1", inst, err)
	}
	if _, err := c.Pick(ctx, "s"); err != nil || d.calls != 2 {
		t.Fatalf("got %d calls, %v; want 2 calls (no retry storm within the interval)", d.calls, err)
	}
	if _, err := c.Pick(ctx, "never-seen"); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("got %v, want ErrDiscovery for a service with nothing cached", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("got nil error for a config without Discoverer, want one")
	}
	if _, err := New(Config{Discoverer: &fakeDiscoverer{}, RefreshInterval: -1}); err == nil {
		t.Fatal("got nil error for a negative RefreshInterval, want one")
	}
	bad := Policy{Versions: []Weighted{{Version: "v1", Weight: 90}}}
	if _, err := New(Config{Discoverer: &fakeDiscoverer{}, Policies: map[string]Policy{"s": bad}}); !errors.Is(err, ErrPolicy) {
		t.Fatalf("got %v for weights summing to 90, want ErrPolicy", err)
	}
}

// An instance's redirect must not make the client call another host with the
// caller's headers: HTTPClient returns the 3xx as it is.
func TestAttackHTTPClientFollowsRedirects(t *testing.T) {
	var reached int
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	defer target.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/admin", status)
			}))
			defer srv.Close()
			d := &fakeDiscoverer{discover: func(string) ([]Instance, error) { return []Instance{instance(t, srv, "a")}, nil }}
			c, err := New(Config{Discoverer: d})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", "http://payment/charge", nil)
			req.Header.Set("X-User-Id", "alice")
			resp, err := c.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != status || resp.Header.Get("Location") != target.URL+"/admin" {
				t.Fatalf("got %d Location %q, want %d to %s/admin", resp.StatusCode, resp.Header.Get("Location"), status, target.URL)
			}
			if reached != 0 {
				t.Fatalf("the redirect target was called %d times, want 0", reached)
			}
		})
	}
}
