package webapp

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h, err := Handler(Config{API: "https://localhost:4566/_aws/execute-api/abc/v1", Token: "t", ExpiredToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, ctype, has string }{
		{"/", "text/html; charset=utf-8", `<script src="config.js">`},
		{"/config.js", "text/javascript; charset=utf-8", `const PORTICO = {"api":"https://localhost:4566/_aws/execute-api/abc/v1","token":"t","expiredToken":"x"};`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.ctype || !strings.Contains(string(body), tt.has) {
			t.Errorf("%s: got %d %s %q, want 200 %s with %q", tt.path, rec.Code, rec.Header().Get("Content-Type"), body, tt.ctype, tt.has)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{API: "localhost", Token: "t", ExpiredToken: "x"}, {API: "https://a.example", ExpiredToken: "x"}} {
		if _, err := Handler(c); err == nil {
			t.Errorf("%+v: got nil error, want one", c)
		}
	}
}
