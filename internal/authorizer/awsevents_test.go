package authorizer

import (
	"context"
	"encoding/json"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// sampleEvent reads one of aws-lambda-go's sample events (events/testdata,
// captured from API Gateway) from the module cache, at the version go.mod
// requires.
func sampleEvent(t *testing.T, name string, v any) {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/aws/aws-lambda-go (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/aws/aws-lambda-go")
	}
	dirs := []string{os.Getenv("GOMODCACHE"), filepath.Join(build.Default.GOPATH, "pkg", "mod")}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "github.com", "aws", "aws-lambda-go@"+string(m[1]), "events", "testdata", name)); err == nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("sample event %s: %v", name, err)
			}
			return
		}
	}
	t.Fatalf("sample event %s of aws-lambda-go %s not found in the module cache", name, m[1])
}

// The REQUEST authorizer event as API Gateway sends it (the sample's
// methodArn, header casing and shape): the policy covers the whole stage of
// the method's API with a wildcard, and the context holds only strings,
// numbers and booleans, the only values API Gateway accepts in it (anything
// else makes the request a 500 AUTHORIZER_CONFIGURATION_ERROR on AWS).
func TestAWSSampleRequestEvent(t *testing.T) {
	h := newHandler(t, false)
	for _, tt := range []struct {
		token, effect, message string
	}{{"good", "Allow", ""}, {"old", "Deny", MessageExpired}, {"bad", "Deny", MessageInvalid}} {
		var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
		sampleEvent(t, "apigw-custom-auth-request-type-request.json", &ev)
		ev.Headers["authorization"] = "Bearer " + tt.token // as a client may spell it
		resp, err := h.HandleRequest(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: got error %v, want a policy", tt.token, err)
		}
		st := resp.PolicyDocument.Statement
		const want = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*"
		if len(st) != 1 || st[0].Effect != tt.effect || len(st[0].Resource) != 1 || st[0].Resource[0] != want {
			t.Fatalf("%s: got policy %+v, want one %s on %s", tt.token, resp.PolicyDocument, tt.effect, want)
		}
		if tt.message != "" && resp.Context["message"] != tt.message {
			t.Fatalf("%s: got context %v, want message %q", tt.token, resp.Context, tt.message)
		}
		for k, v := range resp.Context {
			switch v.(type) {
			case string, bool, int, int64, float64:
			default:
				t.Errorf("%s: context %s is a %T, want a string, number or boolean", tt.token, k, v)
			}
		}
	}
}
