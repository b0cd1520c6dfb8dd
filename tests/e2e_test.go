//go:build e2e

package tests

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/faultproxy"
	"github.com/portico-gw/portico/localstack/grpcpay"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp/otlptest"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

const (
	issuer   = "https://portico.e2e"
	audience = "portico-e2e"
)

// stack is what TestMain set up.
var stack struct {
	name        string // resource name prefix
	dir         string // temp dir: keys, state
	url         string // invoke URL
	table       string
	namespace   string
	namespaceID string
	privPEM     []byte
	client      *http.Client
	aws         aws.Config
	tfVars      []string
	backend     string         // host the demo services listen on, as the functions reach it
	ports       map[string]int // demo service → port
	// collector receives the aggregator's OpenTelemetry spans (otel_e2e_test.go);
	// nil where the functions cannot reach it.
	collector *otlptest.Collector
	// oidcIssuer is the URL of the tests' OpenID Connect issuer (identity_e2e_test.go),
	// which the authorizer trusts by discovery; empty where the functions cannot reach it.
	oidcIssuer string
	// faults stands between the aggregator and DynamoDB
	// (AWS_ENDPOINT_URL_DYNAMODB): tests make DynamoDB calls hang, fail or
	// throttle through it, and clear it when they are done.
	faults *faultproxy.Proxy
	// traces receives the X-Ray segments of the aggregator and the demo
	// services.
	traces *tracetest.Collector
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cleanup, err := setUp()
	defer cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e set-up:", err)
		return 1
	}
	code := m.Run()
	// The tests share the stack and leave it as they found it; its lifecycle
	// checks (plan, destroy) end it, so they come last, here.
	if err := checkLifecycle(); err != nil {
		fmt.Fprintln(os.Stderr, "--- FAIL: stack lifecycle:", err)
		return 1
	}
	return code
}

func env(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("%s is not set (run the tests with make test)", name)
	}
	return v, nil
}

func setUp() (cleanup func(), err error) {
	var cleanups []func()
	cleanup = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	endpoint, err := env("PORTICO_ENDPOINT")
	if err != nil {
		return cleanup, err
	}
	for _, v := range []string{"PORTICO_TERRAFORM", "PORTICO_AUTHORIZER_ZIP", "PORTICO_AGGREGATOR_ZIP", "TF_CLI_CONFIG_FILE"} {
		if _, err := env(v); err != nil {
			return cleanup, err
		}
	}
	caCert := os.Getenv("PORTICO_CA_CERT")
	suffix := make([]byte, 3)
	rand.Read(suffix)
	stack.name = "e2e" + hex.EncodeToString(suffix)
	stack.dir, err = os.MkdirTemp("", "portico-e2e-")
	if err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(stack.dir) })

	// HTTPS client that trusts the emulator's CA, and nothing less.
	pool, err := x509.SystemCertPool()
	if err != nil {
		return cleanup, err
	}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return cleanup, err
		}
		if !pool.AppendCertsFromPEM(pem) {
			return cleanup, fmt.Errorf("no certificate in %s", caCert)
		}
	}
	stack.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	stack.aws, err = awsconfig.Load(context.Background(), awsconfig.Options{Region: "us-east-1", Endpoint: endpoint, CABundle: caCert})
	if err != nil {
		return cleanup, err
	}

	// A signing key of the tests' own.
	priv, pub, err := devtoken.GenerateKey()
	if err != nil {
		return cleanup, err
	}
	stack.privPEM = priv
	pubPath := filepath.Join(stack.dir, "jwt.pub.pem")
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return cleanup, err
	}

	// The demo services, in this process, on free loopback ports.
	bind := os.Getenv("PORTICO_BACKEND_BIND")
	if bind == "" {
		bind = "127.0.0.1"
	}
	host := os.Getenv("PORTICO_BACKEND_HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	// Each serves mutual TLS with its certificate, which terraform apply
	// creates (loaded on the first handshake), accepts only the gateway, and
	// records an X-Ray segment per request in the tests' collector, where the
	// aggregator sends its own.
	stack.traces, err = tracetest.Listen(net.JoinHostPort(bind, "0"))
	if err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, func() { stack.traces.Close() })
	sender, err := trace.DialUDP(stack.traces.Addr())
	if err != nil {
		return cleanup, err
	}
	sm := awssm.NewFromConfig(stack.aws)
	ports := map[string]int{}
	instances := map[string]string{"user-service-v2": "v2"} // port key → version of the extra instances
	for _, svc := range backend.Services {
		instances[svc] = "v1"
	}
	for key, version := range instances {
		svc := strings.TrimSuffix(key, "-v2")
		ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
		if err != nil {
			return cleanup, err
		}
		tr, err := trace.New(trace.Config{Service: svc, Sender: sender})
		if err != nil {
			return cleanup, err
		}
		secret := stack.name + "/mesh/" + svc
		lazy := &backend.LazyTLS{Allow: []string{"gateway"}, Load: func(ctx context.Context) (*mtls.Credentials, error) {
			src, err := mtlssm.New(sm, secret)
			if err != nil {
				return nil, err
			}
			return mtls.New(ctx, mtls.Config{Source: src})
		}}
		srv := &http.Server{Handler: tr.Middleware(backend.Versioned(svc, version)), TLSConfig: lazy.Config(), ReadHeaderTimeout: 5 * time.Second,
			ErrorLog: log.New(io.Discard, "", 0)} // handshakes before apply fail, by design
		go srv.ServeTLS(ln, "", "")
		cleanups = append(cleanups, func() { srv.Close() })
		ports[key] = ln.Addr().(*net.TCPAddr).Port
	}
	portsJSON, _ := json.Marshal(ports)
	_, tracesPort, _ := net.SplitHostPort(stack.traces.Addr())
	stack.backend, stack.ports = host, ports
	// The fault proxy in front of the emulator's DynamoDB, for the aggregator.
	stack.faults, err = faultproxy.New(endpoint, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		return cleanup, err
	}
	faultLn, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		return cleanup, err
	}
	faultSrv := &http.Server{Handler: stack.faults, ReadHeaderTimeout: 5 * time.Second}
	go faultSrv.Serve(faultLn)
	cleanups = append(cleanups, func() { faultSrv.Close() })
	dynamoVia := fmt.Sprintf(`AWS_ENDPOINT_URL_DYNAMODB="http://%s"`, net.JoinHostPort(host, fmt.Sprint(faultLn.Addr().(*net.TCPAddr).Port)))
	// The aggregator traces with OpenTelemetry into a collector in this
	// process (otel_e2e_test.go), where it can reach one.
	tracing, err := startCollector(host)
	if err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, tracing.stop)
	// The demo gRPC payment service (localstack/grpcpay), in this process too.
	grpcLn, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		return cleanup, err
	}
	payments, err := grpcpay.New(nil)
	if err != nil {
		return cleanup, err
	}
	grpcCtx, stopGRPC := context.WithCancel(context.Background())
	go payments.Serve(grpcCtx, grpcLn)
	cleanups = append(cleanups, stopGRPC)

	oidc, err := startIssuer(host, pub)
	if err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, oidc.stop)

	stack.tfVars = []string{
		"-var", "name=" + stack.name,
		"-var", "endpoint=" + endpoint,
		"-var", "architecture=" + os.Getenv("PORTICO_LAMBDA_ARCH"),
		"-var", "authorizer_zip=" + os.Getenv("PORTICO_AUTHORIZER_ZIP"),
		"-var", "aggregator_zip=" + os.Getenv("PORTICO_AGGREGATOR_ZIP"),
		"-var", "jwt_public_key=" + pubPath,
		"-var", "jwt_issuer=" + issuer,
		"-var", "jwt_audience=" + audience,
		"-var", "backend_host=" + host,
		"-var", "backend_ports=" + string(portsJSON),
		"-var", "payment_grpc_port=" + fmt.Sprint(grpcLn.Addr().(*net.TCPAddr).Port),
		"-var", "aggregator_extra_environment={" + dynamoVia + tracing.env + "}",
		"-var", "xray_daemon_address=" + net.JoinHostPort(host, tracesPort),
		// Small limits, so that z_limits_e2e_test.go reaches them quickly.
		"-var", "limit_per_ip_per_minute=" + fmt.Sprint(e2eIPLimit),
		"-var", "search_limit_per_minute=2",
		"-var", `tier_limits_per_hour={free=3,pro=1000,enterprise=1000}`,
		"-var", "oidc_issuer=" + stack.oidcIssuer,
	}
	if caCert != "" {
		stack.tfVars = append(stack.tfVars, "-var", "ca_bundle="+caCert)
	}
	cleanups = append(cleanups, func() {
		// Idempotent: TestDestroyLeavesNothing normally destroyed everything already.
		if out, err := terraform("destroy", "-auto-approve"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e clean-up: terraform destroy: %v\n%s\n", err, out)
		}
	})
	if out, err := terraform("apply", "-auto-approve"); err != nil {
		return cleanup, fmt.Errorf("terraform apply: %w\n%s", err, out)
	}
	outputs := map[string]*string{"invoke_url": &stack.url, "table_name": &stack.table, "namespace_name": &stack.namespace, "namespace_id": &stack.namespaceID}
	for name, dst := range outputs {
		out, err := terraformOutput(name)
		if err != nil {
			return cleanup, err
		}
		*dst = out
	}
	fmt.Printf("e2e: stack %s at %s\n", stack.name, stack.url)
	return cleanup, nil
}

// terraform runs a state-changing or planning command on terraform/local with
// the tests' variables and state.
func terraform(cmd string, args ...string) (string, error) {
	full := append([]string{"-chdir=../terraform/local", cmd, "-input=false", "-no-color", "-state=" + filepath.Join(stack.dir, "e2e.tfstate")}, args...)
	full = append(full, stack.tfVars...)
	c := exec.Command(os.Getenv("PORTICO_TERRAFORM"), full...)
	out, err := c.CombinedOutput()
	return string(out), err
}

func terraformOutput(name string) (string, error) {
	c := exec.Command(os.Getenv("PORTICO_TERRAFORM"), "-chdir=../terraform/local", "output", "-no-color", "-state="+filepath.Join(stack.dir, "e2e.tfstate"), "-raw", name)
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("terraform output %s: %w", name, err)
	}
	return string(out), nil
}

// token mints a token of the tests' issuer. A token that names no tier is
// given "enterprise": callers without an API key are limited per subject by
// their token's tier, and the stack's free tier (3 per hour, for the tier
// tests) would otherwise stop a test's own requests.
func token(t *testing.T, c devtoken.Claims) string {
	t.Helper()
	if _, ok := c.Extra["tier"]; !ok {
		extra := map[string]any{"tier": "enterprise"}
		for k, v := range c.Extra {
			extra[k] = v
		}
		c.Extra = extra
	}
	if c.Issuer == "" {
		c.Issuer = issuer
	}
	if c.Audience == "" {
		c.Audience = audience
	}
	if c.TTL == 0 {
		c.TTL = time.Hour
	}
	tok, err := devtoken.Mint(stack.privPEM, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, path string, headers map[string]string) answer {
	t.Helper()
	return send(t, method, path, nil, headers)
}

// send makes one request to the stack with body (nil for none) and headers.
func send(t *testing.T, method, path string, body io.Reader, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, stack.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := stack.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func jsonBody[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("got body %q (status %d), want JSON: %v", a.body, a.status, err)
	}
	return v
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// Requests without a valid token never reach the aggregator, and the answers
// are the gateway responses terraform/local configures:
//   - no token: API Gateway's UNAUTHORIZED response, 401 {"message":"Missing
//     token"} (with a cached REQUEST authorizer API Gateway refuses a request
//     without the identity source before invoking the authorizer; AWS and the
//     emulator agree);
//   - a bad or expired token: the authorizer answers Deny with a context
//     message, so API Gateway uses the ACCESS_DENIED response, 401 with
//     WWW-Authenticate error="invalid_token" and the body
//     {"message":"Token expired"} or {"message":"Invalid token"}, the
//     template's $context.authorizer.message substituted. MiniStack does
//     that only with Portico's patch (localstack/ministack, which
//     tests/ministack checks against upstream).
func TestRejectsRequestsWithoutValidToken(t *testing.T) {
	_, otherPriv := mustKey(t)
	wrongKey, err := devtoken.Mint(otherPriv, devtoken.Claims{Subject: "user-123", Issuer: issuer, Audience: audience, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		headers   map[string]string
		message   string
		challenge string
	}{
		{"no Authorization header", nil, "Missing token", `Bearer realm="portico"`},
		{"malformed token", bearer("not.a.jwt"), "Invalid token", `Bearer realm="portico", error="invalid_token"`},
		{"not a bearer token", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, "Invalid token", `Bearer realm="portico", error="invalid_token"`},
		{"expired token", bearer(token(t, devtoken.Claims{Subject: "user-123", TTL: -time.Hour})), "Token expired", `Bearer realm="portico", error="invalid_token"`},
		{"signed by another key", bearer(wrongKey), "Invalid token", `Bearer realm="portico", error="invalid_token"`},
		{"wrong audience", bearer(token(t, devtoken.Claims{Subject: "user-123", Audience: "someone-else"})), "Invalid token", `Bearer realm="portico", error="invalid_token"`},
		{"alg none", bearer("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsImlzcyI6Imh0dHBzOi8vcG9ydGljby5lMmUiLCJhdWQiOiJwb3J0aWNvLWUyZSIsImV4cCI6OTk5OTk5OTk5OX0."), "Invalid token", `Bearer realm="portico", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, "GET", "/api/v1/users/123", tt.headers)
			if a.status != http.StatusUnauthorized {
				t.Fatalf("got status %d body %s, want 401", a.status, a.body)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.challenge)
			}
			if got := string(a.body); got != `{"message":"`+tt.message+`"}` {
				t.Fatalf("got body %s, want exactly {\"message\":%q}", got, tt.message)
			}
		})
	}
}

// Per-route permissions are enforced by the aggregator from the cached
// authorizer context: a missing role gets 403 with a JSON body.
func TestPermissionsPerRoute(t *testing.T) {
	reader := bearer(token(t, devtoken.Claims{Subject: "user-5", Roles: []string{"reader"}}))
	admin := bearer(token(t, devtoken.Claims{Subject: "user-6", Roles: []string{"reader", "admin"}}))
	a := call(t, "DELETE", "/api/v1/users/123", reader)
	if a.status != http.StatusForbidden || !strings.Contains(fmt.Sprint(jsonBody[map[string]any](t, a)["message"]), "admin") {
		t.Fatalf("reader DELETE: got %d %s, want 403 naming the admin role", a.status, a.body)
	}
	a = call(t, "GET", "/api/v1/users/123", reader)
	if a.status != http.StatusOK {
		t.Fatalf("reader GET: got %d %s, want 200", a.status, a.body)
	}
	a = call(t, "DELETE", "/api/v1/users/123", admin)
	if a.status != http.StatusOK || jsonBody[backend.Answer](t, a).Method != "DELETE" {
		t.Fatalf("admin DELETE: got %d %s, want 200 from user-service", a.status, a.body)
	}
}

// Scopes, tier and mapped claims reach the backend as X-User-* headers;
// client-supplied copies do not.
func TestIdentityClaimsReachBackend(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-8", Roles: []string{"reader"}, Extra: map[string]any{
		"scope": "orders:read profile", "tier": "pro", "email": "user-8@example.com",
	}}))
	h["X-User-Tier"] = "enterprise"
	h["X-User-Email"] = "admin@example.com"
	a := call(t, "GET", "/api/v1/users/8", h)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	want := map[string]string{"X-User-Scopes": "orders:read profile", "X-User-Tier": "pro", "X-User-Email": "user-8@example.com"}
	for k, v := range want {
		if vs := got.Headers[k]; len(vs) != 1 || vs[0] != v {
			t.Errorf("backend header %s: got %q, want exactly [%q]", k, vs, v)
		}
	}
}

func mustKey(t *testing.T) (pub, priv []byte) {
	t.Helper()
	priv, pub, err := devtoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// A valid token reaches user-service with the prefix stripped and the
// gateway's identity and enrichment headers; identity headers the client sent
// do not reach the backend.
func TestValidTokenReachesUserService(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-123", Roles: []string{"admin", "reader"}}))
	h["X-User-ID"] = "admin"
	h["X-User-Roles"] = "superuser"
	h["X-Request-ID"] = "spoofed"
	a := call(t, "GET", "/api/v1/users/123?expand=orders", h)
	if a.status != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	if got.Service != "user-service" || got.Path != "/users/123" || got.Method != "GET" || got.Query != "expand=orders" {
		t.Fatalf("got %s %s %s?%s, want user-service GET /users/123?expand=orders", got.Service, got.Method, got.Path, got.Query)
	}
	want := map[string]string{"X-User-Id": "user-123", "X-User-Roles": "admin,reader"}
	for k, v := range want {
		if vs := got.Headers[k]; len(vs) != 1 || vs[0] != v {
			t.Errorf("backend header %s: got %q, want exactly [%q]", k, vs, v)
		}
	}
	if vs := got.Headers["X-Request-Id"]; len(vs) != 1 || vs[0] == "spoofed" || len(vs[0]) != 36 {
		t.Errorf("backend X-Request-Id: got %q, want one gateway UUID", vs)
	}
	if vs := got.Headers["X-Request-Start"]; len(vs) != 1 || !strings.HasPrefix(vs[0], "t=") {
		t.Errorf("backend X-Request-Start: got %q, want t=<unix ms>", vs)
	}
	if vs := got.Headers["X-Forwarded-For"]; len(vs) != 1 || net.ParseIP(vs[0]) == nil {
		t.Errorf("backend X-Forwarded-For: got %q, want the client IP", vs)
	}
	if vs, ok := got.Headers["Authorization"]; ok {
		t.Errorf("backend got Authorization %q, want it kept at the gateway", vs)
	}
	if a.header.Get("X-Request-Id") != got.Headers["X-Request-Id"][0] {
		t.Errorf("response X-Request-Id %q differs from the one the backend got %q", a.header.Get("X-Request-Id"), got.Headers["X-Request-Id"])
	}
}

// /user-dashboard merges user-service, order-service and notification-service
// into one object.
func TestUserDashboardMergesThreeServices(t *testing.T) {
	a := call(t, "GET", "/user-dashboard", bearer(token(t, devtoken.Claims{Subject: "user-42", Roles: []string{"reader"}})))
	if a.status != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200", a.status, a.body)
	}
	// The answer also has _meta (each call's status and latency), checked by
	// TestDashboardAggregation.
	parts := jsonBody[map[string]json.RawMessage](t, a)
	got := map[string]backend.Answer{}
	for _, k := range []string{"user", "orders", "notifications"} {
		got[k] = jsonBody[backend.Answer](t, answer{status: a.status, body: parts[k]})
	}
	if u := got["user"]; u.Service != "user-service" || u.User["id"] != "user-42" {
		t.Errorf("user: got %+v, want user-service's user-42", u)
	}
	if o := got["orders"]; o.Service != "order-service" || len(o.Orders) == 0 || o.Orders[0]["userId"] != "user-42" {
		t.Errorf("orders: got %+v, want order-service's orders of user-42", o)
	}
	if n := got["notifications"]; n.Service != "notification-service" || len(n.Notifications) == 0 {
		t.Errorf("notifications: got %+v, want notification-service's notifications", n)
	}
}

// Unknown paths get the gateway's JSON 404, not a backend's.
func TestUnknownPathIs404JSON(t *testing.T) {
	a := call(t, "GET", "/nowhere", bearer(token(t, devtoken.Claims{Subject: "user-1"})))
	if a.status != http.StatusNotFound {
		t.Fatalf("got status %d body %s, want 404", a.status, a.body)
	}
	if body := jsonBody[map[string]any](t, a); body["message"] == nil || body["requestId"] == nil {
		t.Fatalf("got %s, want a JSON message and requestId", a.body)
	}
}

// Every request is counted in DynamoDB: the rate-limit headers come from the
// counter item the aggregator wrote with one conditional UpdateItem.
func TestRateLimitCountsInDynamoDB(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-7"}))
	first := call(t, "GET", "/api/v1/products", h)
	second := call(t, "GET", "/api/v1/products", h)
	for _, a := range []answer{first, second} {
		if a.status != http.StatusOK || a.header.Get("RateLimit-Limit") != fmt.Sprint(e2eIPLimit) {
			t.Fatalf("got status %d RateLimit-Limit %q, want 200 and %d", a.status, a.header.Get("RateLimit-Limit"), e2eIPLimit)
		}
	}
	var r1, r2 int
	fmt.Sscan(first.header.Get("RateLimit-Remaining"), &r1)
	fmt.Sscan(second.header.Get("RateLimit-Remaining"), &r2)
	if r2 >= r1 {
		t.Fatalf("got RateLimit-Remaining %d then %d, want it to fall", r1, r2)
	}
	out, err := dynamodb.NewFromConfig(stack.aws).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(stack.table)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, item := range out.Items {
		pk, _ := item["pk"].(*ddbtypes.AttributeValueMemberS)
		n, _ := item["n"].(*ddbtypes.AttributeValueMemberN)
		_, hasTTL := item["ttl"].(*ddbtypes.AttributeValueMemberN)
		if pk != nil && strings.HasPrefix(pk.Value, ratelimitdynamo.KeyPrefix+"ip#") && n != nil && hasTTL {
			found = true
		}
	}
	if !found {
		t.Fatalf("got items %v, want an rl#ip# counter with n and ttl", out.Items)
	}
}
