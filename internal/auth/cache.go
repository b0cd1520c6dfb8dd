package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
	"unsafe"
)

// TokenVerifier checks a raw token.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Identity, error)
}

// CacheConfig configures a Cache.
type CacheConfig struct {
	// TTL bounds how long a decision is reused. Default 60s. An entry never
	// outlives the token's exp.
	TTL time.Duration
	// MaxEntries bounds the memory used. Default 10,000.
	MaxEntries int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Cache remembers successful verifications for a warm function instance, keyed
// by the SHA-256 of the token (the token itself is not kept). Failures are not
// cached: a token with an unknown kid may become valid after a key rotation. A
// hit whose JWKS key has been revoked since (removed from the key set by a
// refresh) is verified again, and fails.
// It is safe for concurrent use.
type Cache struct {
	next    TokenVerifier
	cfg     CacheConfig
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	id      Identity
	expires time.Time
}

var _ TokenVerifier = (*Cache)(nil)
var _ TokenVerifier = (*Verifier)(nil)

// NewCache returns a Cache in front of next.
func NewCache(next TokenVerifier, cfg CacheConfig) (*Cache, error) {
	if next == nil {
		return nil, errors.New("auth: cache: verifier is required")
	}
	if cfg.TTL < 0 || cfg.MaxEntries < 0 {
		return nil, errors.New("auth: cache: TTL and MaxEntries must not be negative")
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
	return &Cache{next: next, cfg: cfg, entries: make(map[[sha256.Size]byte]cacheEntry)}, nil
}

// Verify answers from the cache when it can, else asks the verifier.
func (c *Cache) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" || len(token) > MaxTokenBytes {
		return c.next.Verify(ctx, token)
	}
	// Hash the string's bytes in place: Sum256 only reads them, and copying
	// a token of up to 8 KiB would be the hit path's largest cost.
	key := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	now := c.cfg.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) && c.stillTrusted(ctx, e.id) {
		return e.id, nil
	}
	id, err := c.next.Verify(ctx, token)
	if err != nil {
		return id, err
	}
	expires := now.Add(c.cfg.TTL)
	if id.ExpiresAt.Before(expires) {
		expires = id.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.cfg.MaxEntries {
		c.evict(now)
	}
	id = id.withContext()
	c.entries[key] = cacheEntry{id: id, expires: expires}
	return id, nil
}

// trustChecker is implemented by a Verifier whose keys can be revoked.
type trustChecker interface {
	StillTrusted(ctx context.Context, id Identity) bool
}

func (c *Cache) stillTrusted(ctx context.Context, id Identity) bool {
	tc, ok := c.next.(trustChecker)
	return !ok || tc.StillTrusted(ctx, id)
}

// Clear forgets every decision, e.g. after keys were revoked.
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// Len returns the number of cached decisions.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// evict drops expired entries, then, if still full, an arbitrary tenth.
func (c *Cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	drop := len(c.entries) - c.cfg.MaxEntries + max(c.cfg.MaxEntries/10, 1)
	for k := range c.entries {
		if drop <= 0 {
			break
		}
		delete(c.entries, k)
		drop--
	}
}
