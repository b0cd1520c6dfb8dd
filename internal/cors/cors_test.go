package cors

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"no origins", `{"allowOrigins":[]}`, "allowOrigins is empty"},
		{"wildcard with credentials", `{"allowOrigins":["*"],"allowCredentials":true}`, "browsers refuse credentials for a wildcard origin"},
		{"wildcard among others", `{"allowOrigins":["*","https://a.example"]}`, "cannot be listed with others"},
		{"origin with a path", `{"allowOrigins":["https://a.example/app"]}`, "without user, path, query or fragment"},
		{"origin with a trailing slash", `{"allowOrigins":["https://a.example/"]}`, "without user, path, query or fragment"},
		{"origin without scheme", `{"allowOrigins":["a.example"]}`, "want an http or https origin"},
		{"wildcard subdomain", `{"allowOrigins":["https://*.example.com"]}`, "wildcards in an origin are not supported"},
		{"origin twice", `{"allowOrigins":["https://a.example","HTTPS://A.example"]}`, "listed twice"},
		{"lower-case method", `{"allowOrigins":["https://a.example"],"allowMethods":["get"]}`, "upper-case method"},
		{"bad header name", `{"allowOrigins":["https://a.example"],"allowHeaders":["X Bad"]}`, "not an HTTP header name"},
		{"wildcard headers with credentials", `{"allowOrigins":["https://a.example"],"allowHeaders":["*"],"allowCredentials":true}`, "list the headers"},
		{"max age too long", `{"allowOrigins":["https://a.example"],"maxAge":90000}`, "want 0 to 86400"},
		{"unknown field", `{"allowOrigins":["https://a.example"],"allowOrigin":"x"}`, "unknown field"},
		{"two values", `{"allowOrigins":["https://a.example"]} {}`, "more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := Policy{AllowOrigins: []string{"ftp://x"}, AllowMethods: []string{"get"}, MaxAge: -1}
	err := p.Validate()
	for _, want := range []string{"ftp://x", `"get"`, "maxAge -1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %s", err, want)
		}
	}
}

var demo = &Policy{
	AllowOrigins:  []string{"https://app.portico.local"},
	AllowMethods:  []string{"GET", "POST", "PUT", "DELETE"},
	AllowHeaders:  []string{"Authorization", "Content-Type"},
	ExposeHeaders: []string{"X-Request-Id"},
	MaxAge:        600,
}

func TestPreflight(t *testing.T) {
	tests := []struct {
		name, origin, method, headers string
		policy                        *Policy
		ok                            bool
		want                          map[string]string
	}{
		{"allowed origin, method and headers", "https://app.portico.local", "DELETE", "authorization, content-type", demo, true, map[string]string{
			"Access-Control-Allow-Origin": "https://app.portico.local", "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE",
			"Access-Control-Allow-Headers": "authorization, content-type", "Access-Control-Max-Age": "600",
			"Access-Control-Allow-Credentials": "",
		}},
		{"origin compared without case", "HTTPS://APP.PORTICO.LOCAL", "GET", "", demo, true, map[string]string{
			"Access-Control-Allow-Origin": "HTTPS://APP.PORTICO.LOCAL", "Access-Control-Allow-Headers": "",
		}},
		{"other origin", "https://evil.example", "GET", "authorization", demo, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"origin with another port", "https://app.portico.local:8443", "GET", "", demo, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"method not allowed", "https://app.portico.local", "PATCH", "", demo, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"header not allowed", "https://app.portico.local", "GET", "authorization, x-secret", demo, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"wildcard origin", "https://anyone.example", "PATCH", "x-a", &Policy{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}, true,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*", "Access-Control-Allow-Headers": "x-a"}},
		{"wildcard headers never cover Authorization", "https://anyone.example", "GET", "authorization", &Policy{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}}, false, nil},
		{"credentials", "https://a.example", "GET", "", &Policy{AllowOrigins: []string{"https://a.example"}, AllowCredentials: true}, true,
			map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Origin": "https://a.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := tt.policy.Preflight(tt.origin, tt.method, tt.headers)
			if ok != tt.ok {
				t.Fatalf("got ok %v (headers %v), want %v", ok, h, tt.ok)
			}
			if !strings.Contains(h.Get("Vary"), "Origin") {
				t.Errorf("got Vary %q, want Origin in it", h.Get("Vary"))
			}
			for k, v := range tt.want {
				if got := h.Get(k); got != v {
					t.Errorf("got %s %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestActual(t *testing.T) {
	tests := []struct {
		name, origin string
		policy       *Policy
		want         map[string]string
	}{
		{"allowed origin", "https://app.portico.local", demo, map[string]string{
			"Access-Control-Allow-Origin": "https://app.portico.local", "Access-Control-Expose-Headers": "X-Request-Id", "Vary": "Origin"}},
		{"other origin gets no CORS header", "https://evil.example", demo, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "", "Vary": "Origin"}},
		{"no origin", "", demo, map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{"wildcard", "https://x.example", &Policy{AllowOrigins: []string{"*"}}, map[string]string{"Access-Control-Allow-Origin": "*", "Vary": ""}},
		{"no policy", "https://x.example", nil, map[string]string{"Access-Control-Allow-Origin": "", "Vary": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.policy.Actual(tt.origin)
			for k, v := range tt.want {
				if got := h.Get(k); got != v {
					t.Errorf("got %s %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestStatic(t *testing.T) {
	h, ok := demo.Static()
	if !ok || h.Get("Access-Control-Allow-Origin") != "https://app.portico.local" || h.Get("Vary") != "Origin" ||
		h.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
		t.Fatalf("got %v %v, want the one origin, Vary and the exposed headers", h, ok)
	}
	if h, ok := (&Policy{AllowOrigins: []string{"https://a.example", "https://b.example"}}).Static(); ok {
		t.Fatalf("several origins: got %v, want no static headers", h)
	}
}

func TestIsPreflight(t *testing.T) {
	h := http.Header{"Origin": {"https://a.example"}, "Access-Control-Request-Method": {"GET"}}
	tests := []struct {
		method string
		header http.Header
		want   bool
	}{
		{"OPTIONS", h, true},
		{"GET", h, false},
		{"OPTIONS", http.Header{"Origin": {"https://a.example"}}, false},
		{"OPTIONS", http.Header{"Access-Control-Request-Method": {"GET"}}, false},
	}
	for _, tt := range tests {
		if got := IsPreflight(tt.method, tt.header); got != tt.want {
			t.Errorf("%s %v: got %v, want %v", tt.method, tt.header, got, tt.want)
		}
	}
}

func TestIsCORSHeader(t *testing.T) {
	for name, want := range map[string]bool{"Access-Control-Allow-Origin": true, "access-control-max-age": true, "Vary": false, "Access": false} {
		if got := IsCORSHeader(name); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}
