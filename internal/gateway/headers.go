package gateway

import (
	"context"
	"net/http"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/portico-gw/portico/pkg/auth"
)

// hopByHop are the headers that describe one connection (RFC 9110 §7.6.1).
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// Limits on what a backend may send back.
const (
	maxResponseHeaders     = 100
	maxResponseHeaderBytes = 16 << 10
)

// eventHeaders returns the request's headers, canonical and in the order
// API Gateway gave them (multi-value when it gave them so).
func eventHeaders(ev events.APIGatewayProxyRequest) http.Header {
	if ev.MultiValueHeaders != nil {
		in := make(http.Header, len(ev.MultiValueHeaders))
		for k, vs := range ev.MultiValueHeaders {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			in[ck] = append(in[ck], vs...)
		}
		return in
	}
	in := make(http.Header, len(ev.Headers))
	for k, v := range ev.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		in[ck] = append(in[ck], v)
	}
	return in
}

// gatewayOwned reports whether a request header name is one only the gateway
// may set, or one that must not travel to a backend.
func gatewayOwned(k string) bool {
	switch k {
	case "Host", "Content-Length", "Authorization", "X-Api-Key", "X-Api-Key-Id", "X-Request-Id", "X-Request-Start", "X-Real-Ip", "X-Amzn-Trace-Id", "Forwarded":
		return true
	}
	return hopByHop[k] || strings.HasPrefix(k, "X-User-") || strings.HasPrefix(k, "X-Forwarded-")
}

// backendHeaders turns the client's headers (in, which it reuses) into the
// headers a backend receives: less anything that describes the connection,
// the client's credentials, headers named in Connection, or claims only the
// gateway may make; plus the gateway's identity and enrichment headers, set
// last so that nothing a client names in Connection can remove them.
// X-Request-Id is set by the caller once the route is known.
func backendHeaders(in http.Header, id identity, clientIP, trace string, start time.Time) http.Header {
	for _, v := range in["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				delete(in, textproto.CanonicalMIMEHeaderKey(name))
			}
		}
	}
	for k := range in {
		if gatewayOwned(k) {
			delete(in, k)
		}
	}
	out := in
	out["X-User-Id"] = []string{id.userID}
	out["X-User-Roles"] = []string{strings.Join(id.roles, ",")}
	if len(id.scopes) > 0 {
		out["X-User-Scopes"] = []string{strings.Join(id.scopes, " ")}
	}
	if id.apiKeyID != "" {
		out["X-Api-Key-Id"] = []string{id.apiKeyID}
	}
	if id.tier != "" {
		out["X-User-Tier"] = []string{id.tier}
	}
	for k, v := range id.claims {
		out["X-User-"+k] = []string{v}
	}
	// The client's own X-Forwarded-For is dropped above: everything before API
	// Gateway is client-controlled. The chain starts at the address API
	// Gateway saw, which the request context carries.
	if ip, err := netip.ParseAddr(clientIP); err == nil {
		out["X-Forwarded-For"] = []string{ip.String()}
	}
	out["X-Forwarded-Proto"] = []string{"https"}
	out["X-Request-Start"] = []string{"t=" + strconv.FormatInt(start.UnixMilli(), 10)}
	if trace != "" {
		out["X-Amzn-Trace-Id"] = []string{trace}
	}
	return out
}

// traceHeader is the X-Ray trace header to propagate: the function's own
// (aws-lambda-go puts it in the context), else the request's, if well formed.
func traceHeader(ctx context.Context, in http.Header) string {
	if t, ok := ctx.Value("x-amzn-trace-id").(string); ok && validTrace(t) {
		return t
	}
	if vs := in["X-Amzn-Trace-Id"]; len(vs) == 1 && validTrace(vs[0]) {
		return vs[0]
	}
	return ""
}

// validTrace accepts X-Ray trace headers: "Root=1-…" with ';'-separated
// key=value fields of letters, digits, '-', '_', '.' and '='.
func validTrace(s string) bool {
	if len(s) > 256 || !strings.Contains(s, "Root=1-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.=;", c) >= 0) {
			return false
		}
	}
	return true
}

// clientRequestID returns the client's X-Request-Id when it is one canonical
// UUID (36 characters), in lower case.
func clientRequestID(in http.Header) (string, bool) {
	vs := in["X-Request-Id"]
	if len(vs) != 1 || len(vs[0]) != 36 {
		return "", false
	}
	u, err := uuid.Parse(vs[0])
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// gatewayResponseHeader reports whether a backend may not set a response
// header: hop-by-hop ones, and those the gateway sets itself.
func gatewayResponseHeader(k string) bool {
	switch k {
	case "Content-Length", "X-Request-Id", "Retry-After":
		return true
	}
	return hopByHop[k] || strings.HasPrefix(k, "Ratelimit-") || strings.HasPrefix(k, "RateLimit-") || strings.HasPrefix(k, "X-Amzn-")
}

// responseHeaders copies a backend's response headers for the client: no
// hop-by-hop headers or headers named in Connection, none the gateway owns,
// nothing with an invalid name or value (no header injection), at most
// maxResponseHeaders values and maxResponseHeaderBytes bytes.
func responseHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	drop := map[string]bool{}
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			drop[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	n, size := 0, 0
	for k, vs := range h {
		if gatewayResponseHeader(k) || drop[k] || !validHeaderToken(k) {
			continue
		}
		for _, v := range vs {
			if !validHeaderValue(v) || n >= maxResponseHeaders || size+len(k)+len(v) > maxResponseHeaderBytes {
				continue
			}
			out[k] = append(out[k], v)
			n++
			size += len(k) + len(v)
		}
	}
	return out
}

// identity is the caller as the authorizer context describes it.
type identity struct {
	userID string
	roles  []string
	scopes []string
	tier   string
	claims map[string]string // header suffix → value
	// apiKeyID is the public ID of the request's API key, if it had one.
	apiKeyID string
}

// identityFrom reads the authorizer context that package auth wrote.
func identityFrom(authz map[string]any) identity {
	str := func(k string) string { s, _ := authz[k].(string); return s }
	id := identity{userID: str(auth.ContextUserID), tier: str(auth.ContextTier)}
	id.roles = strings.FieldsFunc(str(auth.ContextRoles), func(r rune) bool { return r == ',' })
	id.scopes = strings.Fields(str(auth.ContextScopes))
	for k, v := range authz {
		name, ok := strings.CutPrefix(k, auth.ContextClaimPrefix)
		s, isString := v.(string)
		if ok && isString && validHeaderToken(name) && validHeaderValue(s) {
			if id.claims == nil {
				id.claims = map[string]string{}
			}
			id.claims[textproto.CanonicalMIMEHeaderKey(name)] = s
		}
	}
	return id
}

// validHeaderValue reports whether s can be sent as a header value as is.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// valid reports whether every identity field can travel in a header.
func (id identity) valid() bool {
	return validHeaderValue(id.userID) && validHeaderValue(id.tier) &&
		validHeaderValue(strings.Join(id.roles, ",")) && validHeaderValue(strings.Join(id.scopes, " "))
}

// validHeaderToken reports whether s can be part of a header name.
func validHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
