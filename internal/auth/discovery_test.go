package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// oidcIssuer serves a discovery document and, through a jwksServer, the keys
// it names. doc, when set, replaces the document.
type oidcIssuer struct {
	*httptest.Server
	keys  *jwksServer
	mu    sync.Mutex
	doc   func(issuer string) any
	reads atomic.Int64
}

func newOIDCIssuer(t *testing.T, keys map[string]*rsa.PublicKey) *oidcIssuer {
	o := &oidcIssuer{keys: newJWKSServer(t, keys)}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != WellKnownPath {
			http.NotFound(w, r)
			return
		}
		o.reads.Add(1)
		o.mu.Lock()
		doc := o.doc
		o.mu.Unlock()
		var v any = map[string]string{"issuer": o.URL, "jwks_uri": o.keys.URL + "/jwks.json"}
		if doc != nil {
			v = doc(o.URL)
		}
		json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *oidcIssuer) serve(doc func(issuer string) any) {
	o.mu.Lock()
	o.doc = doc
	o.mu.Unlock()
}

func discoveryVerifier(t *testing.T, issuer string, now *time.Time) *Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := New(ctx, Config{
		Issuers: []Issuer{{Issuer: issuer, Audiences: []string{testAud}}},
		Now:     func() time.Time { return *now },
		JWKS:    JWKSOptions{UnknownKIDInterval: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tokenOf(t *testing.T, iss string) string {
	return sign(t, jwt.SigningMethodRS256, rsaKey, kid("k1"), with(goodClaims(), "iss", iss))
}

// An issuer configured by its URL alone: its keys come from the JWKS its
// discovery document names.
func TestDiscoveryFindsTheKeys(t *testing.T) {
	o := newOIDCIssuer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	now := testNow
	v := discoveryVerifier(t, o.URL, &now)
	id, err := v.Verify(deadline(t), tokenOf(t, o.URL))
	if err != nil || id.Subject != "user-123" {
		t.Fatalf("got %+v, %v; want user-123 verified", id, err)
	}
	if o.reads.Load() != 1 {
		t.Fatalf("got %d discovery reads, want 1 (at start, then kept)", o.reads.Load())
	}
	if !v.StillTrusted(deadline(t), id) {
		t.Fatalf("got the key not trusted, want it in the discovered set")
	}
	// A trailing slash in the issuer is part of its name: a document that
	// drops it names another issuer.
	if got := DiscoveryURL("https://id.example.com/realms/a/"); got != "https://id.example.com/realms/a/.well-known/openid-configuration" {
		t.Fatalf("got %s, want the well-known path after the issuer's path", got)
	}
}

// The document must name the configured issuer exactly, and its jwks_uri
// must be a URL Portico fetches keys from; otherwise no key is trusted.
func TestAttackDiscoveryDocument(t *testing.T) {
	tests := []struct {
		name string
		doc  func(o *oidcIssuer) func(string) any
	}{
		{"another issuer", func(o *oidcIssuer) func(string) any {
			return func(string) any { return map[string]string{"issuer": "https://evil.example", "jwks_uri": o.keys.URL} }
		}},
		{"the issuer with a trailing slash", func(o *oidcIssuer) func(string) any {
			return func(iss string) any { return map[string]string{"issuer": iss + "/", "jwks_uri": o.keys.URL} }
		}},
		{"the issuer in other case", func(o *oidcIssuer) func(string) any {
			return func(iss string) any { return map[string]string{"issuer": strings.ToUpper(iss), "jwks_uri": o.keys.URL} }
		}},
		{"a plain http JWKS on another host", func(*oidcIssuer) func(string) any {
			return func(iss string) any {
				return map[string]string{"issuer": iss, "jwks_uri": "http://keys.evil.example/jwks"}
			}
		}},
		{"a JWKS URI that only starts like loopback", func(*oidcIssuer) func(string) any {
			return func(iss string) any {
				return map[string]string{"issuer": iss, "jwks_uri": "http://127.0.0.1@evil.example/jwks"}
			}
		}},
		{"no jwks_uri", func(*oidcIssuer) func(string) any {
			return func(iss string) any { return map[string]string{"issuer": iss} }
		}},
		{"not an object", func(*oidcIssuer) func(string) any { return func(string) any { return []int{1} } }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOIDCIssuer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
			o.serve(tt.doc(o))
			now := testNow
			v := discoveryVerifier(t, o.URL, &now)
			if _, err := v.Verify(deadline(t), tokenOf(t, o.URL)); err == nil {
				t.Fatalf("got the token accepted, want it refused")
			}
			if o.keys.fetches.Load() != 0 {
				t.Fatalf("got %d JWKS fetches, want none from a refused document", o.keys.fetches.Load())
			}
		})
	}
}

// A redirect is not followed: the document comes from the issuer's own URL.
func TestAttackDiscoveryRedirect(t *testing.T) {
	o := newOIDCIssuer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	redirect := httptest.NewServer(http.RedirectHandler(o.URL+WellKnownPath, http.StatusFound))
	defer redirect.Close()
	now := testNow
	v := discoveryVerifier(t, redirect.URL, &now)
	if _, err := v.Verify(deadline(t), tokenOf(t, redirect.URL)); err == nil {
		t.Fatalf("got the token accepted through a redirect, want it refused")
	}
	if o.reads.Load() != 0 {
		t.Fatalf("got %d reads at the redirect's target, want 0", o.reads.Load())
	}
}

// An issuer that is down at start is read again, at most once per
// unknown-kid interval, and its keys are then trusted.
func TestDiscoveryRetriesWhenDown(t *testing.T) {
	o := newOIDCIssuer(t, map[string]*rsa.PublicKey{"k1": &rsaKey.PublicKey})
	o.serve(func(string) any { return "down" })
	now := testNow
	v := discoveryVerifier(t, o.URL, &now)
	if _, err := v.Verify(deadline(t), tokenOf(t, o.URL)); err == nil {
		t.Fatalf("issuer down: got the token accepted")
	}
	o.serve(nil)
	for range 3 {
		if _, err := v.Verify(deadline(t), tokenOf(t, o.URL)); err == nil {
			t.Fatalf("within the interval: got the token accepted, want the next attempt to wait")
		}
	}
	reads := o.reads.Load()
	now = now.Add(time.Hour)
	if _, err := v.Verify(deadline(t), tokenOf(t, o.URL)); err != nil {
		t.Fatalf("after the interval: got %v, want the token accepted", err)
	}
	if got := o.reads.Load() - reads; got != 1 {
		t.Fatalf("got %d reads after the interval, want 1", got)
	}
}

func TestDiscoveryConfig(t *testing.T) {
	tests := []struct {
		issuer string
		ok     bool
	}{
		{"https://id.example.com/realms/portico", true},
		{"https://id.example.com/", true},
		{"http://127.0.0.1:18088", true},
		{"http://id.example.com", false},
		{"http://localhost.evil.example", false},
		{"https://id.example.com/?tenant=a", false},
		{"https://id.example.com/#x", false},
		{"portico", false},
	}
	for _, tt := range tests {
		err := Config{Issuers: []Issuer{{Issuer: tt.issuer, Audiences: []string{"a"}}}}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("issuer %q by its URL alone: got %v, want ok=%v", tt.issuer, err, tt.ok)
		}
	}
}

// blockingTransport holds every request until release is closed or the
// request's context ends, telling entered when one arrives.
type blockingTransport struct {
	entered chan struct{}
	release chan struct{}
}

func (b blockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return nil, context.Canceled
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// While one request reads a slow discovery document, another is answered at
// once (refused: no keys yet) instead of waiting for it.
func TestDiscoveryNeverHoldsOtherRequests(t *testing.T) {
	bt := blockingTransport{entered: make(chan struct{}, 8), release: make(chan struct{})}
	now := testNow
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := New(ctx, Config{Issuers: []Issuer{{Issuer: "https://slow.example", Audiences: []string{testAud}}}, Now: func() time.Time { return now },
		JWKS: JWKSOptions{HTTPTimeout: time.Millisecond, UnknownKIDInterval: time.Second, Client: &http.Client{Transport: bt}}})
	if err != nil {
		t.Fatal(err)
	}
	<-bt.entered                   // the read at start, given up after HTTPTimeout
	now = now.Add(2 * time.Second) // another attempt is due
	first := make(chan struct{})
	go func() {
		defer close(first)
		rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
		defer rcancel()
		v.Verify(rctx, tokenOf(t, "https://slow.example"))
	}()
	<-bt.entered // the first request is reading the document
	second := make(chan error)
	go func() {
		_, err := v.Verify(context.Background(), tokenOf(t, "https://slow.example"))
		second <- err
	}()
	select {
	case err := <-second:
		if err == nil {
			t.Fatalf("got the token accepted without keys")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the second request waited for the first one's discovery read")
	}
	close(bt.release)
	<-first
}
