//go:build e2e

package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// An issuer added to the authorizer's settings in the state table is trusted
// without a redeploy, and refused again once removed. Each call mints a new
// token, so that API Gateway's cache of authorizer decisions (keyed by the
// Authorization header) never answers for an earlier one.
func TestIssuerChangeWithoutRedeploy(t *testing.T) {
	priv, pub, err := devtoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const partner = "https://partner.e2e"
	var n atomic.Int64
	partnerCall := func() int {
		tok, err := devtoken.Mint(priv, devtoken.Claims{Subject: "partner-1", Issuer: partner, Audience: audience, TTL: time.Hour,
			Extra: map[string]any{"tier": "enterprise", "n": n.Add(1)}})
		if err != nil {
			t.Fatal(err)
		}
		return call(t, "GET", "/api/v1/products/3", bearer(tok)).status
	}
	if got := partnerCall(); got != http.StatusUnauthorized {
		t.Fatalf("a partner token before the change: got %d, want 401", got)
	}
	put, original := swapDocument(t, statetable.AuthKey, "the original authorizer settings", func() bool {
		return partnerCall() == http.StatusUnauthorized
	})
	var doc map[string]any
	if err := json.Unmarshal([]byte(original), &doc); err != nil {
		t.Fatalf("the stored settings: %v", err)
	}
	doc["issuers"] = append(doc["issuers"].([]any), map[string]any{
		"issuer": partner, "audiences": []string{audience}, "publicKeys": map[string]string{"": string(pub)},
	})
	b, _ := json.Marshal(doc)
	put(string(b))
	waitFor(t, "the partner issuer to be trusted", func() bool { return partnerCall() == http.StatusOK })
	own := bearer(token(t, devtoken.Claims{Subject: fmt.Sprintf("user-as%d", n.Load())}))
	if a := call(t, "GET", "/api/v1/products/3", own); a.status != http.StatusOK {
		t.Fatalf("a token of the first issuer after the change: got %d %s, want 200", a.status, a.body)
	}
}
