package gateway

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/cors"
)

var demoCORS = &cors.Policy{
	AllowOrigins:  []string{"https://app.portico.local"},
	AllowMethods:  []string{"GET", "POST", "PUT", "DELETE"},
	AllowHeaders:  []string{"Authorization", "Content-Type"},
	ExposeHeaders: []string{"X-Request-Id"},
	MaxAge:        600,
}

func corsHandler(t *testing.T, svcs services) *Handler {
	t.Helper()
	h, err := New(Config{
		Configuration: config.Fixed(testTable(t), nil), Transport: svcs, CORS: demoCORS,
		Now: func() time.Time { return testNow }, NewID: func() string { return "11111111-2222-4333-8444-555555555555" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A preflight reaches the aggregator without the authorizer (API Gateway's
// OPTIONS method has none), so it carries no identity: it is answered from
// the policy and never reaches a backend.
func TestPreflightAnsweredWithoutIdentity(t *testing.T) {
	called := false
	h := corsHandler(t, services{"user-service": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })})
	tests := []struct {
		name     string
		headers  map[string][]string
		status   int
		wantACAO string
	}{
		{"allowed origin", map[string][]string{"Origin": {"https://app.portico.local"}, "Access-Control-Request-Method": {"DELETE"},
			"Access-Control-Request-Headers": {"authorization,content-type"}}, 204, "https://app.portico.local"},
		{"other origin", map[string][]string{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"GET"},
			"Access-Control-Request-Headers": {"authorization"}}, 403, ""},
		{"header not allowed", map[string][]string{"Origin": {"https://app.portico.local"}, "Access-Control-Request-Method": {"GET"},
			"Access-Control-Request-Headers": {"x-secret"}}, 403, ""},
		{"OPTIONS that is no preflight needs an identity", map[string][]string{"Origin": {"https://app.portico.local"}}, 401, "https://app.portico.local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event("OPTIONS", "/api/v1/users/1", tt.headers)
			ev.RequestContext.Authorizer = nil // no authorizer on OPTIONS
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != tt.status {
				t.Fatalf("got status %d body %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if got := headerValue(resp.MultiValueHeaders, "Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Fatalf("got Access-Control-Allow-Origin %q, want %q", got, tt.wantACAO)
			}
			if tt.status == 204 {
				if got := headerValue(resp.MultiValueHeaders, "Access-Control-Allow-Headers"); got != "authorization, content-type" {
					t.Errorf("got Access-Control-Allow-Headers %q, want the two asked for", got)
				}
				if got := headerValue(resp.MultiValueHeaders, "Access-Control-Max-Age"); got != "600" {
					t.Errorf("got Access-Control-Max-Age %q, want 600", got)
				}
			}
		})
	}
	if called {
		t.Fatal("a preflight reached the backend")
	}
}

func headerValue(h map[string][]string, k string) string {
	if vs := h[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Every answer carries the CORS headers for an allowed origin, and none for
// another, whoever made it: the backend (whose own Access-Control-* headers
// are dropped), the gateway's 404 and 401.
func TestCORSHeadersOnEveryAnswer(t *testing.T) {
	h := corsHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Accept-Language")
	})})
	expired := event("GET", "/api/v1/users/1", nil)
	expired.RequestContext.Authorizer["exp"] = float64(testNow.Add(-time.Minute).Unix())
	tests := []struct {
		name   string
		ev     func(origin string) eventFn
		status int
	}{
		{"backend answer", func(o string) eventFn { return withOrigin(event("GET", "/api/v1/users/1", nil), o) }, 200},
		{"gateway 404", func(o string) eventFn { return withOrigin(event("GET", "/nowhere", nil), o) }, 404},
		{"gateway 401", func(o string) eventFn { return withOrigin(expired, o) }, 401},
	}
	for _, tt := range tests {
		for _, origin := range []string{"https://app.portico.local", "https://evil.example"} {
			t.Run(tt.name+" from "+origin, func(t *testing.T) {
				resp, _ := h.Handle(context.Background(), tt.ev(origin)())
				if resp.StatusCode != tt.status {
					t.Fatalf("got status %d, want %d", resp.StatusCode, tt.status)
				}
				want := ""
				if origin == "https://app.portico.local" {
					want = origin
				}
				if got := headerValue(resp.MultiValueHeaders, "Access-Control-Allow-Origin"); got != want {
					t.Fatalf("got Access-Control-Allow-Origin %q, want %q", got, want)
				}
				if got := headerValue(resp.MultiValueHeaders, "Access-Control-Allow-Credentials"); got != "" {
					t.Fatalf("got Access-Control-Allow-Credentials %q, want none (the backend's is dropped)", got)
				}
				vary := resp.MultiValueHeaders["Vary"]
				hasOrigin := false
				for _, v := range vary {
					hasOrigin = hasOrigin || v == "Origin"
				}
				if !hasOrigin {
					t.Fatalf("got Vary %q, want Origin in it", vary)
				}
			})
		}
	}
}

type eventFn func() events.APIGatewayProxyRequest

func withOrigin(ev events.APIGatewayProxyRequest, origin string) eventFn {
	return func() events.APIGatewayProxyRequest {
		if ev.MultiValueHeaders == nil {
			ev.MultiValueHeaders = map[string][]string{}
		}
		h := map[string][]string{}
		for k, v := range ev.MultiValueHeaders {
			h[k] = v
		}
		h["Origin"] = []string{origin}
		ev.MultiValueHeaders = h
		return ev
	}
}
