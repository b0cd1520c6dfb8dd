package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

// limit checks the request against the snapshot's limits of dims: 429 with
// Retry-After and the RateLimit-* headers over a limit, 503 when a
// fail-closed limit cannot be checked. The pipeline has two: the network
// limits (global, per IP) before the API key is looked up, so that cheap
// rejections come before expensive ones, and the caller's (per key,
// endpoint and tier; per token subject without a key) after it.
type limit struct {
	dims []ratelimit.Dimension
	now  func() time.Time
	log  *slog.Logger
}

func (s limit) serve(ctx context.Context, r *request) *response {
	if r.snap == nil || r.snap.Limits == nil {
		return nil
	}
	if r.limit.IP == "" && r.limit.Subject == "" {
		r.limit = ratelimit.Request{IP: r.clientIP, Subject: r.ident.userID, Path: r.path, Tier: r.ident.tier, Claims: r.ident.limitClaims()}
	}
	d, err := r.snap.Limits.Allow(ctx, r.limit, s.dims...)
	switch {
	case err != nil:
		r.log.limit = "unavailable"
		s.log.ErrorContext(ctx, "rate limit unavailable, failing closed", "xRequestId", r.id, "err", err)
		return answer(http.StatusServiceUnavailable, "Rate limit unavailable", r.id)
	case d.Limit > 0 && !d.Allowed:
		r.log.limit = "limited:" + d.Name
		resp := answer(http.StatusTooManyRequests, "Too Many Requests", r.id)
		h := rateLimitHeaders(d, append(r.applied, d.Applied...), s.now())
		for k, v := range h {
			resp.MultiValueHeaders[k] = v
		}
		resp.MultiValueHeaders["Retry-After"] = h["RateLimit-Reset"]
		return resp
	}
	r.decided = tightest(r.decided, d)
	r.applied = append(r.applied, d.Applied...)
	return nil
}

// tightest is the more restrictive of two admitting decisions, a decision of
// no limit (Limit 0) giving way to any other.
func tightest(a, b ratelimit.Decision) ratelimit.Decision {
	switch {
	case a.Limit == 0:
		return b
	case b.Limit == 0:
		return a
	case ratelimit.Tighter(b, a):
		return b
	}
	return a
}

// rateLimitHeaders are the RateLimit-* headers of d, the tightest decision,
// and the RateLimit-Policy and RateLimit fields of every policy applied
// (ratelimitfields.go).
func rateLimitHeaders(d ratelimit.Decision, applied []ratelimit.Decision, now time.Time) map[string][]string {
	reset := int64(d.Reset.Sub(now).Seconds() + 0.999)
	if reset < 1 {
		reset = 1
	}
	h := map[string][]string{
		"RateLimit-Limit":     {strconv.FormatInt(d.Limit, 10)},
		"RateLimit-Remaining": {strconv.FormatInt(d.Remaining, 10)},
		"RateLimit-Reset":     {strconv.FormatInt(reset, 10)},
	}
	rateLimitFields(h, applied, now)
	return h
}
