package awsconfig

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An emulator endpoint gets HTTP/1.1 even from a server that offers HTTP/2,
// and the CA bundle is trusted.
func TestLoadEmulatorUsesHTTP1AndTheCABundle(t *testing.T) {
	var proto int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proto = r.ProtoMajor }))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := Load(context.Background(), Options{Region: "us-east-1", Endpoint: srv.URL, CABundle: ca})
	if err != nil {
		t.Fatal(err)
	}
	if !UsesCustomEndpoint(cfg) || aws.ToString(cfg.BaseEndpoint) != srv.URL {
		t.Fatalf("got endpoint %v, want %s", cfg.BaseEndpoint, srv.URL)
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("got %v, want the CA bundle trusted", err)
	}
	resp.Body.Close()
	if proto != 1 {
		t.Fatalf("got HTTP/%d, want HTTP/1.1 towards an emulator", proto)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, bad := range []string{"localhost:4566", "ftp://x", "https://"} {
		if err := (Options{Endpoint: bad}).Validate(); err == nil {
			t.Errorf("endpoint %q: got nil error, want one", bad)
		}
	}
	if err := (Options{Endpoint: "https://localhost:4566"}).Validate(); err != nil {
		t.Errorf("got %v for a good endpoint", err)
	}
}
