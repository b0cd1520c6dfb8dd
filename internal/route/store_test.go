package route

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// source is a Source whose document a test changes.
type source struct {
	mu    sync.Mutex
	doc   string
	err   error
	loads int
}

func (s *source) Load(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.err != nil {
		return nil, s.err
	}
	return []byte(s.doc), nil
}

func (s *source) set(doc string, err error) {
	s.mu.Lock()
	s.doc, s.err = doc, err
	s.mu.Unlock()
}

func table(id string) string {
	return fmt.Sprintf(`{"version":1,"revision":%q,"routes":[{"id":%q,"match":{"pathPrefix":"/a"},"service":"s"}]}`, id, id)
}

func TestStoreRefreshKeepsLastGood(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	src := &source{}
	var logs bytes.Buffer
	var changes []string
	s, err := NewStore(StoreConfig{
		Source: src, Refresh: 30 * time.Second,
		Now:      func() time.Time { return now },
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		OnChange: func(t *Table) { changes = append(changes, t.Document().Revision) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	current := func() string {
		tbl := s.Current(ctx)
		if tbl == nil {
			return "<none>"
		}
		return tbl.Document().Revision
	}

	src.set("", fmt.Errorf("item: %w", ErrNotFound))
	if got := current(); got != "<none>" {
		t.Fatalf("no document: got %s, want no table", got)
	}
	src.set(table("one"), nil)
	if got := current(); got != "<none>" {
		t.Fatalf("within the cold retry: got %s, want no table yet (no reload)", got)
	}
	now = now.Add(time.Second)
	if got := current(); got != "one" {
		t.Fatalf("after the cold retry: got %s, want one", got)
	}

	src.set(`{"version":1,"routes":[{"id":"bad"}]}`, nil)
	now = now.Add(29 * time.Second)
	if got := current(); got != "one" {
		t.Fatalf("before the refresh interval: got %s, want one", got)
	}
	now = now.Add(time.Second)
	if got := current(); got != "one" {
		t.Fatalf("invalid document: got %s, want the last good table, one", got)
	}
	if !strings.Contains(logs.String(), "refusing an invalid route table") || !strings.Contains(logs.String(), `routes[0] (id \"bad\")`) {
		t.Errorf("got logs %q, want the refusal and its reason", logs.String())
	}
	if err := s.Load(ctx); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load of the same invalid document: got %v, want ErrInvalid again", err)
	}

	src.set("", errors.New("throttled"))
	now = now.Add(30 * time.Second)
	if got := current(); got != "one" {
		t.Fatalf("source down: got %s, want one", got)
	}

	src.set(table("two"), nil)
	now = now.Add(30 * time.Second)
	if got := current(); got != "two" {
		t.Fatalf("new valid document: got %s, want two", got)
	}
	loads := src.loads
	current()
	if src.loads != loads {
		t.Errorf("got %d loads within the interval, want none", src.loads-loads)
	}
	if fmt.Sprint(changes) != "[one two]" {
		t.Errorf("got OnChange %v, want [one two]", changes)
	}
}

func TestStoreConfig(t *testing.T) {
	if _, err := NewStore(StoreConfig{}); err == nil {
		t.Error("no source: got nil error, want one")
	}
	if _, err := NewStore(StoreConfig{Source: &source{}, Refresh: -time.Second}); err == nil {
		t.Error("negative refresh: got nil error, want one")
	}
}

// A table that Prepare refuses is not swapped in; the same document is
// prepared again at the next refresh, and swapped in once Prepare succeeds.
func TestStorePrepareKeepsLastGood(t *testing.T) {
	src := &source{doc: table("one")}
	var failPrepare error
	var prepared []string
	s, err := NewStore(StoreConfig{
		Source: src, Refresh: time.Hour, // only Load reloads
		Prepare: func(_ context.Context, t *Table) error {
			prepared = append(prepared, t.Document().Revision)
			return failPrepare
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	failPrepare = errors.New("no descriptor set")
	src.set(table("two"), nil)
	for range 2 {
		if err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "no descriptor set") {
			t.Fatalf("got %v, want the Prepare error", err)
		}
		if got := s.Current(ctx).Document().Revision; got != "one" {
			t.Fatalf("got table %s, want the last good one", got)
		}
	}
	failPrepare = nil
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Current(ctx).Document().Revision; got != "two" {
		t.Fatalf("got table %s, want two once prepared", got)
	}
	if got, want := fmt.Sprint(prepared), "[one two two two]"; got != want {
		t.Fatalf("got Prepare calls %s, want %s", got, want)
	}
}
