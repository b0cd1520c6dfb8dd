package mesh

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// A connection carries at most MaxRequestsPerConnection requests; the next
// request goes out on a fresh connection, transparently (also a POST, which is
// never retried: nothing of it was written on the retired connection).
func TestMaxRequestsPerConnection(t *testing.T) {
	var mu sync.Mutex
	perConn := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		perConn[r.RemoteAddr]++
		mu.Unlock()
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	for _, tt := range []struct {
		limit, requests, wantConns int
	}{
		{limit: 0, requests: 25, wantConns: 3}, // the default, 10
		{limit: 4, requests: 9, wantConns: 3},
	} {
		clear(perConn)
		c, err := New(Config{
			Discoverer: static(Instance{ID: "i-1", Address: host, Port: p}),
			Transport:  &http.Transport{},
			Policy:     Policy{Pool: Pool{MaxRequestsPerConnection: tt.limit}},
		})
		if err != nil {
			t.Fatal(err)
		}
		limit := tt.limit
		if limit == 0 {
			limit = DefaultMaxRequestsPerConnection
		}
		for i := range tt.requests {
			method := http.MethodGet
			if i%3 == 0 {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, "http://svc/", nil)
			resp, err := c.HTTPClient().Do(req)
			if err != nil {
				t.Fatalf("limit %d, request %d (%s): %v", limit, i+1, method, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if len(perConn) != tt.wantConns {
			t.Errorf("limit %d: got %d connections for %d requests, want %d (%v)", limit, len(perConn), tt.requests, tt.wantConns, perConn)
		}
		for addr, n := range perConn {
			if n > limit {
				t.Errorf("limit %d: connection %s carried %d requests", limit, addr, n)
			}
		}
	}
}

func TestPolicyRefusesNegativePerConnectionLimit(t *testing.T) {
	if err := (Policy{Pool: Pool{MaxRequestsPerConnection: -1}}).Validate(); err == nil {
		t.Fatal("got nil error for a negative maxRequestsPerConnection, want one")
	}
}
