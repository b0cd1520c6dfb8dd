package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/authorizer"
)

// The environment picks the settings' source: the state table (live), a
// document, or one issuer's variables; what does not parse stops the cold
// start with a message naming it, and a table that cannot be read yet does
// not.
func TestBuildFromTheEnvironment(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"a bad refresh", map[string]string{"PORTICO_TABLE": "t", "PORTICO_CONFIG_REFRESH": "soon", "AWS_REGION": "eu-west-1"}, "PORTICO_CONFIG_REFRESH"},
		{"a table without a region", map[string]string{"PORTICO_TABLE": "t"}, "AWS_REGION"},
		{"a document that does not parse", map[string]string{"PORTICO_AUTH_CONFIG": `{"issuers":`}, "authorizer"},
		{"one issuer without a key", map[string]string{"PORTICO_JWT_ISSUER": "https://id.test", "PORTICO_JWT_AUDIENCE": "portico"}, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(context.Background(), func(k string) string { return tt.env[k] }, log)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
	t.Run("a table that cannot be read yet", func(t *testing.T) {
		env := map[string]string{"PORTICO_TABLE": "t", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
			"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
		h, err := build(context.Background(), func(k string) string { return env[k] }, log)
		if err != nil {
			t.Fatalf("got %v, want the function to start", err)
		}
		if _, err := h(context.Background(), authorizer.Event{Type: "TOKEN", AuthorizationToken: "Bearer x"}); !errors.Is(err, authorizer.ErrNotLoaded) {
			t.Fatalf("got %v, want ErrNotLoaded until the settings load", err)
		}
	})
}
