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
