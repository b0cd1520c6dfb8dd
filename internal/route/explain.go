package route

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Explanation says how a Table routes one request, for people: which route
// wins, and for every other route why it does not (see Table.Explain).
type Explanation struct {
	// Method and Path are the request as matched: Path is cleaned.
	Method, Path string
	// Winner is the route that serves the request; nil when none does.
	Winner *Route
	// Result is what Lookup returns for the request.
	Result Result
	// Routes has one entry per route of the table, in document order.
	Routes []Verdict
}

// Verdict is what one route makes of a request.
type Verdict struct {
	// ID is the route's id.
	ID string
	// Wins is true for the route that serves the request.
	Wins bool
	// Matches is true when the route's path, headers and method all match
	// (the winner, and the routes it is more specific than).
	Matches bool
	// Reason says why the route does not serve the request, or, for the
	// winner, why it wins; in words such as "path: /x is not /api/v1/users
	// or below it".
	Reason string
}

// Explain matches a request as Lookup does and says why each route does or
// does not serve it. path must be cleaned by Clean; header keys must be
// canonical.
func (t *Table) Explain(method, path string, header http.Header) Explanation {
	res := t.Lookup(method, path, header)
	e := Explanation{Method: method, Path: path, Result: res, Winner: res.Route}
	for _, c := range t.routes {
		v := Verdict{ID: c.ID}
		switch {
		case !c.matchPath(path):
			v.Reason = "path: " + c.describePath(path)
		case !c.matchHeaders(header):
			v.Reason = c.describeHeaders(header)
		case !c.allows(method):
			v.Reason = fmt.Sprintf("method: %s is not one of %s", method, strings.Join(c.methods, ", "))
		case res.c == c:
			v.Wins, v.Matches = true, true
			v.Reason = "matches: " + c.describeMatch()
		default:
			v.Matches = true
			v.Reason = fmt.Sprintf("matches, but %q wins: %s", res.c.ID, whyBetter(res.c, c))
		}
		e.Routes = append(e.Routes, v)
	}
	return e
}

// matchPath reports whether c's path matches the cleaned path p, as the
// trie does.
func (c *compiled) matchPath(p string) bool {
	segs := splitSegments(p)
	switch c.kind {
	case kindPrefix:
		return len(segs) >= len(c.segs) && slices.Equal(segs[:len(c.segs)], c.segs)
	default:
		if len(segs) != len(c.segs) {
			return false
		}
		for i, s := range segs {
			if c.params != nil && c.params[i] != "" {
				if s == "" {
					return false
				}
				continue
			}
			if s != c.segs[i] {
				return false
			}
		}
		return true
	}
}

func (c *compiled) describePath(p string) string {
	switch c.kind {
	case kindPrefix:
		return fmt.Sprintf("%s is not %s or below it", p, c.Match.PathPrefix)
	case kindTemplate:
		return fmt.Sprintf("%s does not fit %s", p, c.Match.Path)
	}
	return fmt.Sprintf("%s is not %s", p, c.Match.Path)
}

func (c *compiled) describeHeaders(h http.Header) string {
	for _, p := range c.headers {
		if p.match(h) {
			continue
		}
		want := fmt.Sprintf("%q", p.value)
		if p.prefix {
			want = "a value starting with " + want
		}
		if vs := h[p.name]; len(vs) > 0 {
			return fmt.Sprintf("header %s: want %s, got %q", p.name, want, vs[0])
		}
		return fmt.Sprintf("header %s: want %s, got none", p.name, want)
	}
	return "headers do not match"
}

func (c *compiled) describeMatch() string {
	var parts []string
	switch c.kind {
	case kindPrefix:
		parts = append(parts, "path prefix "+c.Match.PathPrefix)
	case kindTemplate:
		parts = append(parts, "parameterised path "+c.Match.Path)
	default:
		parts = append(parts, "exact path "+c.Match.Path)
	}
	if len(c.methods) > 0 {
		parts = append(parts, "methods "+strings.Join(c.methods, ", "))
	}
	for _, p := range c.headers {
		if p.prefix {
			parts = append(parts, fmt.Sprintf("header %s starts with %q", p.name, p.value))
		} else {
			parts = append(parts, fmt.Sprintf("header %s is %q", p.name, p.value))
		}
	}
	return strings.Join(parts, "; ")
}

// whyBetter says, in the terms of the precedence rules, why a wins over b;
// both match the same request.
func whyBetter(a, b *compiled) string {
	names := map[kind]string{kindExact: "an exact path", kindTemplate: "a parameterised path", kindPrefix: "a prefix"}
	if a.kind != b.kind {
		return names[a.kind] + " beats " + names[b.kind]
	}
	switch a.kind {
	case kindPrefix:
		if len(a.segs) != len(b.segs) {
			return fmt.Sprintf("a longer prefix (%s) beats a shorter one (%s)", a.Match.PathPrefix, b.Match.PathPrefix)
		}
	case kindTemplate:
		for i := 0; i < min(len(a.segs), len(b.segs)); i++ {
			if (a.params[i] == "") != (b.params[i] == "") {
				return fmt.Sprintf("a literal segment beats a parameter at segment %d (%s over %s)", i+1, a.Match.Path, b.Match.Path)
			}
		}
	}
	am, bm := len(a.methods) > 0, len(b.methods) > 0
	if am != bm {
		return "a route that lists methods beats one that does not"
	}
	if len(a.headers) != len(b.headers) {
		return fmt.Sprintf("more header predicates (%d) beat fewer (%d)", len(a.headers), len(b.headers))
	}
	return "it comes first and the two cannot match the same request"
}

// Strip returns the route's stripPrefix, "" when it strips nothing.
func (r Result) Strip() string {
	if r.c == nil {
		return ""
	}
	return r.c.strip
}

// Methods returns the methods the matched route serves, sorted; empty means
// every method.
func (r Result) Methods() []string {
	if r.c == nil {
		return nil
	}
	return slices.Clone(r.c.methods)
}

// ExplicitTimeout reports whether the route set its timeout itself (else it
// is DefaultTimeout).
func (r Result) ExplicitTimeout() bool { return r.c != nil && r.c.explicitTimeout }

// Routes returns the table's routes in document order, with their effective
// methods (a composite route without methods serves GET) and timeouts. Do not
// modify them.
func (t *Table) Routes() []RouteInfo {
	out := make([]RouteInfo, len(t.routes))
	for i, c := range t.routes {
		out[i] = RouteInfo{Route: c.Route, Methods: slices.Clone(c.methods), Timeout: c.timeout, Params: slices.DeleteFunc(slices.Clone(c.params), func(s string) bool { return s == "" })}
	}
	return out
}

// RouteInfo is a route with what compiling it decided.
type RouteInfo struct {
	*Route
	// Methods are the methods the route serves, sorted; empty means all.
	Methods []string
	// Timeout is the route's timeout, DefaultTimeout when it sets none.
	Timeout time.Duration
	// Params are the names of the path's {parameters}, in order.
	Params []string
}
