package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/logging"
)

// TestAccessLogMatchesLogger: an access line written through Config.AccessLog
// (the gateway's own encoder, as the aggregator wires it) carries exactly
// what the same request's line through Config.Logger carries, byte for byte
// after the time.
func TestAccessLogMatchesLogger(t *testing.T) {
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 503) })
	svcs := services{"user-service": echo("u"), "order-service": failing}
	cases := []struct {
		name  string
		limit string // a limits document, or none
		path  string
		trace string
	}{
		{"proxy", "", "/api/v1/users/1", ""},
		{"composite with a failed and a missing call, traced", "", "/user-dashboard", "Root=1-5759e988-bd862e3fe1be46a994272793"},
		{"no route", "", "/nowhere/\u00e9\"quote", ""},
		{"limited", `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":1,"window":"1m"}]}`, "/api/v1/users/1", ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var viaLogger, viaLines bytes.Buffer
			handler := func(cfg Config) *Handler {
				cfg.Configuration = config.Fixed(testTable(t), nil)
				if tt.limit != "" {
					cfg.Configuration = config.Fixed(testTable(t), testSet(t, tt.limit))
				}
				cfg.Transport = svcs
				cfg.Now = func() time.Time { return testNow }
				cfg.NewID = func() string { return "11111111-2222-4333-8444-555555555555" }
				h, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			withLogger := handler(Config{Logger: logging.New(&viaLogger, slog.LevelInfo).With("function", "aggregator")})
			withLines := handler(Config{AccessLog: logging.NewLines(&viaLines, "function", "aggregator")})
			for range 2 { // the second is over the limit, when there is one
				ev := event("GET", tt.path, nil)
				if tt.trace != "" {
					ev.MultiValueHeaders = map[string][]string{"X-Amzn-Trace-Id": {tt.trace}}
				}
				withLogger.Handle(context.Background(), ev)
				withLines.Handle(context.Background(), ev)
			}
			want, got := accessLines(t, viaLogger.String()), accessLines(t, viaLines.String())
			if len(got) != 2 || len(want) != 2 {
				t.Fatalf("got %d and %d access lines, want 2 each", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("line %d: got %s, want %s", i, got[i], want[i])
				}
			}
		})
	}
}

// accessLines returns the access lines of a log, without their time.
func accessLines(t *testing.T, log string) []string {
	t.Helper()
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSpace(log), "\n") {
		var v struct{ Time, Msg string }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("got log line %q, want JSON: %v", l, err)
		}
		if v.Msg != "access" {
			continue
		}
		rest, ok := strings.CutPrefix(l, `{"time":"`+v.Time+`",`)
		if !ok {
			t.Fatalf("got %s, want it to start with the time", l)
		}
		lines = append(lines, rest)
	}
	return lines
}
