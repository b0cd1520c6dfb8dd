package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Dimension is what a limit counts per.
type Dimension string

// Dimensions, from the design chapter.
const (
	// Global counts every request together.
	Global Dimension = "global"
	// IP counts per client IP.
	IP Dimension = "ip"
	// APIKey counts per API key.
	APIKey Dimension = "apikey"
	// Endpoint counts per caller on one route (Rule.Route): per API key, or
	// per authenticated subject for a request without one.
	Endpoint Dimension = "endpoint"
	// Tier counts per caller of one tier (Rule.Tier): per API key, or per
	// authenticated subject for a request without one, whose tier is the
	// token's (Request.Tier) or else DefaultTier.
	Tier Dimension = "tier"
	// Claim counts per value of one claim of the caller's token
	// (Rule.Claim), such as a tenant, so that every user of a tenant shares
	// one budget; SubjectClaim counts per token subject. A caller whose
	// token lacks the claim is counted per subject, never left out.
	Claim Dimension = "claim"
)

// SubjectClaim is the Rule.Claim that counts per token subject (sub).
const SubjectClaim = "sub"

// The dimensions by what a request needs for them to apply. A gateway checks
// the network dimensions first, before any lookup that a client-chosen
// credential can trigger (an API key), and the caller dimensions once it
// knows the caller: cheap rejections come before expensive ones.
var (
	// NetworkDimensions need nothing but the connection: global and per IP.
	NetworkDimensions = []Dimension{Global, IP}
	// CallerDimensions need the caller resolved: per key, per endpoint, per
	// tier and per claim.
	CallerDimensions = []Dimension{APIKey, Endpoint, Tier, Claim}
)

// DefaultTier is the tier of a caller whose API key and token name none.
const DefaultTier = "free"

// Request is what a Set knows about a request.
type Request struct {
	// IP is the client's address.
	IP string
	// APIKey identifies the client's key; empty when the request has none.
	APIKey string
	// Subject identifies the authenticated caller (a token's sub): endpoint
	// and tier limits count per Subject when the request has no APIKey, so
	// that a caller cannot escape them by not sending a key.
	Subject string
	// Path is the cleaned request path.
	Path string
	// Tier is the subscription tier of the key or token, e.g. "free"; empty
	// means the Set's default tier.
	Tier string
	// Claims are the token's mapped claims by name in lower case (the
	// authorizer's claim mappings, such as "tenant"), for Claim rules.
	Claims map[string]string
}

// caller is the counter key of the request's caller: its API key, else its
// subject (prefixed, so that a subject never shares a counter with a key).
func (req Request) caller() (string, bool) {
	switch {
	case req.APIKey != "":
		return req.APIKey, true
	case req.Subject != "":
		return "sub:" + req.Subject, true
	}
	return "", false
}

// Rule is one limit of a Set, as data: what it counts per, which requests it
// applies to, and the limit.
type Rule struct {
	// Limit is the limit; its Name must be unique in the Set. A nil Store is the
	// Set's store.
	Limit Config
	// Dimension is what the limit counts per. Required.
	Dimension Dimension
	// Route is the path (and everything below it) an Endpoint rule applies to,
	// e.g. "/api/v1/search". Required for Endpoint, empty otherwise.
	Route string
	// Tier is the tier a Tier rule applies to. Required for Tier, empty otherwise.
	Tier string
	// Claim names the claim a Claim rule counts per: a key of
	// Request.Claims, or SubjectClaim. Required for Claim, empty otherwise. A
	// Claim rule may also set Route, to count only under it.
	Claim string
}

// Validate reports an unusable rule.
func (r Rule) Validate() error {
	switch r.Dimension {
	case Global, IP, APIKey:
		if r.Route != "" || r.Tier != "" || r.Claim != "" {
			return fmt.Errorf("%w: %s: Route, Tier and Claim are for %s, %s and %s rules", ErrConfig, r.Limit.Name, Endpoint, Tier, Claim)
		}
	case Endpoint:
		if !strings.HasPrefix(r.Route, "/") || r.Tier != "" || r.Claim != "" {
			return fmt.Errorf("%w: %s: an %s rule needs a Route starting with / and no Tier or Claim", ErrConfig, r.Limit.Name, Endpoint)
		}
	case Tier:
		if r.Tier == "" || r.Route != "" || r.Claim != "" {
			return fmt.Errorf("%w: %s: a %s rule needs a Tier and no Route or Claim", ErrConfig, r.Limit.Name, Tier)
		}
	case Claim:
		switch err := validClaimName(r.Claim); {
		case r.Claim == "":
			return fmt.Errorf("%w: %s: a %s rule needs a Claim: a claim mapping's name, such as tenant, or %s", ErrConfig, r.Limit.Name, Claim, SubjectClaim)
		case err != nil:
			return fmt.Errorf("%w: %s: Claim %w", ErrConfig, r.Limit.Name, err)
		case r.Tier != "" || r.Route != "" && !strings.HasPrefix(r.Route, "/"):
			return fmt.Errorf("%w: %s: a %s rule takes no Tier, and a Route, if any, starting with /", ErrConfig, r.Limit.Name, Claim)
		}
	default:
		return fmt.Errorf("%w: %s: unknown dimension %q", ErrConfig, r.Limit.Name, r.Dimension)
	}
	return r.Limit.Validate()
}

// key returns the counter key of req under r, and false when r does not
// apply. tier is the request's tier, the default filled in.
func (r Rule) key(req Request, tier string) (string, bool) {
	switch r.Dimension {
	case Global:
		return "all", true
	case IP:
		return req.IP, req.IP != ""
	case APIKey:
		return req.APIKey, req.APIKey != ""
	case Endpoint:
		if !under(req.Path, r.Route) {
			return "", false
		}
		return req.caller()
	case Tier:
		if tier != r.Tier {
			return "", false
		}
		return req.caller()
	case Claim:
		if r.Route != "" && !under(req.Path, r.Route) {
			return "", false
		}
		if v := req.Claims[r.Claim]; v != "" && r.Claim != SubjectClaim { // Claim is lower case (NewSet)
			return "c:" + v, true
		}
		// The subject, also for a token without the claim: a limit must not
		// depend on what the caller can leave out.
		return "sub:" + req.Subject, req.Subject != ""
	}
	return "", false
}

// under reports whether path is route or lies below it.
func under(path, route string) bool {
	return path == route || strings.HasPrefix(path, strings.TrimSuffix(route, "/")+"/")
}

// validClaimName accepts what a claim mapping can name: letters, digits and
// '-', 1 to 64 of them (the authorizer carries a mapped claim in a header
// named after it), or SubjectClaim.
func validClaimName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%q: want 1 to 64 letters, digits or '-'", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%q: want letters, digits or '-', the name of a claim mapping", s)
		}
	}
	return nil
}

// ChapterRules returns the design chapter's limits as data: global 10,000/s,
// per IP 100/min, per API key 1,000/min, search 10/min per key, and the tiers
// free 100/h, pro 1,000/h, enterprise 10,000/h. The global limit is sharded
// and leased (3 shards, leases of 10: the least write cost that held, in
// RELIABILITY.md's simulation of 200 function instances, within 1 % of the
// limit with no throttled write, and with no throttled write at 400), the
// per-key limits slide; the global and IP limits fail open, the others
// closed. Stores are left nil for NewSet to fill.
func ChapterRules() []Rule {
	return []Rule{
		{Dimension: Global, Limit: Config{Name: "global", Requests: 10_000, Window: time.Second, Shards: 3, Lease: 10, FailMode: FailOpen}},
		{Dimension: IP, Limit: Config{Name: "ip", Requests: 100, Window: time.Minute, FailMode: FailOpen}},
		{Dimension: APIKey, Limit: Config{Name: "key", Requests: 1_000, Window: time.Minute, Algorithm: SlidingWindow, Lease: 10}},
		{Dimension: Endpoint, Route: "/api/v1/search", Limit: Config{Name: "search", Requests: 10, Window: time.Minute}},
		{Dimension: Tier, Tier: "free", Limit: Config{Name: "tier-free", Requests: 100, Window: time.Hour}},
		{Dimension: Tier, Tier: "pro", Limit: Config{Name: "tier-pro", Requests: 1_000, Window: time.Hour}},
		{Dimension: Tier, Tier: "enterprise", Limit: Config{Name: "tier-enterprise", Requests: 10_000, Window: time.Hour, Lease: 10}},
	}
}

// Set applies several limits to each request; all that apply are checked and
// the tightest answers. Every applicable limit counts the request, also when
// another one denies it.
type Set struct {
	rules    []Rule
	limiters []*Limiter
}

// NewSet returns a Set of rules; rules without a Store use store.
func NewSet(store Store, rules []Rule) (*Set, error) {
	s := &Set{}
	names := map[string]bool{}
	for _, r := range rules {
		if r.Limit.Store == nil {
			r.Limit.Store = store
		}
		r.Claim = strings.ToLower(r.Claim)
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if names[r.Limit.Name] {
			return nil, fmt.Errorf("%w: two rules named %q", ErrConfig, r.Limit.Name)
		}
		names[r.Limit.Name] = true
		l, err := New(r.Limit)
		if err != nil {
			return nil, err
		}
		s.rules = append(s.rules, r)
		s.limiters = append(s.limiters, l)
	}
	if len(s.rules) == 0 {
		return nil, fmt.Errorf("%w: a Set needs at least one rule", ErrConfig)
	}
	return s, nil
}

// Allow counts req under every rule of the given dimensions that applies
// (every rule when dims is empty), concurrently, and returns the tightest
// decision: a denial over an admission, the later Reset among denials, the
// fewest Remaining among admissions. With no rule applying, req is allowed
// with Limit 0. An error (a FailClosed limit whose store is down or too
// slow) wraps ErrUnavailable.
func (s *Set) Allow(ctx context.Context, req Request, dims ...Dimension) (Decision, error) {
	type result struct {
		d   Decision
		err error
	}
	tier := req.Tier
	if tier == "" {
		tier = DefaultTier
	}
	var idx [8]int
	apply, keys := idx[:0], make([]string, 0, len(s.rules))
	for i, r := range s.rules {
		if len(dims) > 0 && !slices.Contains(dims, r.Dimension) {
			continue
		}
		if k, ok := r.key(req, tier); ok {
			apply = append(apply, i)
			keys = append(keys, k)
		}
	}
	switch len(apply) {
	case 0:
		return Decision{Allowed: true}, nil
	case 1:
		d, err := s.limiters[apply[0]].Allow(ctx, keys[0])
		if err == nil {
			d.Applied = []Decision{d}
		}
		return d, err
	}
	results := make([]result, len(apply))
	var wg sync.WaitGroup
	for j, i := range apply {
		wg.Go(func() {
			d, err := s.limiters[i].Allow(ctx, keys[j])
			results[j] = result{d, err}
		})
	}
	wg.Wait()
	var errs []error
	best := results[0].d
	applied := make([]Decision, 0, len(results))
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		applied = append(applied, r.d)
		if Tighter(r.d, best) {
			best = r.d
		}
	}
	if len(errs) > 0 {
		return Decision{}, errors.Join(errs...)
	}
	best.Applied = applied
	return best, nil
}

// Tighter reports whether a is more restrictive than b.
func Tighter(a, b Decision) bool {
	switch {
	case a.Allowed != b.Allowed:
		return !a.Allowed
	case !a.Allowed:
		return a.Reset.After(b.Reset)
	case a.Remaining != b.Remaining:
		return a.Remaining < b.Remaining
	}
	return a.Reset.After(b.Reset)
}
