package gateway

import (
	"context"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/hygiene"
)

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

// eventHeader is the first value of the request header name (any case), or "".
func eventHeader(ev events.APIGatewayProxyRequest, name string) string {
	for k, vs := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Header names are compared folded: in lower case, with '_' as '-' (package
// hygiene, which the route table's header rules share). CGI, WSGI and Rack
// servers (and frameworks on top of them) read X_User_Roles as X-User-Roles,
// so every header the gateway owns or strips is dropped in any spelling that
// folds to it.
const maxFolded = hygiene.MaxFolded // the longest name owned outright; prefixes are checked on longer ones

// The folded names and prefixes of the headers the gateway owns (package
// hygiene says which and why).
var (
	ownedRequestHeaders   = hygiene.OwnedRequestNames
	ownedRequestPrefixes  = hygiene.OwnedRequestPrefixes
	ownedResponseHeaders  = hygiene.OwnedResponseNames
	ownedResponsePrefixes = hygiene.OwnedResponsePrefixes
)

// fold writes name folded into buf and returns it; see hygiene.Fold.
func fold(buf []byte, name string) []byte { return hygiene.Fold(buf, name) }

// owned reports whether a header whose folded name is f is in set or starts
// with one of prefixes.
func owned(f []byte, set map[string]bool, prefixes []string) bool {
	return hygiene.Owned(f, set, prefixes)
}

// stripClientHeaders returns the client's headers (in, which it reuses) less
// anything that describes the connection, the client's credentials, headers
// named in Connection, method overrides, malformed trace context, or claims
// only the gateway may make, in any spelling that folds to them (see fold).
// The gateway's own headers are added later (enrich), so that nothing the
// client sends or names in Connection can remove or replace them.
func stripClientHeaders(in http.Header) http.Header {
	var named map[string]bool // folded names listed in Connection
	for _, v := range in["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				if named == nil {
					named = map[string]bool{}
				}
				var buf [maxFolded]byte
				named[string(fold(buf[:], name))] = true
			}
		}
	}
	parent, state := traceContext(in)
	for k := range in {
		var buf [maxFolded]byte
		f := fold(buf[:], k)
		if !validHeaderName(k) || owned(f, ownedRequestHeaders, ownedRequestPrefixes) || named[string(f)] {
			delete(in, k)
		}
	}
	if parent != "" {
		in["Traceparent"] = []string{parent}
		if state != "" {
			in["Tracestate"] = []string{state}
		}
	}
	return in
}

// traceContext returns the client's W3C trace context (Trace Context Level 1,
// version 00) when it is well formed: exactly one traceparent of the form
// 00-<32 lower-case hex, not all zero>-<16 lower-case hex, not all zero>-<2
// hex>, and tracestate only beside it, at most 32 list members of key=value
// and 512 bytes. Anything else is dropped: the headers reach the backends of
// cached routes unkeyed, so they must not carry what a client chose freely.
func traceContext(in http.Header) (parent, state string) {
	vs := in["Traceparent"]
	if len(vs) != 1 || !validTraceparent(vs[0]) {
		return "", ""
	}
	st := strings.Join(in["Tracestate"], ",")
	if !validTracestate(st) {
		st = ""
	}
	return vs[0], st
}

func validTraceparent(s string) bool {
	if len(s) != 55 || s[:3] != "00-" || s[35] != '-' || s[52] != '-' {
		return false
	}
	return lowerHex(s[3:35], true) && lowerHex(s[36:52], true) && lowerHex(s[53:55], false)
}

// lowerHex reports whether s is lower-case hex digits (and, with nonZero, not
// all '0').
func lowerHex(s string, nonZero bool) bool {
	zero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
		zero = zero && c == '0'
	}
	return !(nonZero && zero)
}

// validTracestate accepts an empty value, or up to 32 comma-separated
// members key=value of printable ASCII without ',' or '=' in the value, 512
// bytes in all.
func validTracestate(s string) bool {
	if len(s) > 512 {
		return false
	}
	if strings.TrimSpace(s) == "" {
		return true
	}
	n := 0
	for m := range strings.SplitSeq(s, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		n++
		k, v, ok := strings.Cut(m, "=")
		if !ok || k == "" || v == "" || n > 32 || !tracestateKey(k) || !tracestateValue(v) {
			return false
		}
	}
	return true
}

func tracestateKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_-*/@", c) >= 0) {
			return false
		}
	}
	return len(k) <= 256
}

func tracestateValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return len(v) <= 256
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

// responseHeaders copies a backend's response headers for the client: no
// hop-by-hop headers or headers named in Connection, none the gateway owns,
// nothing with an invalid name or value (no header injection), at most
// maxResponseHeaders values and maxResponseHeaderBytes bytes.
func responseHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	var drop map[string]bool // folded names listed in Connection
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if drop == nil {
				drop = map[string]bool{}
			}
			var buf [maxFolded]byte
			drop[string(fold(buf[:], strings.TrimSpace(name)))] = true
		}
	}
	n, size := 0, 0
	for k, vs := range h {
		var buf [maxFolded]byte
		f := fold(buf[:], k)
		if !validHeaderToken(k) || owned(f, ownedResponseHeaders, ownedResponsePrefixes) || drop[string(f)] {
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
		if ok && isString && validHeaderToken(name) && validHeaderValue(s) && !auth.ReservedClaimKey(name) {
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

// validHeaderName reports whether s is a header name (an RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
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
