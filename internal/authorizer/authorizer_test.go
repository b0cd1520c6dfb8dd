package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/auth"
)

// fakeVerifier accepts "good", calls "old" expired, and everything else invalid.
type fakeVerifier struct{}

func (fakeVerifier) Verify(_ context.Context, token string) (auth.Identity, error) {
	switch token {
	case "good":
		return auth.Identity{Subject: "u-1", Roles: []string{"admin"}, Scopes: []string{"read"}, Tier: "pro", ExpiresAt: time.Unix(2000000000, 0)}, nil
	case "old":
		return auth.Identity{}, auth.ErrTokenExpired
	}
	return auth.Identity{}, auth.ErrInvalidToken
}

const methodArn = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/v1/GET/api/v1/users/123"
const stageArn = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/v1/*"

func newHandler(t *testing.T, iam bool) *Handler {
	t.Helper()
	h, err := New(Config{Verifier: fakeVerifier{}, V2IAMResponse: iam})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandleRequest(t *testing.T) {
	h := newHandler(t, false)
	tests := []struct {
		name    string
		headers map[string]string
		effect  string // "" means the Unauthorized error
		message string
	}{
		{"no header", map[string]string{}, "", ""},
		{"empty header", map[string]string{"Authorization": ""}, "", ""},
		{"wrong scheme", map[string]string{"Authorization": "Basic good"}, "Deny", MessageInvalid},
		{"double space", map[string]string{"Authorization": "Bearer  good"}, "Deny", MessageInvalid},
		{"bad token", map[string]string{"Authorization": "Bearer bad"}, "Deny", MessageInvalid},
		{"expired token", map[string]string{"Authorization": "Bearer old"}, "Deny", MessageExpired},
		{"good token", map[string]string{"Authorization": "Bearer good"}, "Allow", ""},
		{"lower-case header and scheme", map[string]string{"authorization": "bearer good"}, "Allow", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.HandleRequest(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: methodArn, Headers: tt.headers})
			if tt.effect == "" {
				if !errors.Is(err, ErrUnauthorized) || err.Error() != "Unauthorized" {
					t.Fatalf("got %v, want exactly %q", err, "Unauthorized")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a policy", err)
			}
			st := resp.PolicyDocument.Statement
			if len(st) != 1 || st[0].Effect != tt.effect || st[0].Resource[0] != stageArn {
				t.Fatalf("got policy %+v, want one %s on the whole stage", resp.PolicyDocument, tt.effect)
			}
			if tt.effect == "Deny" {
				if resp.Context["message"] != tt.message {
					t.Fatalf("got context %v, want message %q", resp.Context, tt.message)
				}
				return
			}
			want := map[string]any{"userId": "u-1", "roles": "admin", "scopes": "read", "tier": "pro", "exp": int64(2000000000)}
			for k, v := range want {
				if resp.Context[k] != v {
					t.Errorf("context %s: got %v, want %v", k, resp.Context[k], v)
				}
			}
			if resp.PrincipalID != "u-1" {
				t.Errorf("got principal %q, want u-1", resp.PrincipalID)
			}
		})
	}
}

func TestHandleDispatch(t *testing.T) {
	tests := []struct {
		name  string
		iam   bool
		event string
		check func(t *testing.T, out Response)
	}{
		{"TOKEN event", false, `{"type":"TOKEN","authorizationToken":"Bearer good","methodArn":"` + methodArn + `"}`, func(t *testing.T, out Response) {
			r := *out.REST
			if r.PolicyDocument.Statement[0].Effect != "Allow" {
				t.Fatalf("got %+v, want Allow", r)
			}
		}},
		{"REQUEST event", false, `{"type":"REQUEST","methodArn":"` + methodArn + `","headers":{"Authorization":"Bearer old"}}`, func(t *testing.T, out Response) {
			r := *out.REST
			if r.PolicyDocument.Statement[0].Effect != "Deny" || r.Context["message"] != MessageExpired {
				t.Fatalf("got %+v, want Deny Token expired", r)
			}
		}},
		{"HTTP API simple allow", false, `{"version":"2.0","type":"REQUEST","routeArn":"` + methodArn + `","identitySource":["Bearer good"],"headers":{"authorization":"Bearer good"}}`, func(t *testing.T, out Response) {
			r := *out.Simple
			if !r.IsAuthorized || r.Context["userId"] != "u-1" {
				t.Fatalf("got %+v, want authorized u-1", r)
			}
		}},
		{"HTTP API simple deny", false, `{"version":"2.0","type":"REQUEST","routeArn":"` + methodArn + `","identitySource":["Bearer bad"]}`, func(t *testing.T, out Response) {
			r := *out.Simple
			if r.IsAuthorized || r.Context["message"] != MessageInvalid {
				t.Fatalf("got %+v, want not authorized, Invalid token", r)
			}
		}},
		{"HTTP API IAM policy", true, `{"version":"2.0","type":"REQUEST","routeArn":"` + methodArn + `","headers":{"authorization":"Bearer good"}}`, func(t *testing.T, out Response) {
			r := *out.V2Policy
			if r.PolicyDocument.Statement[0].Effect != "Allow" || r.PolicyDocument.Statement[0].Resource[0] != stageArn || r.PrincipalID != "u-1" {
				t.Fatalf("got %+v, want Allow on the stage for u-1", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			if err := json.Unmarshal([]byte(tt.event), &ev); err != nil {
				t.Fatal(err)
			}
			out, err := newHandler(t, tt.iam).Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
			// The answer marshals to the shape its event asks for.
			b, err := json.Marshal(out)
			if err != nil || !(strings.Contains(string(b), "policyDocument") || strings.Contains(string(b), "isAuthorized")) {
				t.Fatalf("got %s %v, want an IAM policy or a simple answer", b, err)
			}
		})
	}
	for _, bad := range []string{`{"type":"WEIRD"}`, `{"type":"TOKEN","authorizationToken":"Bearer good","methodArn":"arn:aws:lambda:x"}`} {
		var ev Event
		if err := json.Unmarshal([]byte(bad), &ev); err != nil {
			t.Fatal(err)
		}
		if _, err := newHandler(t, false).Handle(context.Background(), ev); err == nil || err.Error() == "Unauthorized" {
			t.Errorf("event %s: got %v, want a configuration error (500), not a decision", bad, err)
		}
	}
	var ev Event
	if err := json.Unmarshal([]byte(`{"version":"2.0","identitySource":{"not":"a list"}}`), &ev); err == nil {
		t.Error("identitySource of another type: got nil error, want one")
	}
}

func TestStageWildcard(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{methodArn, stageArn, true},
		{"arn:aws:execute-api:us-east-1:1:api/prod/POST/", "arn:aws:execute-api:us-east-1:1:api/prod/*", true},
		{"arn:aws:lambda:us-east-1:1:function/x", "", false},
		{"arn:aws:execute-api:us-east-1:1:api", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := stageWildcard(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("stageWildcard(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseSettings(t *testing.T) {
	good := `{"issuers":[{"issuer":"https://id","audiences":["a"],"publicKeys":{"k":"PEM"},"claimMappings":{"email":"email"}}],"leewaySeconds":10,"cacheTtlSeconds":60,"v2Response":"iam"}`
	s, err := ParseSettings([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	c := s.AuthConfig()
	if len(c.Issuers) != 1 || c.Issuers[0].Issuer != "https://id" || string(c.Issuers[0].PublicKeys["k"]) != "PEM" || c.Leeway != 10*time.Second {
		t.Fatalf("got %+v, want the document's issuer, key and leeway", c)
	}
	for _, bad := range []string{`{"issuers":[],"leeway":3}`, `{"v2Response":"xml"}`, `{"cacheTtlSeconds":-1}`, `{} {}`, `[`} {
		if _, err := ParseSettings([]byte(bad)); err == nil {
			t.Errorf("ParseSettings(%s): got nil error, want one", bad)
		}
	}
}
