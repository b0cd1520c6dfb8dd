package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OpenID Connect discovery (OpenID Connect Discovery 1.0, section 4): an
// issuer configured by its URL alone has its keys found through
// <issuer>/.well-known/openid-configuration. The document's issuer must equal
// the configured issuer exactly (section 4.3: anything else could let one
// issuer speak for another), and its jwks_uri must pass the same check as a
// configured JWKS URL (https, or plain http to a loopback host, checked as a
// parsed URL). The JWKS is then kept and refreshed as a configured one is.
// The document is read once per function instance: at start, and, while it
// has not been read, again at most once per unknown-kid interval, within the
// request's deadline. Redirects are not followed.

// WellKnownPath is where an issuer publishes its discovery document.
const WellKnownPath = "/.well-known/openid-configuration"

// maxDiscoveryBytes bounds a discovery document.
const maxDiscoveryBytes = 256 << 10

// DiscoveryURL returns the discovery document's URL of issuer: the issuer
// without a trailing slash, then WellKnownPath.
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + WellKnownPath
}

// checkSources checks the issuer's key sources: static keys, a JWKS URL, or,
// with neither, an issuer URL that discovery can fetch; and its claim paths.
func (is Issuer) checkSources() error {
	if len(is.PublicKeys) == 0 && is.JWKSURL == "" {
		if err := checkKeysURL(is.Issuer); err != nil {
			return fmt.Errorf("no public keys and no JWKS URL, so the keys come from OpenID Connect discovery at the issuer's URL, which %w", err)
		}
		if u, _ := url.Parse(is.Issuer); u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return errors.New("an issuer URL has no query or fragment (OpenID Connect Discovery, section 3)")
		}
	}
	for _, c := range []string{is.RolesClaim, is.ScopesClaim, is.TierClaim} {
		if c == "" {
			continue
		}
		if err := checkClaimPath(c); err != nil {
			return err
		}
	}
	return nil
}

// discoveryDocument is the part of a discovery document Portico reads.
type discoveryDocument struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// Discover reads issuer's discovery document with client and returns its
// jwks_uri, after checking that the document names issuer exactly and that
// the URI is one Portico fetches keys from.
func Discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, DiscoveryURL(issuer), nil)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("discovery: %s answered %d (redirects are not followed)", DiscoveryURL(issuer), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return "", fmt.Errorf("discovery: read %s: %w", DiscoveryURL(issuer), err)
	}
	if len(body) > maxDiscoveryBytes {
		return "", fmt.Errorf("discovery: %s is larger than %d bytes", DiscoveryURL(issuer), maxDiscoveryBytes)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery: %s is not a JSON object: %w", DiscoveryURL(issuer), err)
	}
	switch {
	case doc.Issuer != issuer:
		return "", fmt.Errorf("discovery: the document names the issuer %q, not %q", doc.Issuer, issuer)
	case doc.JWKSURI == "":
		return "", errors.New("discovery: the document has no jwks_uri")
	}
	if err := checkKeysURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("discovery: jwks_uri %q: %w", doc.JWKSURI, err)
	}
	return doc.JWKSURI, nil
}

// discovered is the key source of an issuer configured by its URL alone: the
// JWKS its discovery document names, once read.
type discovered struct {
	issuer string
	opts   JWKSOptions
	client *http.Client
	// start builds the JWKS source for the URI, refreshed in the background
	// for the life of the Verifier (New's context).
	start func(uri string) (*jwks, error)

	src atomic.Pointer[jwks]
	// mu is held by the one request that reads the document; the others do
	// not wait for it (TryLock), so none is held past its own deadline.
	mu   sync.Mutex
	next time.Time // guarded by mu: earliest next attempt while src is nil
	now  func() time.Time
}

func newDiscovered(ctx context.Context, issuer string, o JWKSOptions, now func() time.Time) *discovered {
	if o.HTTPTimeout == 0 {
		o.HTTPTimeout = 2 * time.Second
	}
	if o.UnknownKIDInterval == 0 {
		o.UnknownKIDInterval = 5 * time.Minute
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: o.HTTPTimeout}
	}
	// Never follow a redirect to another document.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d := &discovered{issuer: issuer, opts: o, client: &noRedirect, now: now}
	d.start = func(uri string) (*jwks, error) { return newJWKS(ctx, uri, o) }
	rctx, cancel := context.WithTimeout(ctx, o.HTTPTimeout)
	defer cancel()
	d.resolve(rctx) // a failure is not fatal: tried again on the first key wanted
	return d
}

// resolve reads the discovery document and starts the JWKS when it is not
// running yet and an attempt is due; a request that finds another reading it
// carries on without keys instead of waiting.
func (d *discovered) resolve(ctx context.Context) *jwks {
	if src := d.src.Load(); src != nil {
		return src
	}
	if !d.mu.TryLock() {
		return nil
	}
	defer d.mu.Unlock()
	if src := d.src.Load(); src != nil || d.now().Before(d.next) {
		return src
	}
	d.next = d.now().Add(d.opts.UnknownKIDInterval)
	uri, err := Discover(ctx, d.client, d.issuer)
	if err != nil {
		return nil
	}
	src, err := d.start(uri)
	if err != nil {
		return nil
	}
	d.src.Store(src)
	return src
}

// Key implements keySource.
func (d *discovered) Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.opts.HTTPTimeout)
		defer cancel()
	}
	src := d.resolve(ctx)
	if src == nil {
		return nil, fmt.Errorf("unknown kid %q: the issuer's keys are not discovered yet", kid)
	}
	return src.Key(ctx, kid, alg)
}

// Has implements keySource.
func (d *discovered) Has(ctx context.Context, kid string) bool {
	src := d.src.Load()
	return src != nil && src.Has(ctx, kid)
}
