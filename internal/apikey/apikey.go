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

// DefaultStoreTimeout bounds one store lookup: a store that hangs answers
// ErrUnavailable after it, as one that fails does.
const DefaultStoreTimeout = 250 * time.Millisecond

// Config configures a Resolver.
type Config struct {
	// Store holds the records. Required.
	Store Store
	// TTL is how long an answer (found or unknown) is reused. Default 60s.
	TTL time.Duration
	// MaxEntries bounds each of the two caches, of known and of unknown keys;
	// each evicts its least recently used entry when full. Default 10,000. A
	// flood of made-up keys only ever evicts other unknown keys.
	MaxEntries int
	// StoreTimeout bounds one store lookup. Default DefaultStoreTimeout.
	StoreTimeout time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Resolver resolves keys with a cache. It is safe for concurrent use.
type Resolver struct {
	cfg Config

	mu      sync.Mutex
	known   *lru // enabled or disabled records, by key hash
	unknown *lru // hashes the store has no record of
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
	if cfg.TTL < 0 || cfg.MaxEntries < 0 || cfg.StoreTimeout < 0 {
		return nil, errors.New("apikey: config: TTL, MaxEntries and StoreTimeout must not be negative")
	}
	if cfg.TTL == 0 {
		cfg.TTL = time.Minute
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Resolver{cfg: cfg, known: newLRU(cfg.MaxEntries), unknown: newLRU(cfg.MaxEntries)}, nil
}

// Resolve returns the enabled record of key, ErrUnknownKey, or an error
// wrapping ErrUnavailable (the store failed, or did not answer within
// StoreTimeout). Store failures are not cached.
func (r *Resolver) Resolve(ctx context.Context, key string) (Record, error) {
	if key == "" || len(key) > 256 {
		return Record{}, ErrUnknownKey
	}
	h := Hash(key)
	now := r.cfg.Now()
	r.mu.Lock()
	e, ok := r.known.get(h)
	if !ok {
		e, ok = r.unknown.get(h)
	}
	r.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		sctx, cancel := context.WithTimeout(ctx, r.cfg.StoreTimeout)
		rec, err := r.cfg.Store.Get(sctx, h)
		cancel()
		switch {
		case errors.Is(err, ErrUnknownKey):
			e = entry{expires: now.Add(r.cfg.TTL)}
		case err != nil:
			return Record{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		default:
			e = entry{rec: rec, known: true, expires: now.Add(r.cfg.TTL)}
		}
		r.mu.Lock()
		if e.known {
			r.unknown.remove(h)
			r.known.put(h, e)
		} else {
			r.known.remove(h)
			r.unknown.put(h, e)
		}
		r.mu.Unlock()
	}
	if !e.known || !e.rec.Enabled || !ValidTier(e.rec.Tier) {
		return Record{}, ErrUnknownKey
	}
	return e.rec, nil
}
