//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/webapp"
)

// The demo's CORS policy (terraform/local) allows webapp.Origin with the
// Authorization and Content-Type request headers.

// Preflights are answered without the authorizer (they carry no token), and
// only the allowed origin gets CORS headers: on the preflight, on the
// aggregator's answers and on API Gateway's own 401s.
func TestCORSPreflightAndHeaders(t *testing.T) {
	const other = "https://evil.example"
	preflight := func(origin, method, headers string) answer {
		return call(t, "OPTIONS", "/api/v1/users/123", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})
	}
	a := preflight(webapp.Origin, "GET", "authorization,content-type")
	if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != webapp.Origin {
		t.Fatalf("preflight from %s: got %d ACAO %q %s, want 204 naming the origin", webapp.Origin, a.status, a.header.Get("Access-Control-Allow-Origin"), a.body)
	}
	if got := strings.ToLower(a.header.Get("Access-Control-Allow-Headers")); got != "authorization, content-type" {
		t.Errorf("preflight: got Access-Control-Allow-Headers %q, want authorization and content-type", got)
	}
	if !strings.Contains(a.header.Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Errorf("preflight: got Access-Control-Allow-Methods %q, want DELETE in it", a.header.Get("Access-Control-Allow-Methods"))
	}
	for _, tt := range []struct{ name, origin, headers string }{
		{"other origin", other, "authorization"},
		{"header not allowed", webapp.Origin, "authorization,x-secret"},
	} {
		if a := preflight(tt.origin, "GET", tt.headers); a.header.Get("Access-Control-Allow-Origin") != "" || a.status == http.StatusNoContent {
			t.Errorf("preflight, %s: got %d ACAO %q, want a refusal without CORS headers", tt.name, a.status, a.header.Get("Access-Control-Allow-Origin"))
		}
	}

	valid := bearer(token(t, devtoken.Claims{Subject: "user-cors", Roles: []string{"reader"}}))
	expired := bearer(token(t, devtoken.Claims{Subject: "user-cors", TTL: -time.Hour}))
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		// static: API Gateway's own answer, whose headers name the one
		// allowed origin whatever the request's.
		static bool
	}{
		{"the aggregator's answer", valid, 200, false},
		{"API Gateway's 401 without a token", map[string]string{}, 401, true},
		{"API Gateway's 401 for an expired token", expired, 401, true},
	}
	for _, tt := range tests {
		for _, origin := range []string{webapp.Origin, other} {
			t.Run(tt.name+" to "+origin, func(t *testing.T) {
				h := map[string]string{"Origin": origin}
				for k, v := range tt.headers {
					h[k] = v
				}
				a := call(t, "GET", "/api/v1/users/123", h)
				if a.status != tt.status {
					t.Fatalf("got %d %s, want %d", a.status, a.body, tt.status)
				}
				acao := a.header.Get("Access-Control-Allow-Origin")
				switch {
				case origin == webapp.Origin && acao != webapp.Origin:
					t.Fatalf("got Access-Control-Allow-Origin %q, want %s", acao, webapp.Origin)
				case origin == other && acao == other:
					t.Fatalf("got Access-Control-Allow-Origin %q: the other origin could read the answer", acao)
				case origin == other && !tt.static && acao != "":
					t.Fatalf("got Access-Control-Allow-Origin %q, want none for another origin", acao)
				}
				if origin == webapp.Origin && !strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
					t.Errorf("got Access-Control-Expose-Headers %q, want X-Request-Id", a.header.Get("Access-Control-Expose-Headers"))
				}
			})
		}
	}
}

// chromium finds a headless browser: PORTICO_CHROMIUM (make e2e sets it
// when it could install one), else chromium on the PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PORTICO_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no headless browser on this machine (make e2e installs Debian's chromium when it can; set PORTICO_CHROMIUM " +
		"to another); TestCORSPreflightAndHeaders still checks CORS at the HTTP level")
	return ""
}

// pageResult is what the page could read of one answer.
type pageResult struct {
	Status    int    `json:"status"`
	RequestID string `json:"requestId"`
	Body      string `json:"body"`
	Error     string `json:"error"`
}

// loadPage serves the demo page as origin (mapped to a local port for the
// browser) and returns what its three calls could read.
func loadPage(t *testing.T, browser, origin string) map[string]pageResult {
	t.Helper()
	valid := token(t, devtoken.Claims{Subject: "user-123", Roles: []string{"admin", "reader"}})
	expired := token(t, devtoken.Claims{Subject: "user-123", Roles: []string{"admin", "reader"}, TTL: -time.Hour})
	h, err := webapp.Handler(webapp.Config{API: stack.url, Token: valid, ExpiredToken: expired})
	if err != nil {
		t.Fatal(err)
	}
	page := httptest.NewTLSServer(h)
	defer page.Close()
	_, port, _ := net.SplitHostPort(page.Listener.Addr().String())
	host := strings.TrimPrefix(origin, "https://")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The page's origin must be exactly https://<host> (port 443), so the
	// browser resolves host:443 to the test's server. The API's certificate
	// is the local CA's and the page's a test one: a throwaway profile
	// ignores both (this test is about CORS, not TLS).
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--ignore-certificate-errors", "--user-data-dir="+t.TempDir(),
		fmt.Sprintf("--host-resolver-rules=MAP %s:443 127.0.0.1:%s", host, port),
		"--virtual-time-budget=30000", "--dump-dom", origin+"/")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", browser, err)
	}
	dom := string(out)
	if !strings.Contains(dom, `data-done="true"`) {
		t.Fatalf("the page did not finish its calls:\n%s", dom)
	}
	results := map[string]pageResult{}
	for _, id := range []string{"ok", "expired", "post"} {
		m := regexp.MustCompile(`id="` + id + `"[^>]*data-result="([^"]*)"`).FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("no result for %s in the page:\n%s", id, dom)
		}
		var r pageResult
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &r); err != nil {
			t.Fatalf("result of %s: %v (%s)", id, err, m[1])
		}
		results[id] = r
	}
	return results
}

// A real browser: the demo page, served from https://app.portico.local,
// calls the API with fetch() and a bearer token. Its preflight passes
// without the authorizer, and the page can read the 200 (with its
// X-Request-Id), a JSON POST's answer and the 401 of an expired token. The
// same page served from another origin reads nothing.
func TestBrowserCallsAPIFromAnotherOrigin(t *testing.T) {
	browser := chromium(t)
	got := loadPage(t, browser, webapp.Origin)
	ok := got["ok"]
	var user backend.Answer
	if ok.Status != 200 || json.Unmarshal([]byte(ok.Body), &user) != nil || user.Service != "user-service" || ok.RequestID == "" {
		t.Errorf("valid token: the page read %+v, want 200 from user-service with its X-Request-Id", ok)
	}
	if e := got["expired"]; e.Status != 401 || e.Body != `{"message":"Token expired"}` {
		t.Errorf("expired token: the page read %+v, want 401 {\"message\":\"Token expired\"}", e)
	}
	var order backend.Answer
	if p := got["post"]; p.Status != 200 || json.Unmarshal([]byte(p.Body), &order) != nil || order.Service != "order-service" || order.Method != "POST" {
		t.Errorf("JSON POST: the page read %+v, want order-service's answer to the POST", p)
	}

	for id, r := range loadPage(t, browser, "https://elsewhere.portico.local") {
		if r.Error == "" || r.Status != 0 {
			t.Errorf("from another origin, %s: the page read %+v, want a CORS failure (nothing readable)", id, r)
		}
	}
}
