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
	out["X-User-Id"] = []string{r.ident.userID}
	out["X-User-Roles"] = []string{strings.Join(r.ident.roles, ",")}
	if len(r.ident.scopes) > 0 {
		out["X-User-Scopes"] = []string{strings.Join(r.ident.scopes, " ")}
	}
	if r.ident.apiKeyID != "" {
		out["X-Api-Key-Id"] = []string{r.ident.apiKeyID}
	}
	if r.ident.tier != "" {
		out["X-User-Tier"] = []string{r.ident.tier}
	}
	// The client's own X-Forwarded-For was dropped: everything before API
	// Gateway is client-controlled. The chain starts at the address API
	// Gateway saw, which the request context carries.
	if ip, err := netip.ParseAddr(r.clientIP); err == nil {
		out["X-Forwarded-For"] = []string{ip.String()}
	}
	out["X-Forwarded-Proto"] = []string{"https"}
	out["X-Request-Start"] = []string{"t=" + strconv.FormatInt(r.start.UnixMilli(), 10)}
	out["X-Request-Id"] = []string{r.id}
	if r.trace != "" {
		out["X-Amzn-Trace-Id"] = []string{r.trace}
	}
	return nil
}

// headersFor returns the headers a call to service carries: r's, less the
// headers service's mesh policy routes on unless the caller may use them
// (authorise). The gateway decides who is a test user, not the client.
func headersFor(r *request, service string, clone bool) http.Header {
	h := r.header
	if clone {
		h = h.Clone()
	}
	if r.headerRoutes || r.snap == nil {
		return h
	}
	pol, _ := r.snap.Policy(service)
	for _, route := range pol.Routes {
		dropFolded(h, route.Header)
	}
	return h
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
