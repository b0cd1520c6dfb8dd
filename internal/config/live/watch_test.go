package live

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

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// textValue builds the document "doc" of a Memory into a string; "bad" is
// invalid.
type textValue struct {
	text     string
	released *int
}

func (v *textValue) Release() { *v.released++ }

func buildText(released *int, builds *int) Build[*textValue] {
	return func(ctx context.Context, src Source, rev int64, prev *textValue) (*textValue, error) {
		*builds++
		docs, err := src.Documents(ctx, []string{"doc"})
		if err != nil {
			return nil, err
		}
		d, ok := docs["doc"]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: no doc", ErrMissing)
		case string(d) == "bad":
			return nil, fmt.Errorf("%w: doc is bad", ErrInvalid)
		}
		return &textValue{text: string(d), released: released}, nil
	}
}

func newWatch(t *testing.T, src Source, c *clock, logs *bytes.Buffer) (*Watch[*textValue], *int, *int) {
	t.Helper()
	var released, builds int
	w, err := NewWatch(Config{Source: src, Refresh: 10 * time.Second, ColdRetry: time.Second, Grace: time.Minute,
		Now: c.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))}, buildText(&released, &builds))
	if err != nil {
		t.Fatal(err)
	}
	return w, &released, &builds
}

// At steady state a refresh is one revision read; documents are read again
// only when the revision moved.
func TestWatchReadsDocumentsOnlyWhenTheRevisionMoves(t *testing.T) {
	src := &Memory{}
	src.Put("doc", []byte("one"))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	w, _, builds := newWatch(t, src, c, &logs)
	ctx := context.Background()
	if v, ok := w.Current(ctx); !ok || v.text != "one" {
		t.Fatalf("got %v %v, want one", v, ok)
	}
	for range 100 {
		c.advance(time.Second)
		w.Current(ctx)
	}
	if src.Reads.Revision != 11 || src.Reads.Documents != 1 || *builds != 1 {
		t.Fatalf("100 s later: got %d revision reads, %d document reads, %d builds; want 11, 1, 1 (one small read per 10 s)",
			src.Reads.Revision, src.Reads.Documents, *builds)
	}
	src.Put("doc", []byte("two"))
	c.advance(10 * time.Second)
	if v, _ := w.Current(ctx); v.text != "two" {
		t.Fatalf("after a write: got %q, want two", v.text)
	}
	if rev, _ := w.Revision(); rev != 2 {
		t.Fatalf("got revision %d, want 2", rev)
	}
}

// A refused document never replaces the value in use, is logged once per
// revision, and is not built again until the revision moves.
func TestWatchKeepsTheLastGoodValue(t *testing.T) {
	src := &Memory{}
	src.Put("doc", []byte("good"))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	w, _, builds := newWatch(t, src, c, &logs)
	ctx := context.Background()
	if err := w.Load(ctx); err != nil {
		t.Fatal(err)
	}
	src.Put("doc", []byte("bad"))
	for range 5 {
		c.advance(10 * time.Second)
		if v, _ := w.Current(ctx); v.text != "good" {
			t.Fatalf("got %q, want the last good value", v.text)
		}
	}
	if *builds != 2 || strings.Count(logs.String(), "refusing") != 1 {
		t.Fatalf("got %d builds and %d refusals logged, want 2 and 1:\n%s", *builds, strings.Count(logs.String(), "refusing"), logs.String())
	}
	src.Put("doc", []byte("fixed"))
	c.advance(10 * time.Second)
	if v, _ := w.Current(ctx); v.text != "fixed" {
		t.Fatalf("after the fix: got %q, want fixed", v.text)
	}
}

// failingSource fails its reads while down.
type failingSource struct {
	*Memory
	down bool
}

func (f *failingSource) Revision(ctx context.Context) (int64, error) {
	if f.down {
		return 0, errors.New("connection refused")
	}
	return f.Memory.Revision(ctx)
}

// Until a first value is built, the Watch tries at most once per ColdRetry;
// a failed read keeps the value in use.
func TestWatchColdStartAndFailedReads(t *testing.T) {
	src := &failingSource{Memory: &Memory{}, down: true}
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	w, _, _ := newWatch(t, src, c, &logs)
	ctx := context.Background()
	for range 10 {
		if _, ok := w.Current(ctx); ok {
			t.Fatal("got a value from a source that is down")
		}
		c.advance(100 * time.Millisecond)
	}
	src.down = false
	src.Put("doc", []byte("up"))
	c.advance(time.Second)
	if v, ok := w.Current(ctx); !ok || v.text != "up" {
		t.Fatalf("after the source came up: got %v %v, want up", v, ok)
	}
	src.down = true
	c.advance(10 * time.Second)
	if v, ok := w.Current(ctx); !ok || v.text != "up" {
		t.Fatalf("source down again: got %v %v, want the value in use", v, ok)
	}
}

// A replaced value is released only after the grace period, when no request
// can still hold it.
func TestWatchReleasesAfterGrace(t *testing.T) {
	src := &Memory{}
	src.Put("doc", []byte("a"))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	w, released, _ := newWatch(t, src, c, &logs)
	ctx := context.Background()
	w.Load(ctx)
	src.Put("doc", []byte("b"))
	c.advance(10 * time.Second)
	w.Current(ctx)
	if *released != 0 {
		t.Fatalf("got %d released right after the swap, want 0", *released)
	}
	c.advance(time.Minute)
	w.Current(ctx)
	if *released != 1 {
		t.Fatalf("got %d released a grace period later, want 1", *released)
	}
}

// A Build that finds its documents unchanged (the revision moved for
// another document) may return the value in use: it stays in use under the
// new revision and is never released, however long it lives.
func TestWatchKeepsAValueItsBuildReturnsAgain(t *testing.T) {
	src := &Memory{}
	src.Put("doc", []byte("a"))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var released, builds int
	text := buildText(&released, &builds)
	reuse := func(ctx context.Context, src Source, rev int64, prev *textValue) (*textValue, error) {
		v, err := text(ctx, src, rev, prev)
		if err == nil && prev != nil && prev.text == v.text {
			return prev, nil
		}
		return v, err
	}
	w, err := NewWatch(Config{Source: src, Refresh: 10 * time.Second, Grace: time.Minute, Now: c.Now}, reuse)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, _ := w.Current(ctx)
	src.Put("other", []byte("x")) // the revision moves; "doc" does not change
	for range 3 {
		c.advance(time.Minute)
		w.Current(ctx)
	}
	got, _ := w.Current(ctx)
	rev, _ := w.Revision()
	if got != first || released != 0 || rev != 2 || builds != 2 {
		t.Fatalf("got the same value %v, %d released, revision %d, %d builds; want the same value, none released, revision 2, 2 builds",
			got == first, released, rev, builds)
	}
}

// Once the first value is built, refreshes come every Refresh, not every
// ColdRetry (which paces only the attempts before it).
func TestWatchRefreshesOnItsIntervalAfterTheFirstValue(t *testing.T) {
	src := &Memory{}
	src.Put("doc", []byte("a"))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	w, _, _ := newWatch(t, src, c, &logs) // Refresh 10s, ColdRetry 1s
	ctx := context.Background()
	w.Current(ctx)
	c.advance(2 * time.Second)
	w.Current(ctx)
	if src.Reads.Revision != 1 {
		t.Fatalf("2 s after the first value: got %d revision reads, want 1 (the next is due at 10 s)", src.Reads.Revision)
	}
	c.advance(8 * time.Second)
	w.Current(ctx)
	if src.Reads.Revision != 2 {
		t.Fatalf("10 s after the first value: got %d revision reads, want 2", src.Reads.Revision)
	}
}
