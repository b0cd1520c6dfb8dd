package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
)

// TestCompositeMergeKeepsBodies: a composite answer places each call's body
// under its key as the backend sent it (never decoded and encoded again),
// null for a call that failed or sent nothing, and is valid JSON whatever
// valid JSON the calls answered.
func TestCompositeMergeKeepsBodies(t *testing.T) {
	calls := []route.Outgoing{{Key: "a", Service: "sa"}, {Key: "b-2", Service: "sb"}, {Key: "c_3", Service: "sc"}, {Key: "d", Service: "sd"}}
	bodies := []string{
		`{"id":"1","big":12345678901234567890123,"f":1.000,"u":"\u00e9","e":"\ud83d\ude00"}`,
		` [ 1 , 2 ] `,
		`"just a string"`,
		`{"nested":{"deep":[{"x":null}]}}`,
	}
	results := make([]callResult, len(calls))
	for i, b := range bodies {
		results[i] = callResult{body: []byte(b), status: 200, latency: 1.25}
	}
	results[2] = callResult{status: 504, latency: 5000, err: errors.New("timeout"), reason: "timed out"}
	results[3] = callResult{status: 204, latency: 0.5} // an empty answer
	out := merge(calls, results)
	if !json.Valid([]byte(out)) {
		t.Fatalf("got %s, want valid JSON", out)
	}
	var got map[string]json.RawMessage
	json.Unmarshal([]byte(out), &got)
	for key, want := range map[string]string{"a": bodies[0], "b-2": strings.TrimSpace(bodies[1]), "c_3": "null", "d": "null"} {
		if string(bytes.TrimSpace(got[key])) != want {
			t.Errorf("%s: got %s, want %s exactly", key, got[key], want)
		}
	}
	var meta map[string]map[string]any
	json.Unmarshal(got["_meta"], &meta)
	if m := meta["c_3"]; m["service"] != "sc" || m["status"] != float64(504) || m["latencyMs"] != float64(5000) || m["error"] != "timed out" {
		t.Errorf("_meta.c_3: got %v, want service sc, status 504, latency 5000 and the reason", m)
	}
	if m := meta["a"]; m["status"] != float64(200) || m["latencyMs"] != 1.25 || m["error"] != nil {
		t.Errorf("_meta.a: got %v, want status 200, latency 1.25, no error", m)
	}
	if len(got) != 5 || len(meta) != 4 {
		t.Errorf("got keys %v and _meta %v, want a, b-2, c_3, d and _meta", got, meta)
	}
}

// TestCompositeRefusesNotJSON: a 2xx answer that is not JSON is never merged:
// the call counts as failed (null and an error in _meta for an optional call).
func TestCompositeRefusesNotJSON(t *testing.T) {
	for _, body := range []string{"<html>", `{"a":1`, `{"a":1} trailing`, "\xff"} {
		t.Run(body, func(t *testing.T) {
			notJSON := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
			h := newHandler(t, services{"user-service": echo("u"), "order-service": notJSON, "notification-service": echo("n")}, nil)
			resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
			got := decode[map[string]json.RawMessage](t, resp.Body)
			meta := decode[metaBody](t, resp.Body).Meta["orders"]
			if resp.StatusCode != 200 || string(got["orders"]) != "null" || meta["status"] != float64(502) || meta["error"] == nil {
				t.Fatalf("got %d %s, want 200 with orders null and a 502 in _meta", resp.StatusCode, resp.Body)
			}
		})
	}
}

// TestHeadersForSharesUntilItDrops: calls running at once share the
// request's headers unless a service's policy routes on one of them, which
// is then removed from a copy; the request's own headers never change.
func TestHeadersForSharesUntilItDrops(t *testing.T) {
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(`{"version":1,"routes":[{"id":"u","match":{"pathPrefix":"/u"},"service":"user-service"}]}`))
	src.Put(statetable.PolicyKey("user-service"), []byte(`{"routes":[{"header":"X-Test-User","value":"true","version":"v2"}]}`))
	snap, err := config.NewBuilder(config.SnapshotConfig{}).Build(context.Background(), src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		header  http.Header
		service string
		shared  bool
		same    bool // the request's own map comes back
		want    int  // headers in what comes back
	}{
		{"nothing to drop, shared", http.Header{"Accept": {"a"}}, "user-service", true, true, 1},
		{"service without policy, shared", http.Header{"X-Test-User": {"true"}, "Accept": {"a"}}, "order-service", true, true, 2},
		{"a routed header, shared", http.Header{"X-Test-User": {"true"}, "X_test_user": {"true"}, "Accept": {"a"}}, "user-service", true, false, 1},
		{"a routed header, not shared", http.Header{"X-Test-User": {"true"}, "Accept": {"a"}}, "user-service", false, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.header)
			r := &request{snap: snap, header: tt.header}
			h := headersFor(r, tt.service, tt.shared)
			same := sameMap(h, r.header)
			if same != tt.same || len(h) != tt.want {
				t.Fatalf("got %v (the request's own: %v), want %d headers (the request's own: %v)", h, same, tt.want, tt.same)
			}
			if tt.shared && len(r.header) != before {
				t.Fatalf("got the request's headers changed to %v, want them as they were", r.header)
			}
		})
	}
}

// sameMap reports whether a and b are the same map, not equal copies.
func sameMap(a, b http.Header) bool {
	a["X-Probe"] = []string{"1"}
	_, same := b["X-Probe"]
	delete(a, "X-Probe")
	return same
}
