package mesh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Defaults applied to the zero fields of a Policy (the design chapter's numbers).
const (
	DefaultAttempts           = 3
	DefaultPerTryTimeout      = 2 * time.Second
	DefaultBackoffBase        = 25 * time.Millisecond
	DefaultBackoffMax         = 250 * time.Millisecond
	DefaultBudgetRatio        = 0.2
	DefaultBudgetMinPerSecond = 10
	DefaultBudgetTTL          = 10 * time.Second
	DefaultConsecutive5xx     = 5
	DefaultBaseEjection       = 60 * time.Second
	DefaultMaxEjection        = 300 * time.Second
	DefaultOutlierInterval    = 30 * time.Second
	DefaultMaxEjectionPercent = 50
	DefaultMaxConnections     = 100
	DefaultMaxRequests        = 1000
	// DefaultMaxRequestsPerConnection is how many requests one connection carries before it is retired.
	DefaultMaxRequestsPerConnection = 10
)

// AttrVersion is the instance attribute that names an instance's version.
const AttrVersion = "version"

// Balancer names a load-balancing algorithm.
type Balancer string

// Load-balancing algorithms.
const (
	// LeastRequest is power-of-two-choices least-request: two random instances,
	// the one with fewer requests in flight wins. The default.
	LeastRequest Balancer = "least_request"
	// RoundRobin takes the instances in turn.
	RoundRobin Balancer = "round_robin"
)

// Policy is a service's traffic policy. It is plain data: the Terraform
// provider writes it as JSON in a Cloud Map service attribute. Every zero field
// means its default, so the zero Policy is the design chapter's defaults.
type Policy struct {
	// LoadBalancer is the balancing algorithm; empty means LeastRequest.
	LoadBalancer Balancer `json:"loadBalancer,omitempty"`
	// Match keeps only the instances whose attributes have these values, for
	// example {"zone": "eu-west-1a"}. Empty keeps all.
	Match map[string]string `json:"match,omitempty"`
	// Versions splits traffic by the instances' "version" attribute; the
	// weights must sum to 100. Empty sends to every instance.
	Versions []Weighted `json:"versions,omitempty"`
	// Routes send requests with a header value to a version. The first
	// matching route wins over Versions.
	Routes []Route `json:"routes,omitempty"`
	// Fault injects delays and aborts, for chaos testing.
	Fault Fault `json:"fault,omitzero"`
	// Retry sets attempts, per-try timeout, backoff and the retry budget.
	Retry Retry `json:"retry,omitzero"`
	// Outlier sets outlier detection (ejection of failing instances).
	Outlier Outlier `json:"outlier,omitzero"`
	// Pool sets the circuit-breaking limits.
	Pool Pool `json:"pool,omitzero"`
	// MTLS says the service's instances require mutual TLS: a client
	// connects to them over TLS with its own certificate (Config.TLS), and a
	// client without one refuses the call (ErrTLSRequired) rather than send
	// it, and the caller's identity headers, in plain text.
	MTLS bool `json:"mtls,omitempty"`
}

// Weighted is one version's share of the traffic.
type Weighted struct {
	// Version is the value of the instances' "version" attribute.
	Version string `json:"version"`
	// Weight is the percentage of requests, 0 to 100.
	Weight int `json:"weight"`
}

// Route sends requests whose Header equals Value to Version.
type Route struct {
	// Header is the request header name, such as "X-Test-User".
	Header string `json:"header"`
	// Value is the exact header value that matches, such as "true".
	Value string `json:"value"`
	// Version is the instances' "version" attribute to route to.
	Version string `json:"version"`
}

// Fault injects faults into a percentage of requests, before any attempt.
type Fault struct {
	// DelayPercent of requests, 0 to 100, wait Delay first.
	DelayPercent float64 `json:"delayPercent,omitempty"`
	// Delay is the injected delay; required when DelayPercent > 0.
	Delay Duration `json:"delay,omitempty"`
	// AbortPercent of requests, 0 to 100, are answered with AbortStatus
	// without reaching an instance.
	AbortPercent float64 `json:"abortPercent,omitempty"`
	// AbortStatus is the injected status, 200 to 599; required when
	// AbortPercent > 0.
	AbortStatus int `json:"abortStatus,omitempty"`
}

// Retry is the retry and timeout policy.
type Retry struct {
	// Attempts is the total number of tries, the first included; default 3.
	// 1 disables retries.
	Attempts int `json:"attempts,omitempty"`
	// PerTryTimeout bounds each attempt until its response headers arrive;
	// default 2s.
	PerTryTimeout Duration `json:"perTryTimeout,omitempty"`
	// NonIdempotent allows retrying methods other than GET, HEAD, OPTIONS,
	// TRACE, PUT and DELETE (requests with an Idempotency-Key header are
	// retried anyway). Bodies must still be replayable (Request.GetBody).
	NonIdempotent bool `json:"nonIdempotent,omitempty"`
	// BackoffBase is the first retry's maximum backoff; it doubles per retry
	// up to BackoffMax, and each wait is drawn uniformly below it (full
	// jitter). Defaults 25ms and 250ms.
	BackoffBase Duration `json:"backoffBase,omitempty"`
	// BackoffMax caps the backoff.
	BackoffMax Duration `json:"backoffMax,omitempty"`
	// Budget bounds the retries per service and process.
	Budget Budget `json:"budget,omitzero"`
}

// Budget is a Linkerd-style retry budget: over the last TTL, retries may add
// at most Ratio of the requests plus MinPerSecond × TTL.
type Budget struct {
	// Ratio of extra load retries may add; default 0.2.
	Ratio float64 `json:"ratio,omitempty"`
	// MinPerSecond retries are always allowed, so low-traffic services can
	// retry; default 10.
	MinPerSecond int `json:"minPerSecond,omitempty"`
	// TTL is the window the budget counts over; default 10s.
	TTL Duration `json:"ttl,omitempty"`
}

// Outlier is the outlier-detection policy.
type Outlier struct {
	// Disabled turns outlier detection off.
	Disabled bool `json:"disabled,omitempty"`
	// Consecutive5xx failures (5xx answers, connect failures, resets,
	// per-try timeouts) eject an instance; default 5.
	Consecutive5xx int `json:"consecutive5xx,omitempty"`
	// BaseEjection is multiplied by the times an instance was ejected;
	// default 60s.
	BaseEjection Duration `json:"baseEjection,omitempty"`
	// MaxEjection caps one ejection; default 300s.
	MaxEjection Duration `json:"maxEjection,omitempty"`
	// Interval is how often an instance that stays in service is forgiven
	// one past ejection; default 30s.
	Interval Duration `json:"interval,omitempty"`
	// MaxEjectionPercent of the service's instances may be ejected at once,
	// 1 to 100; one instance may always be. Default 50.
	MaxEjectionPercent int `json:"maxEjectionPercent,omitempty"`
}

// Pool is the circuit-breaking policy: limits per service and process. A
// request beyond a limit fails at once with an *OverflowError.
type Pool struct {
	// MaxConnections open to the service's instances; default 100. Enforced
	// when Config.Transport is an *http.Transport (or nil).
	MaxConnections int `json:"maxConnections,omitempty"`
	// MaxRequests in flight to the service; default 1000.
	MaxRequests int `json:"maxRequests,omitempty"`
	// MaxRequestsPerConnection is how many requests one connection carries
	// before it is retired (closed, and the next request dials a fresh one);
	// default 10. Enforced, like MaxConnections, on an *http.Transport.
	MaxRequestsPerConnection int `json:"maxRequestsPerConnection,omitempty"`
}

// Validate reports a policy the Client cannot apply. Errors wrap ErrPolicy.
func (p Policy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrPolicy, fmt.Sprintf(format, args...))
	}
	switch p.LoadBalancer {
	case "", LeastRequest, RoundRobin:
	default:
		return bad("loadBalancer %q is not %q or %q", p.LoadBalancer, LeastRequest, RoundRobin)
	}
	if len(p.Versions) > 0 {
		sum, seen := 0, map[string]bool{}
		for _, v := range p.Versions {
			if v.Version == "" {
				return bad("versions: empty version name")
			}
			if seen[v.Version] {
				return bad("versions: %q listed twice", v.Version)
			}
			seen[v.Version] = true
			if v.Weight < 0 || v.Weight > 100 {
				return bad("versions: weight %d of %q is not within 0..100", v.Weight, v.Version)
			}
			sum += v.Weight
		}
		if sum != 100 {
			return bad("versions: weights sum to %d, want 100", sum)
		}
	}
	for i, r := range p.Routes {
		switch {
		case r.Header == "":
			return bad("routes[%d]: header is required", i)
		case r.Version == "":
			return bad("routes[%d]: version is required", i)
		case !validHeaderName(r.Header):
			return bad("routes[%d]: header %q is not a valid HTTP header name", i, r.Header)
		}
	}
	f := p.Fault
	if f.DelayPercent < 0 || f.DelayPercent > 100 {
		return bad("fault: delayPercent %g is not within 0..100", f.DelayPercent)
	}
	if f.AbortPercent < 0 || f.AbortPercent > 100 {
		return bad("fault: abortPercent %g is not within 0..100", f.AbortPercent)
	}
	if f.Delay < 0 || (f.DelayPercent > 0 && f.Delay == 0) {
		return bad("fault: delay must be positive when delayPercent is set, got %s", f.Delay)
	}
	if f.AbortPercent > 0 && (f.AbortStatus < 200 || f.AbortStatus > 599) {
		return bad("fault: abortStatus %d is not within 200..599", f.AbortStatus)
	}
	r := p.Retry
	if r.Attempts < 0 || r.Attempts > 10 {
		return bad("retry: attempts %d is not within 0..10", r.Attempts)
	}
	for _, d := range []struct {
		name string
		d    Duration
	}{
		{"retry: perTryTimeout", r.PerTryTimeout}, {"retry: backoffBase", r.BackoffBase}, {"retry: backoffMax", r.BackoffMax},
		{"retry: budget: ttl", r.Budget.TTL}, {"outlier: baseEjection", p.Outlier.BaseEjection},
		{"outlier: maxEjection", p.Outlier.MaxEjection}, {"outlier: interval", p.Outlier.Interval},
	} {
		if d.d < 0 {
			return bad("%s %s is negative", d.name, d.d)
		}
	}
	if r.Budget.Ratio < 0 {
		return bad("retry: budget: ratio %g is negative", r.Budget.Ratio)
	}
	if r.Budget.MinPerSecond < 0 {
		return bad("retry: budget: minPerSecond %d is negative", r.Budget.MinPerSecond)
	}
	if r.Budget.TTL != 0 && r.Budget.TTL < Duration(budgetSlots*time.Millisecond) {
		return bad("retry: budget: ttl %s is below %s", r.Budget.TTL, budgetSlots*time.Millisecond)
	}
	o := p.Outlier
	if o.Consecutive5xx < 0 {
		return bad("outlier: consecutive5xx %d is negative", o.Consecutive5xx)
	}
	if o.MaxEjectionPercent < 0 || o.MaxEjectionPercent > 100 {
		return bad("outlier: maxEjectionPercent %d is not within 0..100", o.MaxEjectionPercent)
	}
	if p.Pool.MaxConnections < 0 {
		return bad("pool: maxConnections %d is negative", p.Pool.MaxConnections)
	}
	if p.Pool.MaxRequestsPerConnection < 0 {
		return bad("pool: maxRequestsPerConnection %d is negative", p.Pool.MaxRequestsPerConnection)
	}
	if p.Pool.MaxRequests < 0 {
		return bad("pool: maxRequests %d is negative", p.Pool.MaxRequests)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// ParsePolicy reads a Policy from JSON and validates it. Unlike
// json.Unmarshal it refuses unknown fields (a misspelt "weigth" would
// otherwise be ignored) and trailing data. Errors wrap ErrPolicy and say
// where the problem is.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil {
		var extra json.RawMessage
		if dec.Decode(&extra) != io.EOF {
			err = errors.New("unexpected data after the policy object")
		}
	}
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %s", ErrPolicy, jsonProblem(b, err))
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// jsonProblem describes a JSON decoding error with its line and column.
func jsonProblem(b []byte, err error) string {
	at := func(off int64) string {
		off = min(max(off, 0), int64(len(b)))
		line := 1 + bytes.Count(b[:off], []byte("\n"))
		col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
		return fmt.Sprintf("line %d, column %d", line, col)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at %s: %s", at(syn.Offset-1), syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the policy"
		}
		return fmt.Sprintf("%s: got a JSON %s, want %s (%s)", field, typ.Value, typ.Type, at(typ.Offset))
	case errors.Is(err, io.EOF):
		return "empty document, want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "mesh: ")
}

// resolved is a Policy with its defaults applied, ready for the request path.
type resolved struct {
	src    Policy // as given
	origin PolicyOrigin

	balancer Balancer
	match    map[string]string
	versions []Weighted
	routes   []Route // Header canonicalised
	fault    Fault

	attempts      int
	perTry        time.Duration
	nonIdempotent bool
	backoffBase   time.Duration
	backoffMax    time.Duration
	budgetRatio   float64
	budgetMin     int
	budgetTTL     time.Duration

	outlier Outlier // defaults applied

	maxConns    int
	maxRequests int
	maxPerConn  int

	mtls bool
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func resolve(p Policy) resolved {
	r := resolved{
		src:           p,
		balancer:      orDefault(p.LoadBalancer, LeastRequest),
		match:         p.Match,
		versions:      p.Versions,
		fault:         p.Fault,
		attempts:      orDefault(p.Retry.Attempts, DefaultAttempts),
		perTry:        time.Duration(orDefault(p.Retry.PerTryTimeout, Duration(DefaultPerTryTimeout))),
		nonIdempotent: p.Retry.NonIdempotent,
		backoffBase:   time.Duration(orDefault(p.Retry.BackoffBase, Duration(DefaultBackoffBase))),
		backoffMax:    time.Duration(orDefault(p.Retry.BackoffMax, Duration(DefaultBackoffMax))),
		budgetRatio:   orDefault(p.Retry.Budget.Ratio, DefaultBudgetRatio),
		budgetMin:     orDefault(p.Retry.Budget.MinPerSecond, DefaultBudgetMinPerSecond),
		budgetTTL:     time.Duration(orDefault(p.Retry.Budget.TTL, Duration(DefaultBudgetTTL))),
		outlier: Outlier{
			Disabled:           p.Outlier.Disabled,
			Consecutive5xx:     orDefault(p.Outlier.Consecutive5xx, DefaultConsecutive5xx),
			BaseEjection:       orDefault(p.Outlier.BaseEjection, Duration(DefaultBaseEjection)),
			MaxEjection:        orDefault(p.Outlier.MaxEjection, Duration(DefaultMaxEjection)),
			Interval:           orDefault(p.Outlier.Interval, Duration(DefaultOutlierInterval)),
			MaxEjectionPercent: orDefault(p.Outlier.MaxEjectionPercent, DefaultMaxEjectionPercent),
		},
		maxConns:    orDefault(p.Pool.MaxConnections, DefaultMaxConnections),
		maxRequests: orDefault(p.Pool.MaxRequests, DefaultMaxRequests),
		maxPerConn:  orDefault(p.Pool.MaxRequestsPerConnection, DefaultMaxRequestsPerConnection),
		mtls:        p.MTLS,
	}
	if r.backoffMax < r.backoffBase {
		r.backoffMax = r.backoffBase
	}
	for _, rt := range p.Routes {
		rt.Header = http.CanonicalHeaderKey(rt.Header)
		r.routes = append(r.routes, rt)
	}
	return r
}

// Duration is a time.Duration that reads and writes JSON as a string such as
// "2s" or "250ms" (a JSON number is read as nanoseconds).
type Duration time.Duration

// String returns the duration as time.Duration formats it.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("mesh: duration %s is neither a string nor an integer", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("mesh: duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
