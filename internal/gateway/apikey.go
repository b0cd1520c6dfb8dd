package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// resolveKey resolves the request's x-api-key, when API keys are in use: an
// unknown or disabled key is 403 and costs the client's IP a second request
// of its limit, so that guessing keys spends the budget twice as fast as using
// one; a store that fails or hangs is 503; a known key sets the caller's tier
// (over the token's) and its public ID. The key itself never reaches a backend.
type resolveKey struct {
	keys KeyResolver
	log  *slog.Logger
}

func (s resolveKey) serve(ctx context.Context, r *request) *response {
	if s.keys == nil {
		return nil
	}
	key := apiKeyHeader(r)
	if key == "" {
		return nil
	}
	rec, err := s.keys.Resolve(ctx, key)
	switch {
	case errors.Is(err, apikey.ErrUnknownKey):
		if r.snap != nil && r.snap.Limits != nil {
			r.snap.Limits.Allow(ctx, r.limit, ratelimit.IP)
		}
		return answer(http.StatusForbidden, "Invalid API key", r.id)
	case err != nil:
		s.log.ErrorContext(ctx, "API key lookup failed", "xRequestId", r.id, "err", err)
		return answer(http.StatusServiceUnavailable, "API key check unavailable", r.id)
	}
	r.limit.APIKey, r.limit.Tier = rec.ID, rec.Tier
	r.ident.tier, r.ident.apiKeyID = rec.Tier, rec.ID
	return nil
}

// apiKeyHeader returns the request's x-api-key header without building the
// whole header map.
func apiKeyHeader(r *request) string {
	for k, vs := range r.ev.MultiValueHeaders {
		if len(vs) > 0 && strings.EqualFold(k, "X-Api-Key") {
			return vs[0]
		}
	}
	for k, v := range r.ev.Headers {
		if strings.EqualFold(k, "X-Api-Key") {
			return v
		}
	}
	return ""
}
