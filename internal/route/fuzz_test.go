package route

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzClean checks Clean's output: canonical, idempotent, free of what it
// promises to refuse, and never an escape of the root.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"/", "/api/v1/users/../orders", "/a%2e%2e/b", "//a//b/", "/a%2fb", "/%c3%a9", "/a/./..", "/a;b", "/a%25", "/..%2f", "/%2e%2e/%2e%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Clean(in)
		if err != nil {
			return
		}
		if out == "" || out[0] != '/' {
			t.Fatalf("Clean(%q) = %q: not absolute", in, out)
		}
		if out != "/" && strings.HasSuffix(out, "/") || strings.Contains(out, "//") {
			t.Fatalf("Clean(%q) = %q: empty segment", in, out)
		}
		for _, seg := range strings.Split(out[1:], "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("Clean(%q) = %q: dot segment", in, out)
			}
		}
		if strings.ContainsAny(out, "%;\\?#\x00\r\n\x7f") {
			t.Fatalf("Clean(%q) = %q: refused character in the output", in, out)
		}
		again, err := Clean(out)
		if err != nil || again != out {
			t.Fatalf("Clean(Clean(%q)) = %q, %v, want %q", in, again, err, out)
		}
	})
}

// naive is the specification of Lookup: every route checked, best by rank.
func naive(t *Table, method, path string, h http.Header) (string, bool) {
	var best *compiled
	wrong := false
	for _, c := range t.routes {
		if !pathMatches(c, path) || !c.matchHeaders(h) {
			continue
		}
		if !c.allows(method) {
			wrong = true
			continue
		}
		if best == nil || better(c, best) {
			best = c
		}
	}
	if best == nil {
		return "", wrong
	}
	return best.ID, false
}

func pathMatches(c *compiled, p string) bool {
	segs := splitSegments(p)
	if c.kind == kindPrefix {
		if len(segs) < len(c.segs) {
			return false
		}
		for i, s := range c.segs {
			if segs[i] != s {
				return false
			}
		}
		return true
	}
	if len(segs) != len(c.segs) {
		return false
	}
	for i, s := range c.segs {
		if c.params != nil && c.params[i] != "" {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if segs[i] != s {
			return false
		}
	}
	return true
}

// FuzzLookup checks the trie against the naive specification, and that a
// matched route's strip keeps the request under the route's path.
func FuzzLookup(f *testing.F) {
	tbl := mustParse(f, demo)
	for _, s := range []string{"/api/v1/users/1", "/api/v1/orders/latest", "/shop/main/items/x", "/api/v2", "/user-dashboard", "/api/v1/products/%2e%2e/orders"} {
		f.Add("GET", s, "fr", "2")
	}
	f.Fuzz(func(t *testing.T, method, raw, lang, version string) {
		p, err := Clean(raw)
		if err != nil {
			return
		}
		h := http.Header{"Accept-Language": {lang}, "X-Api-Version": {version}}
		res := tbl.Lookup(method, p, h)
		wantID, wantWrong := naive(tbl, method, p, h)
		gotID := ""
		if res.Route != nil {
			gotID = res.Route.ID
		}
		if gotID != wantID || (len(res.Allow) > 0) != wantWrong {
			t.Fatalf("Lookup(%q, %q): got %q allow %v, want %q (405: %v)", method, p, gotID, res.Allow, wantID, wantWrong)
		}
		if res.Route == nil || res.Route.Service == "" {
			return
		}
		// The forwarded path is the matched path less the strip prefix.
		target := res.Target(p)
		if res.Route.StripPrefix != "" && res.Route.StripPrefix+strings.TrimSuffix(target, "/") != strings.TrimSuffix(p, "/") && !(target == "/" && p == res.Route.StripPrefix) {
			t.Fatalf("Target(%q) = %q with strip %q", p, target, res.Route.StripPrefix)
		}
		if c, err := Clean(target); err != nil || c != target {
			t.Fatalf("Target(%q) = %q: not clean", p, target)
		}
	})
}
