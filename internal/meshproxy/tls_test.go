package meshproxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/pkg/mesh"
)

// With certificates, the proxy calls instances over mutual TLS: the
// instance sees the caller's identity, and the proxy refuses an instance
// that is not the service it meant to reach. Plaintext services are called
// without TLS.
func TestOutboundMutualTLS(t *testing.T) {
	ca := newCA(t)
	orders := credentials(t, ca, "orders")
	payment := credentials(t, ca, "payment")
	billing := credentials(t, ca, "billing")
	d := &discoverer{instances: map[string][]mesh.Instance{
		"payment": {tlsBackend(t, "payment-1", payment.ServerConfig("orders"), nil)},
		// An instance of billing registered under payment's name: its
		// certificate does not say payment.
		"impostor": {tlsBackend(t, "impostor-1", billing.ServerConfig(), nil)},
		// An instance that admits only checkout: it refuses orders.
		"vault":  {tlsBackend(t, "vault-1", credentials(t, ca, "vault").ServerConfig("checkout"), nil)},
		"legacy": {backend(t, "legacy-1", nil)},
	}}
	cfg := testConfig("")
	cfg.TLSSecret, cfg.Plaintext = "portico/mesh/orders", []string{"legacy"}
	deps := Dependencies{Mesh: newMesh(t, d, orders, nil, nil), Plain: newMesh(t, d, nil, nil, nil)}
	base, _ := startProxy(t, cfg, deps)
	tests := []struct {
		service    string
		wantStatus int
		wantCaller string // the identity the instance saw
		wantCode   string
	}{
		{"payment", 200, "spiffe://portico/orders", ""},
		{"legacy", 200, "", ""},
		{"impostor", 502, "", codeTLS},
		{"vault", 502, "", codeTLS},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/"+tt.service+"/x", nil)
			resp, b := do(t, &http.Client{}, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, b, tt.wantStatus)
			}
			if tt.wantCode != "" {
				if code, msg, _ := problemOf(t, resp, b); code != tt.wantCode || !strings.Contains(msg, "mutual TLS") {
					t.Fatalf("got %s %q, want %s naming mutual TLS", code, msg, tt.wantCode)
				}
				return
			}
			var got echo
			json.Unmarshal(b, &got)
			if got.Caller != tt.wantCaller {
				t.Fatalf("instance saw caller %q, want %q", got.Caller, tt.wantCaller)
			}
		})
	}
}
