package reliability

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
)

// productsEncoding is the Accept-Encoding of the load's products requests,
// a part of their cache key (the route varies on it).
const productsEncoding = "identity"

// HotIP sends every HotEvery-th request, to the users route, more often than
// the per-IP limit allows: the fail-open limit the DynamoDB rows count.
const (
	HotIP    = "198.51.100.99"
	HotEvery = 6
	HotTag   = "over the per-IP limit"
)

// Routes of the stack (terraform/reliability), with the statuses a healthy
// stack answers each with.
var Routes = map[string][]int{
	"users":     {200},
	"products":  {200},
	"search":    {200, 429}, // over its per-caller limit: 429
	"payments":  {200},
	"dashboard": {200},
	"ledger":    {200},
	"vault":     {200},
}

// RouteNames are the routes in a stable order.
var RouteNames = []string{"users", "dashboard", "products", "search", "payments", "ledger", "vault"}

// Identities is who the load speaks as: bearer tokens of several subjects,
// API keys and client IPs (sent as X-Forwarded-For, which MiniStack takes for
// the source IP; AWS would not). Safe for concurrent use.
type Identities struct {
	mu     sync.Mutex
	tokens []string
	tags   []string // per token, "" or a tag such as "new key"
	keys   []string // API key names, sorted
	keyOf  map[string]string
	ips    []string
}

// NewIdentities returns identities with tokens, API keys (name → key) and
// client IPs.
func NewIdentities(tokens []string, keys map[string]string, ips []string) *Identities {
	id := &Identities{tokens: tokens, keyOf: keys, ips: ips}
	for name := range keys {
		id.keys = append(id.keys, name)
	}
	slices.Sort(id.keys)
	return id
}

// SetTokens replaces the tokens, each with its tag (nil: none).
func (id *Identities) SetTokens(tokens, tags []string) {
	id.mu.Lock()
	id.tokens, id.tags = tokens, tags
	id.mu.Unlock()
}

// Untag clears the tokens' tags.
func (id *Identities) Untag() {
	id.mu.Lock()
	id.tags = nil
	id.mu.Unlock()
}

func (id *Identities) token(i int) (token, tag string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	k := i % len(id.tokens)
	if k < len(id.tags) {
		tag = id.tags[k]
	}
	return id.tokens[k], tag
}

// Mix is the route mix: route names with weights, sent in a fixed
// interleaved order.
type Mix struct {
	order []string
	id    *Identities
	hot   bool
}

// NewMix returns the mix of weights (route → weight); with hot, every
// HotEvery-th request comes from HotIP.
func NewMix(weights map[string]int, id *Identities, hot bool) *Mix {
	m := &Mix{id: id, hot: hot}
	// Interleave: one of each route per round while its weight lasts.
	for round := 0; ; round++ {
		added := false
		for _, r := range RouteNames {
			if weights[r] > round {
				m.order = append(m.order, r)
				added = true
			}
		}
		if !added {
			break
		}
	}
	return m
}

// Next is the i-th request.
func (m *Mix) Next(i int) Request {
	route := m.order[i%len(m.order)]
	ip := m.id.ips[i%len(m.id.ips)]
	if m.hot && i%HotEvery == HotEvery-1 {
		route, ip = "users", HotIP
	}
	token, tag := m.id.token(i)
	if ip == HotIP {
		token, tag = m.id.token(0) // a token of the first key, whatever a row rotates
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("X-Forwarded-For", ip)
	req := Request{Route: route, Method: http.MethodGet, Header: h, Tag: tag}
	if ip == HotIP {
		req.Caller, req.Tag = HotIP, HotTag
	}
	switch route {
	case "users":
		req.Path = fmt.Sprintf("/api/v1/users/%d", i%50)
	case "products":
		req.Path = fmt.Sprintf("/api/v1/products/p-%d", i%20)
		h.Set("Accept-Encoding", productsEncoding) // plain JSON, one cache entry per path
	case "search":
		name := m.id.keys[i%len(m.id.keys)]
		h.Set("X-Api-Key", m.id.keyOf[name])
		req.Path, req.Caller = fmt.Sprintf("/api/v1/search?q=w%d", i%5), name
	case "payments":
		req.Method, req.Path = http.MethodPost, "/api/v1/payments"
		req.Body = []byte(fmt.Sprintf(`{"customerId":"c-%d","amount":"1250","currency":"EUR"}`, i%10))
		h.Set("Content-Type", "application/json")
	case "dashboard":
		req.Path = "/user-dashboard"
	case "ledger":
		req.Path = "/ledger"
	case "vault":
		req.Path = fmt.Sprintf("/api/v1/vault/secrets/%d", i%10)
	}
	return req
}
