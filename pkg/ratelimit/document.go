package ratelimit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	// Usage, when present, makes the gateway count the requests it serves
	// per hour, per API key, per route and, with Claim, per tenant.
	Usage *Usage `json:"usage,omitempty"`
}

// Usage says what the gateway's usage counters count (package
// internal/usage).
type Usage struct {
	// Claim names the claim whose value is the caller's tenant, as a "claim"
	// rule names it (a claim mapping's name, such as "tenant"); empty counts
	// no tenants.
	Claim string `json:"claim,omitempty"`
}

// RuleDocument is one Rule as data. A window is a Go duration string ("1s",
// "1m", "1h", "24h"), a number of days ("1d", "7d"; "day" is "1d"), or
// "month" for calendar months in UTC. Windows are aligned to the Unix epoch,
// so "1d" is a calendar day in UTC; with "algorithm": "sliding" a window
// rolls instead.
type RuleDocument struct {
	Name      string    `json:"name"`
	Dimension Dimension `json:"dimension"`
	Route     string    `json:"route,omitempty"`
	Tier      string    `json:"tier,omitempty"`
	// Claim is the claim a "claim" rule counts per: a claim mapping's name
	// (such as "tenant") or "sub".
	Claim    string `json:"claim,omitempty"`
	Requests int64  `json:"requests"`
	Window   string `json:"window"`
	// Algorithm is "fixed" (default) or "sliding" (a rolling window).
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
	if d.Usage != nil && d.Usage.Claim != "" {
		if err := validClaimName(d.Usage.Claim); err != nil {
			return nil, fmt.Errorf("%w: limits document: usage.claim %w", ErrConfig, err)
		}
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
			msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrConfig.Error()+": "), rd.Name+": ")
			return nil, fmt.Errorf("%w: limits document: rule %d (%q): %s", ErrConfig, i, rd.Name, msg)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (rd RuleDocument) rule() (Rule, error) {
	window, calendar, err := ParseWindow(rd.Window)
	if err != nil {
		return Rule{}, err
	}
	c := Config{Name: rd.Name, Requests: rd.Requests, Window: window, Calendar: calendar, Lease: rd.Lease, Shards: rd.Shards, Floor: rd.Floor}
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
	return Rule{Limit: c, Dimension: rd.Dimension, Route: rd.Route, Tier: rd.Tier, Claim: rd.Claim}, nil
}

// ParseWindow reads a rule document's window: a Go duration ("1m", "24h"), a
// number of days ("1d", "30d"; "day" is "1d"), or "month" (a calendar month
// in UTC).
func ParseWindow(s string) (time.Duration, Calendar, error) {
	switch s {
	case "month":
		return 0, Month, nil
	case "day":
		return 24 * time.Hour, NoCalendar, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days > 0 && days <= 366 {
			return time.Duration(days) * 24 * time.Hour, NoCalendar, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, NoCalendar, fmt.Errorf("window %q: want a duration such as 1s, 1m, 1h, 24h or 1d, or month", s)
	}
	return d, NoCalendar, nil
}

// ParseUsage returns the usage section of a limits document, nil when it has
// none. The document must be valid (ParseDocument).
func ParseUsage(doc []byte) (*Usage, error) {
	if _, err := ParseDocument(doc); err != nil {
		return nil, err
	}
	var d Document
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("%w: limits document: %w", ErrConfig, err)
	}
	if d.Usage != nil {
		d.Usage.Claim = strings.ToLower(d.Usage.Claim)
	}
	return d.Usage, nil
}
