package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Sentinel errors.
var (
	// ErrInvalid: a stored document does not validate. Errors of a Build
	// that wrap it are not retried until the revision moves.
	ErrInvalid = errors.New("config: invalid document")
	// ErrMissing: a document the configuration needs is not stored.
	ErrMissing = errors.New("config: missing document")
)

// Build makes the value of the documents stored in src at revision rev. prev
// is the value in use (the zero value before the first), whose parts a
// Build may reuse when their documents did not change; a Build that returns
// prev itself (a pointer) keeps it in use, and it is not released. An error
// wrapping ErrInvalid or ErrMissing is a configuration to fix, retried only
// when the revision moves; any other error is a failed read, retried at the
// next refresh.
type Build[T any] func(ctx context.Context, src Source, rev int64, prev T) (T, error)

// Releaser is implemented by values that hold resources (connections): a
// Watch releases a value Grace after it was replaced, when no request can
// still be using it.
type Releaser interface {
	Release()
}

// Config configures a Watch.
type Config struct {
	// Source holds the documents. Required.
	Source Source
	// Name labels the value in logs, such as "gateway configuration".
	Name string
	// Refresh is how often the revision is read once a value is built;
	// default 30s.
	Refresh time.Duration
	// ColdRetry bounds the read rate while no value is built; default 1s.
	ColdRetry time.Duration
	// LoadTimeout bounds one refresh (the revision read and a build);
	// default 2s.
	LoadTimeout time.Duration
	// Grace is how long a replaced value is kept before it is released (see
	// Releaser); default 15m, the longest a Lambda invocation runs.
	Grace time.Duration
	// Logger receives loads and refused documents. Nil discards.
	Logger *slog.Logger
	// Now is the time source. Nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Source == nil {
		return errors.New("config: watch: Source is required")
	}
	if c.Refresh < 0 || c.ColdRetry < 0 || c.LoadTimeout < 0 || c.Grace < 0 {
		return errors.New("config: watch: durations must not be negative")
	}
	return nil
}

// Watch keeps the value built from the stored documents, rebuilding it when
// their revision moves (see the package documentation). Safe for concurrent
// use.
type Watch[T any] struct {
	cfg   Config
	build Build[T]
	log   *slog.Logger

	cur  atomic.Pointer[generation[T]]
	next atomic.Int64 // UnixNano of the next refresh

	mu        sync.Mutex // held by the one caller that refreshes
	retired   []retired[T]
	refused   int64 // revision whose documents were refused
	refusedOK bool
}

type retired[T any] struct {
	value T
	at    time.Time
}

type generation[T any] struct {
	value    T
	revision int64
}

// NewWatch returns a Watch of the values build makes. It reads nothing until
// Load or Current.
func NewWatch[T any](cfg Config, build Build[T]) (*Watch[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if build == nil {
		return nil, errors.New("config: watch: build is required")
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = 30 * time.Second
	}
	if cfg.ColdRetry == 0 {
		cfg.ColdRetry = time.Second
	}
	if cfg.LoadTimeout == 0 {
		cfg.LoadTimeout = 2 * time.Second
	}
	if cfg.Grace == 0 {
		cfg.Grace = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Name == "" {
		cfg.Name = "configuration"
	}
	w := &Watch[T]{cfg: cfg, build: build, log: cfg.Logger}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// Load refreshes now: it reads the revision and, when it moved (or nothing is
// built yet), builds a new value. It returns why no new value was swapped in,
// or nil when the value in use is current.
func (w *Watch[T]) Load(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.load(ctx)
}

// Current returns the value in use, refreshing first when a refresh is due
// (one caller refreshes; the others carry on with the value they have). ok is
// false while no value was ever built.
func (w *Watch[T]) Current(ctx context.Context) (v T, ok bool) {
	if w.cfg.Now().UnixNano() >= w.next.Load() && w.mu.TryLock() {
		if w.cfg.Now().UnixNano() >= w.next.Load() {
			// A client that goes away must not count as a failed read.
			w.load(context.WithoutCancel(ctx))
		}
		w.mu.Unlock()
	}
	g := w.cur.Load()
	if g == nil {
		return v, false
	}
	return g.value, true
}

// Value returns the value in use without refreshing, and false while no value
// was ever built.
func (w *Watch[T]) Value() (v T, ok bool) {
	g := w.cur.Load()
	if g == nil {
		return v, false
	}
	return g.value, true
}

// Revision returns the revision of the value in use, and false before the
// first value.
func (w *Watch[T]) Revision() (int64, bool) {
	g := w.cur.Load()
	if g == nil {
		return 0, false
	}
	return g.revision, true
}

// load refreshes; the caller holds mu.
func (w *Watch[T]) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.LoadTimeout)
	defer cancel()
	cur := w.cur.Load()
	wait := w.cfg.Refresh
	if cur == nil {
		wait = w.cfg.ColdRetry
	}
	w.next.Store(w.cfg.Now().Add(wait).UnixNano())

	w.release(w.cfg.Now())
	rev, err := w.cfg.Source.Revision(ctx)
	if err != nil {
		w.log.ErrorContext(ctx, "config: cannot read the revision; keeping the "+w.cfg.Name+" in use", "err", err, "loaded", cur != nil)
		return fmt.Errorf("config: read the revision: %w", err)
	}
	if cur != nil && rev == cur.revision {
		return nil
	}
	if w.refusedOK && rev == w.refused {
		return fmt.Errorf("config: revision %d was refused", rev) // already logged
	}
	var prev T
	if cur != nil {
		prev = cur.value
	}
	v, err := w.build(ctx, w.cfg.Source, rev, prev)
	if err != nil {
		if errors.Is(err, ErrInvalid) || errors.Is(err, ErrMissing) {
			w.refused, w.refusedOK = rev, true
			w.log.ErrorContext(ctx, "config: refusing the stored "+w.cfg.Name+"; keeping the last good one", "revision", rev, "err", err, "loaded", cur != nil)
		} else {
			w.log.ErrorContext(ctx, "config: cannot load the "+w.cfg.Name+"; keeping the one in use", "revision", rev, "err", err, "loaded", cur != nil)
		}
		return err
	}
	w.refusedOK = false
	w.cur.Store(&generation[T]{value: v, revision: rev})
	if cur == nil { // the first value: from now on, the refresh interval
		w.next.Store(w.cfg.Now().Add(w.cfg.Refresh).UnixNano())
	}
	if cur != nil && !same(v, cur.value) {
		w.retired = append(w.retired, retired[T]{cur.value, w.cfg.Now()})
	}
	w.log.InfoContext(ctx, "config: loaded the "+w.cfg.Name, "revision", rev)
	return nil
}

// same reports whether a Build returned the value in use itself (a pointer
// to the same value), which stays in use and is not released.
func same[T any](a, b T) bool {
	va, vb := any(a), any(b)
	if va == nil || vb == nil {
		return va == vb
	}
	if t := reflect.TypeOf(va); t.Kind() != reflect.Pointer || t != reflect.TypeOf(vb) {
		return false
	}
	return va == vb
}

// release releases the values replaced more than Grace before now; the
// caller holds mu.
func (w *Watch[T]) release(now time.Time) {
	n := 0
	for _, r := range w.retired {
		if now.Sub(r.at) < w.cfg.Grace {
			w.retired[n] = r
			n++
			continue
		}
		if rel, ok := any(r.value).(Releaser); ok {
			rel.Release()
		}
	}
	clear(w.retired[n:])
	w.retired = w.retired[:n]
}
