package gateway

import (
	"context"
	"strings"

	"github.com/portico-gw/portico/internal/usage"
)

// UsageRecorder counts the requests the gateway serves; a *usage.Recorder is
// one.
type UsageRecorder interface {
	Record(ctx context.Context, ev usage.Event)
}

// meter counts the request in the usage counters, when the snapshot's limits
// document asks for them (its usage section): per API key, per route, and
// per tenant, the value of the claim the section names. It counts what
// reaches the backend step: requests refused before it (401, 403, 404, 413,
// 429) are not billed. It never refuses a request.
type meter struct {
	rec UsageRecorder
}

func (s meter) serve(ctx context.Context, r *request) *response {
	if s.rec == nil || r.snap == nil || r.snap.Usage == nil {
		return nil
	}
	ev := usage.Event{APIKey: r.ident.apiKeyID, Route: r.res.Route.ID}
	if c := r.snap.Usage.Claim; c != "" {
		for k, v := range r.ident.claims {
			if strings.EqualFold(k, c) {
				ev.Tenant = v
			}
		}
	}
	s.rec.Record(ctx, ev)
	return nil
}
