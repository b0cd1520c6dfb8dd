package ratelimit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDocument(t *testing.T) {
	doc := `{"version": 1, "rules": [
		{"name": "ip", "dimension": "ip", "requests": 100, "window": "1m", "failMode": "open", "floor": 50},
		{"name": "search", "dimension": "endpoint", "route": "/api/v1/search", "requests": 10, "window": "1m"},
		{"name": "tier-pro", "dimension": "tier", "tier": "pro", "requests": 1000, "window": "1h", "algorithm": "sliding"},
		{"name": "global", "dimension": "global", "requests": 10000, "window": "1s", "shards": 10, "lease": 10, "failMode": "open"}
	]}`
	rules, err := ParseDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 4 {
		t.Fatalf("got %d rules, want 4", len(rules))
	}
	ip, search, pro, global := rules[0], rules[1], rules[2], rules[3]
	if ip.Dimension != IP || ip.Limit.Requests != 100 || ip.Limit.Window != time.Minute || ip.Limit.FailMode != FailOpen || ip.Limit.Floor != 50 {
		t.Errorf("ip: got %+v", ip)
	}
	if search.Route != "/api/v1/search" || search.Limit.FailMode != FailClosed || search.Limit.Algorithm != FixedWindow {
		t.Errorf("search: got %+v", search)
	}
	if pro.Tier != "pro" || pro.Limit.Algorithm != SlidingWindow || pro.Limit.Window != time.Hour {
		t.Errorf("tier-pro: got %+v", pro)
	}
	if global.Limit.Shards != 10 || global.Limit.Lease != 10 || global.Limit.Store != nil {
		t.Errorf("global: got %+v (the store comes from NewSet)", global)
	}
	if _, err := NewSet(NewMemory(nil), rules); err != nil {
		t.Fatalf("NewSet of the parsed rules: %v", err)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"version": 2, "rules": []}`, "version 2"},
		{`{"version": 1, "rules": [], "extra": 1}`, "unknown field"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "soon"}]}`, `window "soon"`},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "1500ms"}]}`, "whole number of seconds"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 0, "window": "1m"}]}`, "Requests 0"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "planet", "requests": 1, "window": "1m"}]}`, "unknown dimension"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "endpoint", "requests": 1, "window": "1m"}]}`, "needs a Route"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "1m", "algorithm": "gcra"}]}`, `algorithm "gcra"`},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "1m", "failMode": "maybe"}]}`, `failMode "maybe"`},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "1m"}, {"name": "a", "dimension": "global", "requests": 1, "window": "1m"}]}`, "used twice"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "global", "requests": 100, "window": "1m", "shards": 4, "algorithm": "sliding"}]}`, "Shards need"},
	}
	for _, tt := range tests {
		_, err := ParseDocument([]byte(tt.doc))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDocument(%s): got %v, want an ErrConfig mentioning %q", tt.doc, err, tt.want)
		}
	}
}
