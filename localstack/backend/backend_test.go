package backend

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		service, path string
		check         func(Answer) bool
	}{
		{"user-service", "/users/123", func(a Answer) bool { return a.User["id"] == "123" }},
		{"order-service", "/orders?userId=u", func(a Answer) bool { return len(a.Orders) == 2 && a.Orders[0]["userId"] == "u" }},
		{"notification-service", "/notifications", func(a Answer) bool { return len(a.Notifications) == 1 }},
		{"product-service", "/products", func(a Answer) bool { return len(a.Products) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("X-User-Id", "u")
			rec := httptest.NewRecorder()
			Handler(tt.service).ServeHTTP(rec, req)
			var a Answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if a.Service != tt.service || a.Headers["X-User-Id"][0] != "u" || !tt.check(a) {
				t.Fatalf("got %+v, want %s with its data and the X-User-Id echoed", a, tt.service)
			}
		})
	}
}
