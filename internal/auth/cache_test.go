package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// countingVerifier accepts tokens starting with "ok" and counts calls.
type countingVerifier struct {
	calls int
	exp   time.Time
}

func (c *countingVerifier) Verify(_ context.Context, token string) (Identity, error) {
	c.calls++
	if len(token) < 2 || token[:2] != "ok" {
		return Identity{}, ErrInvalidToken
	}
	return Identity{Subject: token, ExpiresAt: c.exp}, nil
}

func TestCache(t *testing.T) {
	now := testNow
	next := &countingVerifier{exp: now.Add(90 * time.Second)}
	c, err := NewCache(next, CacheConfig{TTL: time.Minute, MaxEntries: 3, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if id, err := c.Verify(ctx, "ok-a"); err != nil || id.Subject != "ok-a" {
			t.Fatalf("got %+v, %v; want ok-a", id, err)
		}
	}
	if next.calls != 1 {
		t.Fatalf("got %d verifier calls for 3 uses, want 1", next.calls)
	}
	for range 2 {
		if _, err := c.Verify(ctx, "bad"); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("got %v, want ErrInvalidToken", err)
		}
	}
	if next.calls != 3 {
		t.Fatalf("got %d calls, want 3: failures are not cached", next.calls)
	}
	now = now.Add(61 * time.Second) // past the TTL
	c.Verify(ctx, "ok-a")
	if next.calls != 4 {
		t.Fatalf("got %d calls, want 4: the TTL ran out", next.calls)
	}
	now = now.Add(30 * time.Second) // past the token's exp (90 s), inside a new TTL
	c.Verify(ctx, "ok-a")
	if next.calls != 5 {
		t.Fatalf("got %d calls, want 5: an entry never outlives exp", next.calls)
	}
	for i := range 10 {
		c.Verify(ctx, fmt.Sprintf("ok-%d", i))
	}
	if c.Len() > 3 {
		t.Fatalf("got %d entries, want at most 3", c.Len())
	}
	c.Clear()
	if c.Len() != 0 {
		t.Fatalf("got %d entries after Clear, want 0", c.Len())
	}
}

func TestNewCacheValidates(t *testing.T) {
	if _, err := NewCache(nil, CacheConfig{}); err == nil {
		t.Error("got nil error without verifier, want one")
	}
	if _, err := NewCache(&countingVerifier{}, CacheConfig{TTL: -1}); err == nil {
		t.Error("got nil error for a negative TTL, want one")
	}
}
