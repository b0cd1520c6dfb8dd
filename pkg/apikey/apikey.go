// Package apikey resolves API keys (the x-api-key header) to the client and
// subscription tier they belong to.
//
// Keys are never stored: the store holds the SHA-256 of each key, and a
// Resolver answers from a bounded per-instance cache in front of it, so a warm
// function looks each key up at most once per TTL. The Terraform resource
// portico_api_key writes the records (see package apikey/dynamo for the item
// shape).
//
// API keys are resolved in the request path (the aggregator), not in the
// authorizer: API Gateway caches the authorizer's decision by the Authorization
// header alone, so a tier decided there would be replayed for a request that
// carries another key.
package apikey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Tiers are the subscription tiers of the design chapter.
var Tiers = []string{"free", "pro", "enterprise"}

// Sentinel errors.
var (
	// ErrUnknownKey: no enabled record for the key.
	ErrUnknownKey = errors.New("apikey: unknown or disabled key")
	// ErrUnavailable: the store could not answer.
	ErrUnavailable = errors.New("apikey: store unavailable")
)

// Record is what the store knows about a key.
type Record struct {
	// ID is the key's public identifier: the first 16 hex digits of its hash.
	ID string
	// Name labels the key's owner, e.g. "partner-acme".
	Name string
	// Tier is one of Tiers.
	Tier string
	// Enabled keys are accepted.
	Enabled bool
}

// Hash returns the hex SHA-256 of key, the form in which keys are stored.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ValidTier reports whether tier is one of Tiers.
func ValidTier(tier string) bool { return slices.Contains(Tiers, tier) }

// Store finds a record by key hash. It returns ErrUnknownKey when there is none.
type Store interface {
	Get(ctx context.Context, hash string) (Record, error)
}

// Config configures a Resolver.
type Config struct {
	// Store holds the records. Required.
	Store Store
	// TTL is how long an answer (found or unknown) is reused. Default 60s.
	TTL time.Duration
	// MaxEntries bounds the cache. Default 10,000.
	MaxEntries int
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Resolver resolves keys with a cache. It is safe for concurrent use.
type Resolver struct {
	cfg     Config
	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	rec     Record
	known   bool
	expires time.Time
}

// New returns a Resolver.
func New(cfg Config) (*Resolver, error) {
	if cfg.Store == nil {
		return nil, errors.New("apikey: config: Store is required")
	}
	if cfg.TTL < 0 || cfg.MaxEntries < 0 {
		return nil, errors.New("apikey: config: TTL and MaxEntries must not be negative")
	}
	if cfg.TTL == 0 {
		cfg.TTL = time.Minute
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Resolver{cfg: cfg, entries: map[string]entry{}}, nil
}

// Resolve returns the enabled record of key, ErrUnknownKey, or an error
// wrapping ErrUnavailable. Store failures are not cached.
func (r *Resolver) Resolve(ctx context.Context, key string) (Record, error) {
	if key == "" || len(key) > 256 {
		return Record{}, ErrUnknownKey
	}
	h := Hash(key)
	now := r.cfg.Now()
	r.mu.Lock()
	e, ok := r.entries[h]
	r.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		rec, err := r.cfg.Store.Get(ctx, h)
		switch {
		case errors.Is(err, ErrUnknownKey):
			e = entry{expires: now.Add(r.cfg.TTL)}
		case err != nil:
			return Record{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		default:
			e = entry{rec: rec, known: true, expires: now.Add(r.cfg.TTL)}
		}
		r.mu.Lock()
		if len(r.entries) >= r.cfg.MaxEntries {
			clear(r.entries) // simple and bounded; a full cache refills within a TTL
		}
		r.entries[h] = e
		r.mu.Unlock()
	}
	if !e.known || !e.rec.Enabled || !ValidTier(e.rec.Tier) {
		return Record{}, ErrUnknownKey
	}
	return e.rec, nil
}
