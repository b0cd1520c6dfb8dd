package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command with args and returns its exit code and output.
func run(t *testing.T, env Env, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env.Stdout, env.Stderr = &out, &errOut
	code := Run(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

// write writes a file into a temporary directory and returns its path.
func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	demoRoutes  = "testdata/routes.json"
	demoLimits  = "testdata/limits.json"
	payments    = "../../localstack/grpcpay/payments.binpb"
	validAuth   = `{"issuers": [{"issuer": "https://id.example.com/", "audiences": ["portico"], "jwksUrl": "https://id.example.com/jwks.json", "claimMappings": {"tenant": "tenant"}}]}`
	validPolicy = `{"versions": [{"version": "v1", "weight": 95}, {"version": "v2", "weight": 5}]}`
)

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string // a substring of standard output
		err  string // a substring of standard error
	}{
		{"no command", nil, ExitUsage, "usage: portico <command>", ""},
		{"help", []string{"help"}, ExitOK, "explain", ""},
		{"unknown command", []string{"deploy"}, ExitUsage, "", `unknown command "deploy"`},
		{"unknown flag", []string{"check", "--frobnicate", demoRoutes}, ExitUsage, "", "flag provided but not defined"},
		{"check without files", []string{"check"}, ExitUsage, "", "name at least one file"},
		{"check a missing file", []string{"check", "nowhere.json"}, ExitUsage, "", "nowhere.json"},
		{"command help", []string{"check", "-h"}, ExitOK, "", "usage: portico check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, Env{}, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Fatalf("got exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", code, out, errOut, tt.code, tt.out, tt.err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		files func(t *testing.T) []string
		code  int
		want  []string // substrings of the output
	}{
		{"the demo's documents", func(t *testing.T) []string {
			return []string{demoRoutes, demoLimits, payments, write(t, "auth.json", validAuth), write(t, "policy.json", validPolicy)}
		}, ExitOK, []string{
			"valid route table: 10 routes", "valid limits document: 6 rules", `valid gRPC descriptor set: set "payments"`,
			"valid authorizer settings: 1 issuers", "valid mesh traffic policy", `warning: route "orders": timeout 30s does not fit behind API Gateway's 29s integration timeout`,
		}},
		{"gRPC routes without their sets", func(*testing.T) []string { return []string{demoRoutes} }, ExitOK,
			[]string{"gRPC routes not checked against their descriptor sets"}},
		{"a set missing the routes' method", func(t *testing.T) []string {
			doc := strings.Replace(readFile(t, demoRoutes), "PaymentService/Charge", "PaymentService/Refund", 1)
			return []string{write(t, "routes.json", doc), payments}
		}, ExitInvalid, []string{"invalid route table", "Refund"}},
		{"a JSON syntax error says where", func(t *testing.T) []string {
			return []string{write(t, "routes.json", "{\"version\": 1,\n \"routes\": [\n  {\"id\": \"a\",}\n]}")}
		}, ExitInvalid, []string{"line 3, column"}},
		{"a route table error names the route and field", func(t *testing.T) []string {
			return []string{write(t, "routes.json", `{"version": 1, "routes": [{"id": "a", "match": {"pathPrefix": "/a"}, "service": "s", "ip": {"allow": ["10.0.0.1/8"]}}]}`)}
		}, ExitInvalid, []string{`routes[0] (id "a"): ip.allow[0]`, "write 10.0.0.0/8"}},
		{"a header rule on an identity header", func(t *testing.T) []string {
			return []string{write(t, "routes.json", `{"version": 1, "routes": [{"id": "a", "match": {"pathPrefix": "/a"}, "service": "s", "requestHeaders": {"set": {"X_User_Id": "root"}}}]}`)}
		}, ExitInvalid, []string{"X_User_Id is a header the gateway owns"}},
		{"a limits error", func(t *testing.T) []string {
			return []string{write(t, "limits.json", `{"version": 1, "rules": [{"name": "q", "dimension": "claim", "requests": 1, "window": "month"}]}`)}
		}, ExitInvalid, []string{`rule 0 ("q")`, "needs a Claim"}},
		{"authorizer settings with a plain-http JWKS URL", func(t *testing.T) []string {
			return []string{write(t, "auth.json", strings.Replace(validAuth, "https://id.example.com/jwks", "http://id.example.com/jwks", 1))}
		}, ExitInvalid, []string{"must be https"}},
		{"authorizer settings with a bad key", func(t *testing.T) []string {
			return []string{write(t, "auth.json", `{"issuers": [{"issuer": "https://i/", "audiences": ["a"], "publicKeys": {"k": "not a key"}}]}`)}
		}, ExitInvalid, []string{`public key "k": no PEM block`}},
		{"an endpoint limit no route serves", func(t *testing.T) []string {
			return []string{demoRoutes, write(t, "limits.json", `{"version": 1, "rules": [{"name": "s", "dimension": "endpoint", "route": "/api/v9/search", "requests": 1, "window": "1m"}]}`)}
		}, ExitOK, []string{`warning: rule "s": no route serves /api/v9/search`}},
		{"a claim limit the authorizer does not map", func(t *testing.T) []string {
			return []string{demoLimits, write(t, "auth.json", strings.Replace(validAuth, `"tenant": "tenant"`, `"org": "org"`, 1))}
		}, ExitOK, []string{`warning: rule "tenant-daily" counts per claim "tenant", which no issuer`}},
		{"a kind named on the command line", func(t *testing.T) []string {
			return []string{"policy:" + write(t, "p.json", `{"versions": [{"version": "v1", "weight": 60}, {"version": "v2", "weight": 30}]}`)}
		}, ExitInvalid, []string{"invalid mesh traffic policy"}},
		{"an unnamed set with an unusable name", func(t *testing.T) []string {
			return []string{write(t, "pay ments.binpb", readFile(t, payments))}
		}, ExitInvalid, []string{"give one as NAME="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, Env{}, append([]string{"check"}, tt.files(t)...)...)
			if code != tt.code {
				t.Fatalf("got exit %d, want %d; output:\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("got output:\n%s\nwant it to contain %q", out, w)
				}
			}
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"a header route wins over its prefix", []string{"GET", "/api/v1/users/123", "-H", "X-API-Version: 2"}, ExitOK, []string{
			"route: users-v2", "backend: api-v2-service /users/123 (/api/v1 stripped)",
			`users            matches, but "users-v2" wins: more header predicates (1) beat fewer (0)`,
			"products         path: /api/v1/users/123 is not /api/v1/products or below it",
			"cache: never: the route is userSpecific",
		}},
		{"a header predicate that does not hold", []string{"GET", "/api/v1/products/1", "-H", "Accept-Language: en"}, ExitOK, []string{
			"route: products", `products-fr      header Accept-Language: want a value starting with "fr", got "en"`,
			"cache: yes, fresh for 5m0s", "headers Accept-Language, Accept-Encoding",
		}},
		{"an exact path beats a prefix", []string{"GET", "/api/v1/orders/7"}, ExitOK, []string{
			"route: order", "path parameters: id=7", `orders           matches, but "order" wins: a parameterised path beats a prefix`,
		}},
		{"a method no route serves", []string{"POST", "/api/v1/products"}, ExitInvalid, []string{"answer: 405, Allow: GET", "method: POST is not one of GET"}},
		{"no route", []string{"GET", "/nowhere"}, ExitInvalid, []string{"answer: 404"}},
		{"a path the gateway refuses", []string{"GET", "/api/v1/users/..%2f..%2fadmin"}, ExitInvalid, []string{"answer: 400"}},
		{"the path is cleaned first", []string{"GET", "/api/v1/products/../users//1"}, ExitOK, []string{"path: cleaned to /api/v1/users/1", "route: users"}},
		{"an address the route does not allow", []string{"POST", "/api/v1/orders", "--ip", "203.0.113.9"}, ExitInvalid, []string{"answer: 403: route orders's address rules refuse 203.0.113.9 (not on the allow list)"}},
		{"an address the document denies", []string{"GET", "/api/v1/users/1", "--ip", "192.0.2.10"}, ExitInvalid, []string{"answer: 403: the route table's address rules refuse 192.0.2.10 (denied (192.0.2.0/24))"}},
		{"request rules", []string{"POST", "/api/v1/orders", "--ip", "2001:db8::1"}, ExitOK, []string{
			"body: at most 65536 bytes", "request headers to the backend: remove x-debug; set X-Env: demo",
			"response headers to the client: keep only content-type, etag; set Cache-Control: no-store",
			"permission: POST under /api/v1/orders (POST, PUT, PATCH, DELETE) needs one of the roles admin, clerk",
		}},
		{"the limits that count a request", []string{"--limits", demoLimits, "GET", "/api/v1/search?q=a&utm=b", "--api-key-id", "abc", "--tier", "pro", "--claim", "tenant=acme"}, ExitOK, []string{
			"limits (testdata/limits.json), for API key abc at 203.0.113.7, tier pro",
			"10 per 1m, per caller under /api/v1/search", "counter abc",
			"100000 per calendar month (UTC), per claim tenant", "counter c:acme",
			"not counted by: tier-free (only tier free)",
			"query q", "dropped before the backend (not in the key): query utm",
		}},
		{"a composite route and its calls", []string{"GET", "/user-dashboard"}, ExitOK, []string{
			"composite of 2 calls in parallel, timeout 10s", "user           GET /users/{userId} on user-service, timeout 10s, required; keeps id, name; renames id→userId",
		}},
		{"a gRPC route", []string{"GET", "/api/v1/grpc/v1/payments/p1"}, ExitOK, []string{
			`gRPC: the google.api.http annotations of payments.v1.PaymentService on payment-grpc-service (descriptor set "payments"), matched against /v1/payments/p1`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, Env{}, append([]string{"explain", "--routes", demoRoutes}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("got exit %d, want %d; output:\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("got output:\n%s\nwant it to contain %q", out, w)
				}
			}
		})
	}
}

func TestExplainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "GET", "/x"},
		{"explain", "--routes", demoRoutes, "GET"},
		{"explain", "--routes", demoRoutes, "GET", "/x", "-H", "no colon"},
		{"explain", "--routes", demoRoutes, "GET", "/x", "--claim", "novalue"},
	} {
		if code, _, errOut := run(t, Env{}, args...); code != ExitUsage || errOut == "" {
			t.Errorf("%q: got exit %d and %q, want %d with a message", args, code, errOut, ExitUsage)
		}
	}
}
