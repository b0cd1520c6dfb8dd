// Package authorizer is the logic of Portico's Lambda authorizer: it turns an
// API Gateway authorizer event (REST API TOKEN or REQUEST, HTTP API v2) into a
// decision.
//
// API Gateway caches a REST decision for the authorizer's TTL by identity source
// (the Authorization header) and reuses it for every route of the API, so an
// Allow covers the whole stage: per-route permissions are the aggregator's job,
// from the context returned here, which also carries the token's exp so that a
// cached Allow cannot outlive the token.
//
// Answers for a REST API:
//   - no token: the error "Unauthorized", which API Gateway turns into its
//     UNAUTHORIZED gateway response (401; Portico's provider sets the body
//     {"message":"Missing token"});
//   - an expired, malformed or invalid token: a Deny policy whose context
//     carries message "Token expired" or "Invalid token", which API Gateway turns
//     into its ACCESS_DENIED gateway response (Portico's provider sets 401 with
//     the body {"message":"$context.authorizer.message"} and a WWW-Authenticate
//     header);
//   - a valid token: an Allow policy on the stage with the identity as context.
package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/auth"
)

// ErrUnauthorized is what the handler returns for a request without a token.
// API Gateway maps an authorizer error whose message is exactly "Unauthorized"
// to a 401 response; any other error becomes a 500.
var ErrUnauthorized = errors.New("Unauthorized")

// Messages of the Deny context, shown to the client by the ACCESS_DENIED
// gateway response.
const (
	MessageExpired = "Token expired"
	MessageInvalid = "Invalid token"
	MessageMissing = "Missing token"
)

// Verifier checks a raw bearer token.
type Verifier interface {
	Verify(ctx context.Context, token string) (auth.Identity, error)
}

// Config configures a Handler.
type Config struct {
	// Verifier checks tokens. Required.
	Verifier Verifier
	// V2IAMResponse makes HTTP API v2 events answer with an IAM policy
	// (payload format 1.0-style policy); false answers with the simple
	// {"isAuthorized": …} response.
	V2IAMResponse bool
	// Logger receives one line per decision. Nil discards.
	Logger *slog.Logger
}

// Handler answers authorizer events.
type Handler struct {
	cfg Config
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("authorizer: config: Verifier is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg}, nil
}

// Decision is the outcome for one token.
type Decision struct {
	// Allow says whether the caller may use the API.
	Allow bool
	// Missing is true when there was no token at all.
	Missing bool
	// Message is the client-facing reason of a refusal.
	Message string
	// Identity is the caller's identity when Allow.
	Identity auth.Identity
	// Err is the verification error, for logs only.
	Err error
}

// Decide verifies an Authorization header value.
func (h *Handler) Decide(ctx context.Context, authorization string) Decision {
	token, err := auth.BearerToken(authorization)
	if err == nil {
		var id auth.Identity
		id, err = h.cfg.Verifier.Verify(ctx, token)
		if err == nil {
			return Decision{Allow: true, Identity: id}
		}
	}
	switch {
	case errors.Is(err, auth.ErrMissingToken):
		return Decision{Missing: true, Message: MessageMissing, Err: err}
	case errors.Is(err, auth.ErrTokenExpired):
		return Decision{Message: MessageExpired, Err: err}
	default:
		return Decision{Message: MessageInvalid, Err: err}
	}
}

// Event is an authorizer event of any shape API Gateway sends a Lambda
// authorizer: REST API TOKEN or REQUEST, or HTTP API (version "2.0"). It
// holds what the authorizer reads of each.
type Event struct {
	// Version is "2.0" for an HTTP API event.
	Version string `json:"version"`
	// Type is TOKEN or REQUEST.
	Type string `json:"type"`
	// MethodArn is a REST API event's method; RouteArn an HTTP API event's
	// route.
	MethodArn string `json:"methodArn"`
	RouteArn  string `json:"routeArn"`
	// AuthorizationToken is a TOKEN event's identity source.
	AuthorizationToken string `json:"authorizationToken"`
	// Headers are a REQUEST or HTTP API event's headers.
	Headers map[string]string `json:"headers"`
	// IdentitySource is an HTTP API event's identity values.
	IdentitySource IdentitySource `json:"identitySource"`
}

// IdentitySource is an HTTP API event's list of identity values; a single
// string (as a REST API REQUEST event of payload format 1.0 may carry) is one
// value.
type IdentitySource []string

// UnmarshalJSON reads a list of strings or one string.
func (s *IdentitySource) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = IdentitySource{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("authorizer: identitySource: want a string or a list of strings: %w", err)
	}
	*s = list
	return nil
}

// Response is the authorizer's answer, in the shape its event asks for:
// exactly one field is set.
type Response struct {
	// REST is the IAM policy answer of a REST API event.
	REST *events.APIGatewayCustomAuthorizerResponse
	// Simple is an HTTP API event's {"isAuthorized": ...} answer.
	Simple *events.APIGatewayV2CustomAuthorizerSimpleResponse
	// V2Policy is an HTTP API event's IAM policy answer (Config.V2IAMResponse).
	V2Policy *events.APIGatewayV2CustomAuthorizerIAMPolicyResponse
}

// MarshalJSON writes the field that is set, as API Gateway expects it.
func (r Response) MarshalJSON() ([]byte, error) {
	switch {
	case r.REST != nil:
		return json.Marshal(r.REST)
	case r.Simple != nil:
		return json.Marshal(r.Simple)
	case r.V2Policy != nil:
		return json.Marshal(r.V2Policy)
	}
	return nil, errors.New("authorizer: empty response")
}

// Handle answers an authorizer event by its shape: HTTP API events carry
// "version": "2.0"; REST API events carry "type": TOKEN or REQUEST. An event
// of another shape is an error (API Gateway answers 500), never a decision.
func (h *Handler) Handle(ctx context.Context, ev Event) (Response, error) {
	switch {
	case ev.Version == "2.0":
		authorization := header(ev.Headers, "Authorization")
		if authorization == "" && len(ev.IdentitySource) > 0 {
			authorization = ev.IdentitySource[0]
		}
		return h.v2(ctx, ev.RouteArn, authorization)
	case ev.Type == "TOKEN":
		resp, err := h.rest(ctx, ev.MethodArn, ev.AuthorizationToken)
		return Response{REST: &resp}, err
	case ev.Type == "REQUEST":
		resp, err := h.rest(ctx, ev.MethodArn, header(ev.Headers, "Authorization"))
		return Response{REST: &resp}, err
	}
	return Response{}, fmt.Errorf("authorizer: unknown event (version %q, type %q)", ev.Version, ev.Type)
}

// HandleRequest answers a REST API REQUEST authorizer event.
func (h *Handler) HandleRequest(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	return h.rest(ctx, ev.MethodArn, header(ev.Headers, "Authorization"))
}

// HandleToken answers a REST API TOKEN authorizer event.
func (h *Handler) HandleToken(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	return h.rest(ctx, ev.MethodArn, ev.AuthorizationToken)
}

func (h *Handler) rest(ctx context.Context, methodArn, authorization string) (events.APIGatewayCustomAuthorizerResponse, error) {
	resource, err := stageWildcard(methodArn)
	if err != nil {
		// A malformed methodArn is a platform problem, not the caller's: fail
		// closed with a 500 rather than guess a resource.
		h.cfg.Logger.ErrorContext(ctx, "authorizer: bad methodArn", "err", err)
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	d := h.Decide(ctx, authorization)
	h.log(ctx, d)
	if d.Missing {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	resp := events.APIGatewayCustomAuthorizerResponse{
		PolicyDocument: policy("Deny", resource),
		Context:        map[string]any{"message": d.Message},
		PrincipalID:    "anonymous",
	}
	if d.Allow {
		resp.PrincipalID = d.Identity.Subject
		resp.PolicyDocument = policy("Allow", resource)
		resp.Context = d.Identity.Context()
	}
	return resp, nil
}

// HandleV2 answers an HTTP API v2 authorizer event with a simple response, or an
// IAM policy response when configured.
func (h *Handler) HandleV2(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (Response, error) {
	authorization := header(ev.Headers, "Authorization")
	if authorization == "" && len(ev.IdentitySource) > 0 {
		authorization = ev.IdentitySource[0]
	}
	return h.v2(ctx, ev.RouteArn, authorization)
}

func (h *Handler) v2(ctx context.Context, routeArn, authorization string) (Response, error) {
	d := h.Decide(ctx, authorization)
	h.log(ctx, d)
	if !h.cfg.V2IAMResponse {
		resp := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: d.Allow, Context: map[string]any{"message": d.Message}}
		if d.Allow {
			resp.Context = d.Identity.Context()
		}
		return Response{Simple: &resp}, nil
	}
	resource, err := stageWildcard(routeArn)
	if err != nil {
		h.cfg.Logger.ErrorContext(ctx, "authorizer: bad routeArn", "err", err)
		return Response{}, err
	}
	resp := events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{
		PrincipalID:    "anonymous",
		PolicyDocument: policy("Deny", resource),
		Context:        map[string]any{"message": d.Message},
	}
	if d.Allow {
		resp.PrincipalID = d.Identity.Subject
		resp.PolicyDocument = policy("Allow", resource)
		resp.Context = d.Identity.Context()
	}
	return Response{V2Policy: &resp}, nil
}

func (h *Handler) log(ctx context.Context, d Decision) {
	if d.Allow {
		h.cfg.Logger.InfoContext(ctx, "allow", "sub", d.Identity.Subject, "iss", d.Identity.Issuer)
		return
	}
	h.cfg.Logger.InfoContext(ctx, "deny", "reason", d.Message, "err", d.Err)
}

// invokeAction is shared by every policy; nothing modifies it.
var invokeAction = []string{"execute-api:Invoke"}

func policy(effect, resource string) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action:   invokeAction,
			Effect:   effect,
			Resource: []string{resource},
		}},
	}
}

// stageWildcard turns arn:aws:execute-api:region:account:api/stage/METHOD/path
// into arn:aws:execute-api:region:account:api/stage/*, the whole stage.
func stageWildcard(methodArn string) (string, error) {
	// arn : aws : execute-api : region : account : api/stage/...
	rest, ok := strings.CutPrefix(methodArn, "arn:")
	colons := 0
	for i := 0; ok && i < len(rest) && colons < 4; i++ {
		if rest[i] == ':' {
			colons++
			if colons == 4 {
				resource := rest[i+1:]
				service := rest[strings.IndexByte(rest, ':')+1:]
				if !strings.HasPrefix(service, "execute-api:") {
					break
				}
				api, after, found := strings.Cut(resource, "/")
				stage, _, _ := strings.Cut(after, "/")
				if !found || api == "" || stage == "" {
					return "", fmt.Errorf("authorizer: methodArn %q has no api id and stage", methodArn)
				}
				return methodArn[:len("arn:")+i+1+len(api)+1+len(stage)] + "/*", nil
			}
		}
	}
	return "", fmt.Errorf("authorizer: methodArn %q is not an execute-api ARN", methodArn)
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
