package reliability

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JWKS serves a JSON Web Key Set on a loopback port, as an identity
// provider would; keys can be published while it serves (a rotation). Its
// faults come from a faultproxy in front of it.
type JWKS struct {
	bind string
	Port int

	mu   sync.Mutex
	keys map[string]*rsa.PublicKey // by kid
	srv  *http.Server

	// Fetches counts the key set's requests, faulted or not.
	Fetches atomic.Int64
}

// NewJWKS starts a key set server on bind.
func NewJWKS(bind string) (*JWKS, error) {
	j := &JWKS{bind: bind, keys: map[string]*rsa.PublicKey{}}
	return j, j.listen()
}

func (j *JWKS) listen() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(j.bind, strconv.Itoa(j.Port)))
	if err != nil {
		return err
	}
	j.Port = ln.Addr().(*net.TCPAddr).Port
	j.srv = &http.Server{Handler: http.HandlerFunc(j.serve), ReadHeaderTimeout: 5 * time.Second}
	go j.srv.Serve(ln)
	return nil
}

// URL is the key set's address.
func (j *JWKS) URL() string {
	return "http://" + net.JoinHostPort(j.bind, strconv.Itoa(j.Port)) + "/.well-known/jwks.json"
}

// Publish adds the public key in pubPEM (PKIX) under kid.
func (j *JWKS) Publish(kid string, pubPEM []byte) error {
	b, _ := pem.Decode(pubPEM)
	if b == nil {
		return errors.New("reliability: jwks: no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return errors.New("reliability: jwks: not an RSA key")
	}
	j.mu.Lock()
	j.keys[kid] = rk
	j.mu.Unlock()
	return nil
}

// Close stops the server.
func (j *JWKS) Close() error { return j.srv.Close() }

func (j *JWKS) serve(w http.ResponseWriter, r *http.Request) {
	j.Fetches.Add(1)
	j.mu.Lock()
	type key struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	var set struct {
		Keys []key `json:"keys"`
	}
	for kid, k := range j.keys {
		set.Keys = append(set.Keys, key{"RSA", kid, "sig", "RS256",
			base64.RawURLEncoding.EncodeToString(k.N.Bytes()), base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
	}
	j.mu.Unlock()
	slices.SortFunc(set.Keys, func(a, b key) int { return strings.Compare(a.Kid, b.Kid) })
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}
