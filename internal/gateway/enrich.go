package gateway

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// enrich adds the gateway's own headers to what the backend receives: the
// identity (X-User-Id, X-User-Roles, X-User-Scopes, X-User-Tier, X-Api-Key-Id
// and one X-User-<Name> per mapped claim), X-Request-Id, X-Forwarded-For (the
// address API Gateway saw), X-Forwarded-Proto, X-Request-Start and the trace
// header. They are set after the client's headers were cleaned, so nothing a
// client sends or names in Connection can remove or replace them.
type enrich struct{}

func (enrich) serve(_ context.Context, r *request) *response {
	out := r.header
	for k, v := range r.ident.claims {
		out["X-User-"+k] = []string{v}
	}
	// One backing array for the values set here; each header gets a slice of
	// it that cannot grow into the next.
	vals := make([]string, 0, 10)
	set := func(k, v string) {
		vals = append(vals, v)
		n := len(vals)
		out[k] = vals[n-1 : n : n]
	}
	set("X-User-Id", r.ident.userID)
	set("X-User-Roles", strings.Join(r.ident.roles, ","))
	if len(r.ident.scopes) > 0 {
		set("X-User-Scopes", strings.Join(r.ident.scopes, " "))
	}
	if r.ident.apiKeyID != "" {
		set("X-Api-Key-Id", r.ident.apiKeyID)
	}
	if r.ident.tier != "" {
		set("X-User-Tier", r.ident.tier)
	}
	// The client's own X-Forwarded-For was dropped: everything before API
	// Gateway is client-controlled. The chain starts at the address API
	// Gateway saw, which the request context carries.
	if ip, err := netip.ParseAddr(r.clientIP); err == nil {
		set("X-Forwarded-For", ip.String())
	}
	set("X-Forwarded-Proto", "https")
	set("X-Request-Start", "t="+strconv.FormatInt(r.start.UnixMilli(), 10))
	set("X-Request-Id", r.id)
	if r.trace != "" {
		set("X-Amzn-Trace-Id", r.trace)
	}
	return nil
}

// headersFor returns the headers a call to service carries: r's, less the
// headers service's mesh policy routes on unless the caller may use them
// (authorise). The gateway decides who is a test user, not the client. With
// shared set, r's headers are shared with other calls running at the same
// time: they are then copied before anything is removed, and returned as
// they are otherwise (a RoundTripper does not modify its request).
func headersFor(r *request, service string, shared bool) http.Header {
	h := r.header
	if r.headerRoutes || r.snap == nil {
		return h
	}
	pol, _ := r.snap.Policy(service)
	for _, route := range pol.Routes {
		if shared && hasFolded(h, route.Header) {
			h, shared = h.Clone(), false
		}
		dropFolded(h, route.Header)
	}
	return h
}

// hasFolded reports whether h has a header whose folded name is name's.
func hasFolded(h http.Header, name string) bool {
	var want, buf [maxFolded]byte
	w := string(fold(want[:], name))
	for k := range h {
		if string(fold(buf[:], k)) == w {
			return true
		}
	}
	return false
}

// dropFolded removes every header whose folded name is name's.
func dropFolded(h http.Header, name string) {
	var want, buf [maxFolded]byte
	w := string(fold(want[:], name))
	for k := range h {
		if string(fold(buf[:], k)) == w {
			delete(h, k)
		}
	}
}
