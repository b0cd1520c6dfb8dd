package gateway

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// identify takes the caller's identity from the authorizer context, the only
// source: no user ID is 401. API Gateway caches the authorizer's Allow for
// its TTL, which may outlive the token, so the context's exp is checked on
// every request (401 "Token expired"), and a context without a readable exp
// is refused (401 "Invalid token"), never taken for "no expiry".
type identify struct {
	now func() time.Time
}

func (s identify) serve(_ context.Context, r *request) *response {
	authz := r.ev.RequestContext.Authorizer
	userID, _ := authz[auth.ContextUserID].(string)
	if userID == "" {
		return answer(http.StatusUnauthorized, "Unauthorized", r.id)
	}
	exp, ok := contextInt(authz[auth.ContextExpiresAt])
	if !ok {
		return answer(http.StatusUnauthorized, "Invalid token", r.id)
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return answer(http.StatusUnauthorized, "Token expired", r.id)
	}
	id := identityFrom(authz)
	if !id.valid() {
		return answer(http.StatusUnauthorized, "Invalid token", r.id)
	}
	r.ident = id
	r.log.userID = userID
	return nil
}

// contextInt reads a whole number of seconds from the authorizer context,
// where API Gateway may deliver it as a JSON number or as a string ("1764…",
// "1764….0" or "1.764…e+09"): it reports false for anything else, and for a
// value that is not finite or not whole.
func contextInt(v any) (int64, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int64:
		return n, true
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case string:
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, true
		}
		var err error
		if f, err = strconv.ParseFloat(n, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
