package hygiene

import "testing"

func TestOwned(t *testing.T) {
	tests := []struct {
		name              string
		request, response bool
	}{
		{"X-User-Id", true, false},
		{"x_user_roles", true, false},
		{"X-USER-TENANT", true, false},
		{"X_Forwarded_For", true, false},
		{"Authorization", true, false},
		{"X-Api-Key", true, false},
		{"traceparent", true, false},
		{"X-HTTP-Method-Override", true, false},
		{"Transfer-Encoding", true, true},
		{"Content-Length", true, true},
		{"X-Request-Id", true, true},
		{"RateLimit", false, true},
		{"RateLimit-Policy", false, true},
		{"ratelimit_remaining", false, true},
		{"X-Amzn-Remapped-Date", false, true},
		{"Retry-After", false, true},
		{"X-Env", false, false},
		{"Cache-Control", false, false},
		{"X-User", false, false},
		{"Set-Cookie", false, false},
	}
	for _, tt := range tests {
		if got := OwnedRequest(tt.name); got != tt.request {
			t.Errorf("OwnedRequest(%q): got %v, want %v", tt.name, got, tt.request)
		}
		if got := OwnedResponse(tt.name); got != tt.response {
			t.Errorf("OwnedResponse(%q): got %v, want %v", tt.name, got, tt.response)
		}
	}
}

func TestFoldAllocatesNothing(t *testing.T) {
	var buf [MaxFolded]byte
	if n := testing.AllocsPerRun(100, func() { Fold(buf[:], "X_User_Roles") }); n != 0 {
		t.Fatalf("got %v allocations, want 0", n)
	}
	if got := string(Fold(buf[:], "X_User_Roles")); got != "x-user-roles" {
		t.Fatalf("got %q, want x-user-roles", got)
	}
}
