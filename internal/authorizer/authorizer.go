// Package authorizer is the logic of Portico's Lambda authorizer: it turns an
// API Gateway REQUEST authorizer event into an IAM policy.
//
// API Gateway caches the policy for the authorizer's TTL by identity source (the
// Authorization header) and reuses it for every route of the API, so an Allow
// covers the whole stage. Per-route permissions are the aggregator's job, from the
// context this package returns; the context also carries the token's exp so that
// a cached Allow cannot outlive the token.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/pkg/auth"
)

// ErrUnauthorized is what the handler returns for a request without a valid
// token. API Gateway maps an authorizer error whose message is exactly
// "Unauthorized" to a 401 response; any other error becomes a 500.
var ErrUnauthorized = errors.New("Unauthorized")

// Verifier checks a raw bearer token.
type Verifier interface {
	Verify(token string) (auth.Identity, error)
}

// Handler answers REQUEST authorizer events.
type Handler struct {
	verifier Verifier
	log      *slog.Logger
}

// New returns a Handler. A nil logger discards logs.
func New(v Verifier, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{verifier: v, log: log}
}

// Handle authorizes one request.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	log := h.log.With("methodArn", ev.MethodArn)
	token, err := auth.BearerToken(header(ev.Headers, "Authorization"))
	if err == nil {
		var id auth.Identity
		id, err = h.verifier.Verify(token)
		if err == nil {
			resource, rerr := stageWildcard(ev.MethodArn)
			if rerr != nil {
				// A malformed methodArn is a platform problem, not the caller's:
				// fail closed with a 500 rather than guess a resource.
				log.ErrorContext(ctx, "authorizer: bad methodArn", "err", rerr)
				return events.APIGatewayCustomAuthorizerResponse{}, rerr
			}
			log.InfoContext(ctx, "allow", "sub", id.Subject)
			return events.APIGatewayCustomAuthorizerResponse{
				PrincipalID: id.Subject,
				PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
					Version: "2012-10-17",
					Statement: []events.IAMPolicyStatement{{
						Action:   []string{"execute-api:Invoke"},
						Effect:   "Allow",
						Resource: []string{resource},
					}},
				},
				Context: id.Context(),
			}, nil
		}
	}
	log.InfoContext(ctx, "deny", "reason", err.Error())
	return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
}

// stageWildcard turns arn:aws:execute-api:region:account:api/stage/METHOD/path
// into arn:aws:execute-api:region:account:api/stage/*, the whole stage.
func stageWildcard(methodArn string) (string, error) {
	parts := strings.SplitN(methodArn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "execute-api" {
		return "", fmt.Errorf("authorizer: methodArn %q is not an execute-api ARN", methodArn)
	}
	path := strings.SplitN(parts[5], "/", 3)
	if len(path) < 2 || path[0] == "" || path[1] == "" {
		return "", fmt.Errorf("authorizer: methodArn %q has no api id and stage", methodArn)
	}
	return strings.Join(parts[:5], ":") + ":" + path[0] + "/" + path[1] + "/*", nil
}

// header looks up a header case-insensitively: REST API events keep the client's
// spelling.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
