// Package hygiene holds the names of the headers only the gateway may set,
// compared folded: in lower case, with '_' as '-'. CGI, WSGI and Rack
// servers (and the frameworks on top of them) read X_User_Roles as
// X-User-Roles, so a header the gateway owns is owned in every spelling that
// folds to it. The gateway strips such headers from what clients send and
// backends answer (package internal/gateway), and the route table refuses
// header rules that would set or remove them (package internal/route).
package hygiene

// MaxFolded is the longest name Fold folds without allocating (with a buffer
// of this size); longer names are checked against the prefixes too.
const MaxFolded = 64

// OwnedRequestNames are the folded names of request headers only the gateway
// may set, or that must not travel to a backend: hop-by-hop headers,
// credentials, the gateway's enrichment and identity, trace context, and
// method-override and URL-rewrite headers (a request authorised as GET /a
// must not act as DELETE /b on a backend that honours them).
var OwnedRequestNames = set(
	"host", "content-length", "authorization", "x-api-key", "x-api-key-id", "x-request-id", "x-request-start",
	"x-real-ip", "x-amzn-trace-id", "forwarded", "traceparent", "tracestate",
	"x-http-method-override", "x-method-override", "x-http-method", "x-original-url", "x-rewrite-url",
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
	"trailer", "transfer-encoding", "upgrade",
)

// OwnedRequestPrefixes are folded prefixes of gateway-owned request headers:
// the identity (X-User-*) and the forwarding chain (X-Forwarded-*).
var OwnedRequestPrefixes = []string{"x-user-", "x-forwarded-"}

// OwnedResponseNames are the folded names of response headers a backend may
// not set: hop-by-hop ones, and those the gateway sets itself.
var OwnedResponseNames = set(
	"content-length", "x-request-id", "retry-after", "ratelimit", "ratelimit-policy",
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
	"trailer", "transfer-encoding", "upgrade",
)

// OwnedResponsePrefixes are folded prefixes of gateway-owned response
// headers: the rate-limit fields (RateLimit-Limit, -Remaining, -Reset;
// RateLimit and RateLimit-Policy are named above) and API Gateway's own.
var OwnedResponsePrefixes = []string{"ratelimit-", "x-amzn-"}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Fold writes name folded into buf (lower case, '_' as '-') and returns it;
// it allocates nothing when name fits in buf.
func Fold(buf []byte, name string) []byte {
	buf = buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		buf = append(buf, c)
	}
	return buf
}

// Owned reports whether a header whose folded name is f is in names or
// starts with one of prefixes.
func Owned(f []byte, names map[string]bool, prefixes []string) bool {
	if names[string(f)] {
		return true
	}
	for _, p := range prefixes {
		if len(f) >= len(p) && string(f[:len(p)]) == p {
			return true
		}
	}
	return false
}

// OwnedRequest reports whether the request header name, in any spelling, is
// the gateway's.
func OwnedRequest(name string) bool {
	var buf [MaxFolded]byte
	return Owned(Fold(buf[:], name), OwnedRequestNames, OwnedRequestPrefixes)
}

// OwnedResponse reports whether the response header name, in any spelling, is
// the gateway's.
func OwnedResponse(name string) bool {
	var buf [MaxFolded]byte
	return Owned(Fold(buf[:], name), OwnedResponseNames, OwnedResponsePrefixes)
}
