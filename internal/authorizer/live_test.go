package authorizer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// testIssuer is an issuer with its own RSA key.
type testIssuer struct {
	iss string
	key *rsa.PrivateKey
}

func newTestIssuer(t *testing.T, iss string) testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testIssuer{iss, key}
}

func (i testIssuer) settings() IssuerSettings {
	der, _ := x509.MarshalPKIXPublicKey(&i.key.PublicKey)
	return IssuerSettings{Issuer: i.iss, Audiences: []string{"portico"},
		PublicKeys: map[string]string{"k1": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}
}

func (i testIssuer) token(t *testing.T) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub": "user-1", "iss": i.iss, "aud": "portico", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func settingsDoc(t *testing.T, issuers ...testIssuer) []byte {
	t.Helper()
	var s Settings
	for _, i := range issuers {
		s.Issuers = append(s.Issuers, i.settings())
	}
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func effectOf(t *testing.T, l *Live, token string) string {
	t.Helper()
	resp, err := l.Handle(context.Background(), Event{Type: "REQUEST", MethodArn: methodArn, Headers: map[string]string{"Authorization": "Bearer " + token}})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp.REST.PolicyDocument.Statement[0].Effect
}

// The authorizer follows the settings in the state table: a new issuer is
// trusted, and a removed one refused, from the next refresh, without a new
// function; an invalid document leaves the settings in use; until settings
// exist it answers an error (API Gateway: 500) rather than guess.
func TestLiveFollowsTheStoredSettings(t *testing.T) {
	a, b := newTestIssuer(t, "https://a.test"), newTestIssuer(t, "https://b.test")
	src := &live.Memory{}
	c := &clock{now: time.Now()}
	l, err := NewLive(LiveConfig{Source: src, Refresh: time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Type: "REQUEST", MethodArn: methodArn, Headers: map[string]string{"Authorization": "Bearer " + a.token(t)}}
	if _, err := l.Handle(context.Background(), ev); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("before any settings: got %v, want ErrNotLoaded", err)
	}

	src.Put(statetable.AuthKey, settingsDoc(t, a))
	c.advance(time.Second)
	if got := effectOf(t, l, a.token(t)); got != "Allow" {
		t.Fatalf("issuer a, configured: got %s, want Allow", got)
	}
	if got := effectOf(t, l, b.token(t)); got != "Deny" {
		t.Fatalf("issuer b, not configured: got %s, want Deny", got)
	}

	src.Put(statetable.AuthKey, settingsDoc(t, b))
	c.advance(time.Second)
	if got := effectOf(t, l, b.token(t)); got != "Allow" {
		t.Fatalf("issuer b, after the change: got %s, want Allow", got)
	}
	if got := effectOf(t, l, a.token(t)); got != "Deny" {
		t.Fatalf("issuer a, after its removal: got %s, want Deny (its cached decision gone with its settings)", got)
	}

	src.Put(statetable.AuthKey, []byte(`{"issuers":[{"issuer":"https://c.test"`))
	c.advance(time.Second)
	if got := effectOf(t, l, b.token(t)); got != "Allow" {
		t.Fatalf("after an invalid document: got %s, want the last good settings (b) in use", got)
	}
}

// A revision moved by another document (a route change) keeps the settings'
// Handler, with its decision cache and keys.
func TestLiveKeepsItsHandlerAcrossOtherChanges(t *testing.T) {
	a := newTestIssuer(t, "https://a.test")
	src := &live.Memory{}
	src.Put(statetable.AuthKey, settingsDoc(t, a))
	c := &clock{now: time.Now()}
	l, err := NewLive(LiveConfig{Source: src, Refresh: time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, _ := l.watch.Value()
	src.Put(statetable.RoutesKey, []byte(`{"version":1,"routes":[]}`))
	c.advance(time.Second)
	effectOf(t, l, a.token(t))
	second, _ := l.watch.Value()
	if rev, _ := l.watch.Revision(); first != second || rev != 2 {
		t.Fatalf("got a new Handler (%v) at revision %d, want the same one at revision 2", first != second, rev)
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
