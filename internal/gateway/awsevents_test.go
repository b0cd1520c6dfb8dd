package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"go/build"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The request path against the events API Gateway sends on AWS, where the
// local emulator sends something else: aws-lambda-go's sample events
// (events/testdata, captured from API Gateway), edited only where a test
// says so. MiniStack decodes %2F in the path and takes sourceIp from the
// client's X-Forwarded-For; AWS does neither, and these tests hold the
// gateway to what AWS sends (docs/aws.md lists the contracts).

// sampleEvent reads one of aws-lambda-go's sample events from the module
// cache, at the version go.mod requires.
func sampleEvent(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/aws/aws-lambda-go (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/aws/aws-lambda-go")
	}
	var dirs []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		dirs = append(dirs, c)
	}
	dirs = append(dirs, filepath.Join(build.Default.GOPATH, "pkg", "mod"))
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "github.com", "aws", "aws-lambda-go@"+string(m[1]), "events", "testdata", name))
		if err != nil {
			continue
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("sample event %s: %v", name, err)
		}
		return ev
	}
	t.Fatalf("sample event %s of aws-lambda-go %s not found in the module cache (%v)", name, m[1], dirs)
	return events.APIGatewayProxyRequest{}
}

// awsEvent is apigw-request.json sent to path, with the authorizer context
// Portico's authorizer returns (API Gateway delivers its values as the
// authorizer returned them: exp as a number here).
func awsEvent(t *testing.T, method, path string) events.APIGatewayProxyRequest {
	ev := sampleEvent(t, "apigw-request.json")
	ev.HTTPMethod, ev.Path = method, path
	ev.RequestContext.HTTPMethod = method
	ev.RequestContext.Authorizer = map[string]any{
		"principalId": "user-123", "userId": "user-123", "roles": "admin,reader", "exp": float64(testNow.Unix() + 3600),
	}
	return ev
}

func TestAWSEventSourceIPIsTheRequestContexts(t *testing.T) {
	var got seen
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{Headers: r.Header}
	})}, nil)
	ev := awsEvent(t, "GET", "/api/v1/users/1")
	// The sample's client-sent X-Forwarded-For chain differs from sourceIp.
	if xff := ev.Headers["X-Forwarded-For"]; xff == "" || strings.HasPrefix(xff, ev.RequestContext.Identity.SourceIP) {
		t.Fatalf("sample event: X-Forwarded-For %q, want a chain not starting with sourceIp %q", xff, ev.RequestContext.Identity.SourceIP)
	}
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200", resp.StatusCode, resp.Body)
	}
	if xff := got.Headers["X-Forwarded-For"]; len(xff) != 1 || xff[0] != "192.168.196.186" {
		t.Fatalf("backend X-Forwarded-For: got %q, want exactly the event's sourceIp [192.168.196.186]", xff)
	}
}

func TestAWSEventEncodedSlashStaysEncoded(t *testing.T) {
	called := false
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })}, nil)
	for _, path := range []string{"/api/v1/users/a%2Fb", "/api/v1/users/a%2fb", "/api/v1/users/..%2F..%2Fadmin"} {
		resp, _ := h.Handle(context.Background(), awsEvent(t, "GET", path))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: got status %d, want 400 (AWS keeps %%2F encoded in path)", path, resp.StatusCode)
		}
	}
	if called {
		t.Fatal("a path with an encoded slash reached the backend")
	}
}

// API Gateway passes header names as the client sent them (the sample has
// "cache-control" and "headerName"): the gateway compares them without case.
func TestAWSEventHeaderCasing(t *testing.T) {
	var got seen
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{Headers: r.Header}
	})}, nil)
	ev := awsEvent(t, "GET", "/api/v1/users/1")
	ev.MultiValueHeaders["x-user-id"] = []string{"admin"}
	ev.Headers["x-user-id"] = "admin"
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	if v := got.Headers["Cache-Control"]; len(v) != 1 || v[0] != "no-cache" {
		t.Errorf("backend Cache-Control: got %q, want [no-cache] from the lower-case cache-control", v)
	}
	if v := got.Headers["X-User-Id"]; len(v) != 1 || v[0] != "user-123" {
		t.Errorf("backend X-User-Id: got %q, want only the gateway's [user-123]", v)
	}
}

// The authorizer context reaches the integration with the types the
// authorizer gave (a number stays a number); exp as a string is read too.
func TestAWSEventAuthorizerContextTypes(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	for _, exp := range []any{float64(testNow.Unix() + 60), strconv.FormatInt(testNow.Unix()+60, 10)} {
		ev := awsEvent(t, "GET", "/api/v1/users/1")
		ev.RequestContext.Authorizer["exp"] = exp
		if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusOK {
			t.Errorf("exp %#v: got status %d body %s, want 200", exp, resp.StatusCode, resp.Body)
		}
	}
}

// With binary media types */*, API Gateway sends every body with a
// Content-Type base64-encoded (isBase64Encoded); the backend gets the bytes.
func TestAWSEventBase64Body(t *testing.T) {
	var body string
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		body = b.String()
	})}, nil)
	ev := awsEvent(t, "POST", "/api/v1/users")
	raw := ev.Body
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(raw)), true
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusOK || body != raw {
		t.Fatalf("got status %d, backend body %q, want 200 and %q", resp.StatusCode, body, raw)
	}
}
