package ratelimit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Document is the limits configuration as data: what the Terraform resource
// portico_limits writes and the aggregator reads.
//
//	{"version": 1, "rules": [
//	  {"name": "ip", "dimension": "ip", "requests": 100, "window": "1m", "failMode": "open"},
//	  {"name": "search", "dimension": "endpoint", "route": "/api/v1/search", "requests": 10, "window": "1m"},
//	  {"name": "tier-free", "dimension": "tier", "tier": "free", "requests": 100, "window": "1h"},
//	  {"name": "global", "dimension": "global", "requests": 10000, "window": "1s", "shards": 3, "lease": 10, "failMode": "open"}
//	]}
type Document struct {
	// Version of the document format; 1.
	Version int `json:"version"`
	// Rules are the limits; names are unique.
	Rules []RuleDocument `json:"rules"`
}

// RuleDocument is one Rule as data. Durations are Go duration strings ("1s",
// "1m", "1h", "24h").
type RuleDocument struct {
	Name      string    `json:"name"`
	Dimension Dimension `json:"dimension"`
	Route     string    `json:"route,omitempty"`
	Tier      string    `json:"tier,omitempty"`
	Requests  int64     `json:"requests"`
	Window    string    `json:"window"`
	// Algorithm is "fixed" (default) or "sliding".
	Algorithm string `json:"algorithm,omitempty"`
	Lease     int64  `json:"lease,omitempty"`
	Shards    int    `json:"shards,omitempty"`
	// FailMode is "closed" (default, 503 when the store is down) or "open"
	// (an in-memory per-instance limiter of Floor requests decides).
	FailMode string `json:"failMode,omitempty"`
	Floor    int64  `json:"floor,omitempty"`
}

// ParseDocument reads a limits document strictly and returns its rules,
// validated as NewSet would (with a placeholder store). Every error names the
// rule and field at fault.
func ParseDocument(doc []byte) ([]Rule, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: limits document: %w", ErrConfig, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: limits document: trailing data", ErrConfig)
	}
	if d.Version != 1 {
		return nil, fmt.Errorf("%w: limits document: version %d: want 1", ErrConfig, d.Version)
	}
	rules := make([]Rule, 0, len(d.Rules))
	names := map[string]bool{}
	for i, rd := range d.Rules {
		r, err := rd.rule()
		if err != nil {
			return nil, fmt.Errorf("%w: limits document: rule %d (%q): %w", ErrConfig, i, rd.Name, err)
		}
		if names[rd.Name] {
			return nil, fmt.Errorf("%w: limits document: rule %d: name %q is used twice", ErrConfig, i, rd.Name)
		}
		names[rd.Name] = true
		probe := r
		probe.Limit.Store = NewMemory(nil)
		if err := probe.Validate(); err != nil {
			return nil, fmt.Errorf("limits document: rule %d: %w", i, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (rd RuleDocument) rule() (Rule, error) {
	window, err := time.ParseDuration(rd.Window)
	if err != nil {
		return Rule{}, fmt.Errorf("window %q: want a duration such as 1s, 1m, 1h or 24h", rd.Window)
	}
	c := Config{Name: rd.Name, Requests: rd.Requests, Window: window, Lease: rd.Lease, Shards: rd.Shards, Floor: rd.Floor}
	switch rd.Algorithm {
	case "", "fixed":
		c.Algorithm = FixedWindow
	case "sliding":
		c.Algorithm = SlidingWindow
	default:
		return Rule{}, fmt.Errorf("algorithm %q: want fixed or sliding", rd.Algorithm)
	}
	switch rd.FailMode {
	case "", "closed":
		c.FailMode = FailClosed
	case "open":
		c.FailMode = FailOpen
	default:
		return Rule{}, fmt.Errorf("failMode %q: want open or closed", rd.FailMode)
	}
	return Rule{Limit: c, Dimension: rd.Dimension, Route: rd.Route, Tier: rd.Tier}, nil
}
