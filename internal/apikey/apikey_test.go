package apikey

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeStore serves records by hash and counts calls.
type fakeStore struct {
	recs  map[string]Record
	err   error
	calls int
}

func (f *fakeStore) Get(_ context.Context, hash string) (Record, error) {
	f.calls++
	if f.err != nil {
		return Record{}, f.err
	}
	r, ok := f.recs[hash]
	if !ok {
		return Record{}, ErrUnknownKey
	}
	return r, nil
}

func TestResolve(t *testing.T) {
	now := time.Unix(0, 0)
	store := &fakeStore{recs: map[string]Record{
		Hash("k-pro"):      {ID: "a", Name: "acme", Tier: "pro", Enabled: true},
		Hash("k-disabled"): {ID: "b", Name: "old", Tier: "free", Enabled: false},
		Hash("k-badtier"):  {ID: "c", Name: "x", Tier: "platinum", Enabled: true},
	}}
	r, err := New(Config{Store: store, TTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		key  string
		tier string
		err  error
	}{
		{"k-pro", "pro", nil},
		{"k-disabled", "", ErrUnknownKey},
		{"k-badtier", "", ErrUnknownKey},
		{"nope", "", ErrUnknownKey},
		{"", "", ErrUnknownKey},
	}
	for _, tt := range tests {
		rec, err := r.Resolve(ctx, tt.key)
		if rec.Tier != tt.tier || !errors.Is(err, tt.err) {
			t.Errorf("Resolve(%q) = %+v, %v; want tier %q, %v", tt.key, rec, err, tt.tier, tt.err)
		}
	}
	calls := store.calls
	r.Resolve(ctx, "k-pro")
	r.Resolve(ctx, "nope")
	if store.calls != calls {
		t.Fatalf("got %d store calls for cached answers, want 0", store.calls-calls)
	}
	now = now.Add(61 * time.Second)
	r.Resolve(ctx, "k-pro")
	if store.calls != calls+1 {
		t.Fatalf("got %d store calls after the TTL, want 1", store.calls-calls)
	}
	store.err = errors.New("throttled")
	now = now.Add(61 * time.Second)
	if _, err := r.Resolve(ctx, "k-pro"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("store down: got %v, want ErrUnavailable", err)
	}
}

func TestHash(t *testing.T) {
	// sha256("abc")
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("got %s, want the SHA-256 of abc", got)
	}
}
