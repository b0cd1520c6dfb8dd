package auth

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// jwks is a JWKS URL's keys, kept by jwkset: fetched at start, refreshed in the
// background, refreshed on an unknown kid at most once per window, and kept
// when a refresh fails.
type jwks struct {
	storage jwkset.Storage
	timeout time.Duration
}

func newJWKS(ctx context.Context, url string, o JWKSOptions) (*jwks, error) {
	if o.RefreshInterval == 0 {
		o.RefreshInterval = time.Hour
	}
	if o.UnknownKIDInterval == 0 {
		o.UnknownKIDInterval = 5 * time.Minute
	}
	if o.HTTPTimeout == 0 {
		o.HTTPTimeout = 2 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.HTTPTimeout}
	}
	noErrorOnFirstFailure := true
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
		Client:                    o.Client,
		HTTPTimeout:               o.HTTPTimeout,
		NoErrorReturnFirstHTTPReq: &noErrorOnFirstFailure,
		RefreshInterval:           o.RefreshInterval,
		// Burst 1: the first unknown kid refreshes at once, later ones wait for
		// the window. The limiter's Wait fails at once when the wait would pass
		// the request's deadline, which Key always sets, so a flood of unknown
		// kids never blocks a request.
		RefreshUnknownKID: rate.NewLimiter(rate.Every(o.UnknownKIDInterval), 1),
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(context.Context, error) {} // the caller sees the unknown kid
		},
	})
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", url, err)
	}
	return &jwks{storage: kf.Storage(), timeout: o.HTTPTimeout}, nil
}

// Key returns the public key with kid, checking the JWK's alg and use.
func (j *jwks) Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, j.timeout)
		defer cancel()
	}
	k, err := j.storage.KeyRead(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	m := k.Marshal()
	if a := m.ALG.String(); a != "" && a != alg {
		return nil, fmt.Errorf("kid %q is for %s, token uses %s", kid, a, alg)
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return nil, fmt.Errorf("kid %q is not a signing key", kid)
	}
	key := k.Key()
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public()
	}
	return checkKey(key)
}

// Has reports whether kid is in the cached key set, without fetching.
func (j *jwks) Has(ctx context.Context, kid string) bool {
	_, err := j.storage.KeyRead(ctx, kid)
	return err == nil
}
