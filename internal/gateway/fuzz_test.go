package gateway

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// ownedBySpec are the header names, folded, that SECURITY.md says only the
// gateway sets or that never reach a backend, written out here independently
// of the gateway's own list. (traceparent and tracestate are forwarded when
// well formed, so they are not in it; TestAttackMalformedTraceContext covers
// them.)
var ownedBySpec = []string{
	"x-request-id", "x-request-start", "x-real-ip", "forwarded", "authorization", "proxy-authorization",
	"x-amzn-trace-id", "x-http-method-override", "x-method-override", "x-http-method", "x-original-url",
	"x-rewrite-url", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
	"proxy-connection", "proxy-authenticate", "host", "content-length", "x-api-key", "x-api-key-id",
}

var ownedPrefixesBySpec = []string{"x-user-", "x-forwarded-"}

func ownedSpec(name string) bool {
	f := folded(name)
	return slices.Contains(ownedBySpec, f) || slices.ContainsFunc(ownedPrefixesBySpec, func(p string) bool { return strings.HasPrefix(f, p) })
}

// FuzzHeaderHygiene: whatever one header (and a Connection header naming
// anything) a client sends, no header whose folded name is gateway-owned
// reaches a backend except with the gateway's own value, and every header the
// gateway sets is there with its value.
//
//	go test -run '^$' -fuzz FuzzHeaderHygiene -fuzztime 10m ./internal/gateway
func FuzzHeaderHygiene(f *testing.F) {
	for _, seed := range [][3]string{
		{"X_User_Roles", "admin", ""}, {"x_user_id", "root", ""}, {"X-Forwarded_For", "10.0.0.1", ""},
		{"X_HTTP_Method_Override", "DELETE", ""}, {"x-original-url", "/admin", ""}, {"X-Custom", "v", "X-User-Id, X-Forwarded-For"},
		{"X-User-Id", "admin", "X-User-Id"}, {"Forwarded", "for=1.2.3.4", "keep-alive"}, {"X-API-KEY_ID", "k", ""},
		{"Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""}, {"x_user_", "", "x_request_id"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	id := identity{userID: "user-1", roles: []string{"reader"}, scopes: []string{"read"}, tier: "pro", apiKeyID: "k1", claims: map[string]string{"Email": "a@example.com"}}
	const ip, trace = "203.0.113.7", "Root=1-5759e988-bd862e3fe1be46a994272793"
	// hygiene is what the clean and enrich steps make of the client's headers.
	hygiene := func(ev events.APIGatewayProxyRequest) http.Header {
		r := &request{header: cleanHeaders(&ev).header, ident: id, clientIP: ip, trace: trace, start: testNow, id: "11111111-2222-4333-8444-555555555555"}
		enrich{}.serve(context.Background(), r)
		return r.header
	}
	gatewayOnly := hygiene(events.APIGatewayProxyRequest{})
	f.Fuzz(func(t *testing.T, name, value, connection string) {
		ev := events.APIGatewayProxyRequest{MultiValueHeaders: map[string][]string{name: {value}}}
		if connection != "" {
			ev.MultiValueHeaders["Connection"] = append(ev.MultiValueHeaders["Connection"], connection)
		}
		out := hygiene(ev)
		for k, want := range gatewayOnly {
			if got := out[k]; !slices.Equal(got, want) {
				t.Fatalf("client %q: %q (Connection %q): gateway header %s is %q, want %q", name, value, connection, k, got, want)
			}
		}
		for k, got := range out {
			if ownedSpec(k) && !slices.Equal(got, gatewayOnly[k]) {
				t.Fatalf("client %q: %q (Connection %q): backend gets %s: %q, a gateway-owned name", name, value, connection, k, got)
			}
		}
	})
}
