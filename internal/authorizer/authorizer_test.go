package authorizer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/pkg/auth"
)

// fakeVerifier accepts exactly one token.
type fakeVerifier struct {
	token string
	id    auth.Identity
}

func (f fakeVerifier) Verify(token string) (auth.Identity, error) {
	if token != f.token {
		return auth.Identity{}, auth.ErrInvalidToken
	}
	return f.id, nil
}

const arn = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/v1/GET/api/v1/users/123"

func TestHandle(t *testing.T) {
	h := New(fakeVerifier{token: "good", id: auth.Identity{Subject: "u-1", Roles: []string{"admin"}, ExpiresAt: time.Unix(2000000000, 0)}}, nil)
	tests := []struct {
		name    string
		headers map[string]string
		arn     string
		wantErr error
	}{
		{"no header", map[string]string{}, arn, ErrUnauthorized},
		{"wrong scheme", map[string]string{"Authorization": "Basic good"}, arn, ErrUnauthorized},
		{"bad token", map[string]string{"Authorization": "Bearer bad"}, arn, ErrUnauthorized},
		{"good token", map[string]string{"Authorization": "Bearer good"}, arn, nil},
		{"lower-case header name", map[string]string{"authorization": "bearer good"}, arn, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: tt.arn, Headers: tt.headers})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || err.Error() != "Unauthorized" {
					t.Fatalf("got %v, want exactly %q", err, "Unauthorized")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			st := resp.PolicyDocument.Statement
			if len(st) != 1 || st[0].Effect != "Allow" || st[0].Resource[0] != "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/v1/*" {
				t.Fatalf("got policy %+v, want one Allow on the whole stage", resp.PolicyDocument)
			}
			if resp.PrincipalID != "u-1" || resp.Context["userId"] != "u-1" || resp.Context["roles"] != "admin" || resp.Context["exp"] != int64(2000000000) {
				t.Fatalf("got principal %q context %v, want u-1/admin/2000000000", resp.PrincipalID, resp.Context)
			}
		})
	}
}

func TestStageWildcard(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{arn, "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/v1/*", true},
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
