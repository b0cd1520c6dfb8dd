package gateway

import (
	"context"
	"net/http"
	"slices"
)

// authorise enforces the route table's permissions (403 naming what is
// missing): API Gateway reuses one cached authorizer decision for every
// route, so per-route rules are the gateway's. It also decides whether the
// caller may choose a service version with the headers its mesh policy routes
// on: only when the route lists one of the caller's roles in headerRoutes.
type authorise struct{}

func (authorise) serve(_ context.Context, r *request) *response {
	if perm, ok := r.snap.Routes.Permission(r.method, r.path); ok {
		if ok, reason := perm.Allows(r.ident.roles, r.ident.scopes); !ok {
			return answer(http.StatusForbidden, "Forbidden: "+reason, r.id)
		}
	}
	if hr := r.res.Route.HeaderRoutes; hr != nil {
		r.headerRoutes = slices.ContainsFunc(hr.AnyRole, func(role string) bool { return slices.Contains(r.ident.roles, role) })
	}
	return nil
}
