package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

// The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10, the
// latest revision): RateLimit-Policy lists every quota policy that counted
// the request, "name";q=<quota>;w=<window seconds>, and RateLimit each
// policy's state, "name";r=<remaining>;t=<seconds to its reset>, both as
// Structured Field lists (RFC 9651) of strings with parameters. They are sent
// beside the earlier draft's three fields (RateLimit-Limit, -Remaining,
// -Reset, for the tightest policy), which clients already read.

// rateLimitFields adds RateLimit-Policy and RateLimit for applied to h, in
// the order the policies were checked; nothing without any.
func rateLimitFields(h map[string][]string, applied []ratelimit.Decision, now time.Time) {
	if len(applied) == 0 {
		return
	}
	var policy, state strings.Builder
	for i, d := range applied {
		if i > 0 {
			policy.WriteString(", ")
			state.WriteString(", ")
		}
		name := sfString(d.Name)
		policy.WriteString(name)
		policy.WriteString(";q=")
		policy.WriteString(strconv.FormatInt(d.Limit, 10))
		if w := int64(d.Window / time.Second); w > 0 {
			policy.WriteString(";w=")
			policy.WriteString(strconv.FormatInt(w, 10))
		}
		state.WriteString(name)
		state.WriteString(";r=")
		state.WriteString(strconv.FormatInt(d.Remaining, 10))
		state.WriteString(";t=")
		state.WriteString(strconv.FormatInt(secondsUntil(d.Reset, now), 10))
	}
	h["RateLimit-Policy"] = []string{policy.String()}
	h["RateLimit"] = []string{state.String()}
}

// secondsUntil is the whole seconds from now to t, rounded up, at least 0.
func secondsUntil(t, now time.Time) int64 {
	s := int64(t.Sub(now).Seconds() + 0.999)
	return max(s, 0)
}

// sfString writes s as a Structured Field string: quoted, '"' and '\'
// escaped, anything outside printable ASCII replaced by '?' (a policy name
// is a limit's name from the limits document).
func sfString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// limitClaims are the caller's mapped claims for the limits that count per
// claim, by lower-case name; nil without any.
func (id identity) limitClaims() map[string]string {
	if len(id.claims) == 0 {
		return nil
	}
	out := make(map[string]string, len(id.claims))
	for k, v := range id.claims {
		out[strings.ToLower(k)] = v
	}
	return out
}
