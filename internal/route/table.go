package route

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/cache"
)

// kind is a route's path kind, in order of precedence.
type kind uint8

const (
	kindPrefix kind = iota + 1
	kindTemplate
	kindExact
)

// compiled is a validated route ready for matching.
type compiled struct {
	*Route
	index           int
	kind            kind
	segs            []string // literal segments; "" where params has a name
	params          []string // parameter names by segment (templates only)
	methods         []string // sorted; empty means all
	headers         []headerPred
	timeout         time.Duration
	explicitTimeout bool
	strip           string
	calls           []compiledCall
	rules           rules // body, IP and header rules (rules.go)
}

// headerPred is a compiled HeaderMatch.
type headerPred struct {
	name   string // canonical
	value  string
	prefix bool
}

func (c *compiled) header(name string) *headerPred {
	for i := range c.headers {
		if c.headers[i].name == name {
			return &c.headers[i]
		}
	}
	return nil
}

func (p headerPred) match(h http.Header) bool {
	vs := h[p.name]
	if len(vs) == 0 {
		return false
	}
	v := vs[0]
	if p.prefix {
		return len(v) >= len(p.value) && strings.EqualFold(v[:len(p.value)], p.value)
	}
	return strings.EqualFold(v, p.value)
}

func (c *compiled) matchHeaders(h http.Header) bool {
	for _, p := range c.headers {
		if !p.match(h) {
			return false
		}
	}
	return true
}

func (c *compiled) allows(method string) bool {
	if len(c.methods) == 0 {
		return true
	}
	for _, m := range c.methods {
		if m == method {
			return true
		}
	}
	return false
}

// compareRank orders two routes by specificity: > 0 when a is more specific.
// Routes with different path kinds or shapes cannot tie.
func compareRank(a, b *compiled) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	switch a.kind {
	case kindPrefix:
		if d := len(a.segs) - len(b.segs); d != 0 {
			return d
		}
	case kindTemplate:
		n := min(len(a.segs), len(b.segs))
		for i := 0; i < n; i++ {
			al, bl := a.params[i] == "", b.params[i] == ""
			if al != bl {
				if al {
					return 1
				}
				return -1
			}
		}
		if d := len(a.segs) - len(b.segs); d != 0 {
			return d
		}
	}
	am, bm := len(a.methods) > 0, len(b.methods) > 0
	if am != bm {
		if am {
			return 1
		}
		return -1
	}
	return len(a.headers) - len(b.headers)
}

// better reports whether a wins over b: more specific, or as specific and
// declared first (only routes that cannot match the same request tie).
func better(a, b *compiled) bool {
	if d := compareRank(a, b); d != 0 {
		return d > 0
	}
	return a.index < b.index
}

// overlap reports whether two equally ranked routes can match one request.
func overlap(a, b *compiled) bool {
	if a.kind != b.kind || len(a.segs) != len(b.segs) {
		return false
	}
	for i := range a.segs {
		if a.segs[i] != "" && b.segs[i] != "" && a.segs[i] != b.segs[i] {
			return false
		}
	}
	if len(a.methods) > 0 && len(b.methods) > 0 &&
		!slices.ContainsFunc(a.methods, func(m string) bool { return slices.Contains(b.methods, m) }) {
		return false
	}
	for _, p := range a.headers {
		q := b.header(p.name)
		if q == nil {
			continue
		}
		if !compatible(p, *q) {
			return false
		}
	}
	return true
}

// compatible reports whether one header value can satisfy both predicates.
func compatible(p, q headerPred) bool {
	hasPrefix := func(s, pre string) bool { return len(s) >= len(pre) && strings.EqualFold(s[:len(pre)], pre) }
	switch {
	case !p.prefix && !q.prefix:
		return strings.EqualFold(p.value, q.value)
	case !p.prefix:
		return hasPrefix(p.value, q.value)
	case !q.prefix:
		return hasPrefix(q.value, p.value)
	default:
		return hasPrefix(p.value, q.value) || hasPrefix(q.value, p.value)
	}
}

// node is a segment trie over the routes' paths.
type node struct {
	lit      map[string]*node
	param    *node
	prefixes []*compiled // prefix routes ending here: match here and below
	ends     []*compiled // exact and template routes ending here
}

func (n *node) insert(c *compiled) {
	cur := n
	for i, s := range c.segs {
		if c.params != nil && c.params[i] != "" {
			if cur.param == nil {
				cur.param = &node{}
			}
			cur = cur.param
			continue
		}
		if cur.lit == nil {
			cur.lit = map[string]*node{}
		}
		next := cur.lit[s]
		if next == nil {
			next = &node{}
			cur.lit[s] = next
		}
		cur = next
	}
	if c.kind == kindPrefix {
		cur.prefixes = append(cur.prefixes, c)
	} else {
		cur.ends = append(cur.ends, c)
	}
}

// Table is a compiled, validated route table. It is immutable and safe for
// concurrent use.
type Table struct {
	doc    Document
	routes []*compiled
	root   *node
	ip     *ipList // the document's IP lists; nil without
}

// Document returns the document t was compiled from. Do not modify it.
func (t *Table) Document() Document { return t.doc }

// Len returns the number of routes.
func (t *Table) Len() int { return len(t.routes) }

// Current returns t, so that a fixed Table serves where a Store would.
func (t *Table) Current(context.Context) *Table { return t }

// Services returns the services t's routes call (service routes, composite
// calls and gRPC routes), sorted.
func (t *Table) Services() []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, r := range t.routes {
		if r.Service != "" {
			add(r.Service)
		}
		if r.GRPC != nil {
			add(r.GRPC.Service)
		}
		for _, c := range r.calls {
			add(c.call.Service)
		}
	}
	slices.Sort(out)
	return out
}

// ServiceTimeouts returns, per service, the longest timeout that a route or
// composite call to it sets explicitly. A mesh client's per-try timeout for
// the service must be at least this long, or the route's timeout is
// unreachable.
func (t *Table) ServiceTimeouts() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, r := range t.routes {
		if r.Service != "" && r.explicitTimeout {
			out[r.Service] = max(out[r.Service], r.timeout)
		}
		if r.GRPC != nil && r.explicitTimeout {
			out[r.GRPC.Service] = max(out[r.GRPC.Service], r.timeout)
		}
		for _, c := range r.calls {
			if r.explicitTimeout || c.call.Timeout > 0 {
				out[c.call.Service] = max(out[c.call.Service], c.timeout)
			}
		}
	}
	return out
}

// Result is the outcome of Lookup.
type Result struct {
	// Route is the winning route; nil when none matched. Do not modify it.
	Route *Route
	// Allow lists, sorted, the methods of the routes that match the path and
	// headers but not the method; set only when Route is nil. Empty Allow and
	// nil Route mean no route owns the path (404); otherwise 405.
	Allow []string
	c     *compiled
}

// Timeout is the matched route's timeout (DefaultTimeout when it sets none).
func (r Result) Timeout() time.Duration { return r.c.timeout }

// Target returns the path to forward for path (the cleaned request path the
// route matched): path without the route's StripPrefix, at least "/".
func (r Result) Target(path string) string {
	if r.c.strip == "" {
		return path
	}
	t := path[len(r.c.strip):]
	if t == "" {
		return "/"
	}
	return t
}

// Params returns the values of the matched route's path parameters in path.
func (r Result) Params(path string) map[string]string {
	if r.c.kind != kindTemplate {
		return nil
	}
	out := make(map[string]string, len(r.c.params))
	i := 0
	for seg := range strings.SplitSeq(path[1:], "/") {
		if name := r.c.params[i]; name != "" {
			out[name] = seg
		}
		i++
	}
	return out
}

// Calls returns the composite route's calls filled in from v; nil for a
// route that names a service. A value that would not be exactly one path
// segment of a call's path (empty, ".", "..", or holding '/' or '\') is
// refused with an error wrapping ErrBadPath: the backend would read it as a
// different path than the template says.
func (r Result) Calls(v Vars) ([]Outgoing, error) {
	if len(r.c.calls) == 0 {
		return nil, nil
	}
	out := make([]Outgoing, len(r.c.calls))
	for i := range r.c.calls {
		var err error
		if out[i], err = r.c.calls[i].expand(v); err != nil {
			return nil, err
		}
		out[i].Shape = r.c.rules.shapes[i]
	}
	return out, nil
}

// maxCandidates bounds the stack buffer of a lookup; more spill to the heap.
const maxCandidates = 16

// Lookup finds the route for a request. path must be cleaned by Clean; header
// keys must be canonical (as in http.Header).
func (t *Table) Lookup(method, path string, header http.Header) Result {
	var buf [maxCandidates]*compiled
	cands := t.root.collect(path, buf[:0])
	var best, wrongMethod *compiled
	for _, c := range cands {
		if !c.matchHeaders(header) {
			continue
		}
		if !c.allows(method) {
			wrongMethod = c
			continue
		}
		if best == nil || better(c, best) {
			best = c
		}
	}
	if best != nil {
		return Result{Route: best.Route, c: best}
	}
	if wrongMethod == nil {
		return Result{}
	}
	var allow []string
	for _, c := range cands {
		if c.matchHeaders(header) {
			for _, m := range c.methods {
				if !slices.Contains(allow, m) {
					allow = append(allow, m)
				}
			}
		}
	}
	slices.Sort(allow)
	return Result{Allow: allow}
}

// collect appends every route whose path matches p.
func (n *node) collect(p string, out []*compiled) []*compiled {
	out = append(out, n.prefixes...)
	if p == "/" || p == "" {
		return append(out, n.ends...)
	}
	// p is "/seg/rest..."
	rest := p[1:]
	seg, tail := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, tail = rest[:i], rest[i:]
	}
	if next := n.lit[seg]; next != nil {
		out = next.collect(tail, out)
	}
	if n.param != nil && seg != "" {
		out = n.param.collect(tail, out)
	}
	return out
}

// CachePolicy returns the matched route's cache policy, and false when the
// route is not cached.
func (r Result) CachePolicy() (cache.Policy, bool) {
	if r.Route == nil || r.Route.Cache == nil {
		return cache.Policy{}, false
	}
	return r.Route.Cache.Policy(r.Route.UserSpecific), true
}
