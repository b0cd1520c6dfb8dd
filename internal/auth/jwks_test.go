package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a JWK Set that a test can change, and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	down    bool
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, keys map[string]*rsa.PublicKey) *jwksServer {
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		for kid, k := range s.keys {
			set.Keys = append(set.Keys, map[string]string{
				"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(keys map[string]*rsa.PublicKey, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.down = keys, down
}

func newJWKSVerifier(t *testing.T, url string) *Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := New(ctx, Config{
		Issuers: []Issuer{{Issuer: testIss, Audiences: []string{testAud}, JWKSURL: url}},
		Now:     func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestJWKSRotation(t *testing.T) {
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	v := newJWKSVerifier(t, srv.URL)
	if got := srv.fetches.Load(); got != 1 {
		t.Fatalf("got %d fetches at start, want 1", got)
	}
	tok1 := sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), goodClaims())
	tok2 := sign(t, jwt.SigningMethodRS256, rsaOther, kid("k2"), goodClaims())
	if _, err := v.Verify(deadline(t), tok1); err != nil {
		t.Fatalf("k1 before rotation: got %v, want valid", err)
	}
	// Rotate: k2 replaces k1.
	srv.set(map[string]*rsa.PublicKey{"k2": &rsaOther.PublicKey}, false)
	if _, err := v.Verify(deadline(t), tok2); err != nil {
		t.Fatalf("k2 after rotation: got %v, want valid after one refresh", err)
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("got %d fetches, want 2 (one refresh for the new kid)", got)
	}
	if _, err := v.Verify(deadline(t), tok1); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("k1 after rotation: got %v, want ErrInvalidToken (retired)", err)
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("got %d fetches, want still 2 (refresh window)", got)
	}
}

func TestJWKSUnknownKidFlood(t *testing.T) {
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	v := newJWKSVerifier(t, srv.URL)
	var wg sync.WaitGroup
	var rejected atomic.Int64
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := sign(t, jwt.SigningMethodRS256, rsaKey, kid(fmt.Sprintf("flood-%d", i)), goodClaims())
			if _, err := v.Verify(deadline(t), tok); errors.Is(err, ErrInvalidToken) {
				rejected.Add(1)
			}
		}()
	}
	wg.Wait()
	if rejected.Load() != 500 {
		t.Fatalf("got %d rejected, want all 500", rejected.Load())
	}
	if got := srv.fetches.Load(); got > 2 {
		t.Fatalf("got %d fetches for 500 unknown kids, want at most 2 (start + one refresh)", got)
	}
	// A known key still verifies without a fetch.
	before := srv.fetches.Load()
	if _, err := v.Verify(deadline(t), sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), goodClaims())); err != nil || srv.fetches.Load() != before {
		t.Fatalf("got %v with %d new fetches, want valid with none", err, srv.fetches.Load()-before)
	}
}

func TestJWKSDownKeepsCachedKeys(t *testing.T) {
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	v := newJWKSVerifier(t, srv.URL)
	srv.set(nil, true)
	if _, err := v.Verify(deadline(t), sign(t, jwt.SigningMethodRS256, rsaOther, kid("k9"), goodClaims())); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kid while JWKS is down: got %v, want ErrInvalidToken (fail closed)", err)
	}
	if _, err := v.Verify(deadline(t), sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), goodClaims())); err != nil {
		t.Fatalf("cached kid while JWKS is down: got %v, want valid", err)
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	srv.set(map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey}, true)
	v := newJWKSVerifier(t, srv.URL) // must not fail: keys come later
	srv.set(map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey}, false)
	if _, err := v.Verify(deadline(t), sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), goodClaims())); err != nil {
		t.Fatalf("got %v, want valid once the JWKS is back (refresh on unknown kid)", err)
	}
}

func TestCacheDropsDecisionsOfRevokedKeys(t *testing.T) {
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	v := newJWKSVerifier(t, srv.URL)
	c, err := NewCache(v, CacheConfig{TTL: time.Hour, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	tok1 := sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), goodClaims())
	if _, err := c.Verify(deadline(t), tok1); err != nil {
		t.Fatalf("k1: got %v, want valid", err)
	}
	// k1 is revoked: the next refresh (caused here by a token with the new kid)
	// removes it from the key set.
	srv.set(map[string]*rsa.PublicKey{"k2": &rsaOther.PublicKey}, false)
	if _, err := c.Verify(deadline(t), sign(t, jwt.SigningMethodRS256, rsaOther, kid("k2"), goodClaims())); err != nil {
		t.Fatalf("k2: got %v, want valid", err)
	}
	if _, err := c.Verify(deadline(t), tok1); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("cached decision for revoked k1: got %v, want ErrInvalidToken", err)
	}
}
