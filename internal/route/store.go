package route

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Source reads the stored route document. It returns an error wrapping
// ErrNotFound when there is none.
type Source interface {
	Load(ctx context.Context) ([]byte, error)
}

// StoreConfig configures a Store.
type StoreConfig struct {
	// Source holds the document. Required.
	Source Source
	// Refresh is how long a loaded table is used before the Source is asked
	// again; default 30s. Until a first table loads, the Source is asked at
	// most once per ColdRetry.
	Refresh time.Duration
	// ColdRetry bounds the load rate while no table is loaded; default 1s.
	ColdRetry time.Duration
	// LoadTimeout bounds one load; default 2s.
	LoadTimeout time.Duration
	// Prepare, if set, is called with each new valid table before it is
	// swapped in, to get ready what it needs (the gateway loads its gRPC
	// descriptor sets). An error keeps the current table; the document is
	// read and prepared again at the next refresh.
	Prepare func(ctx context.Context, t *Table) error
	// OnChange, if set, is called with each table the Store swaps in (the
	// first one included), before requests see it. It must not block long.
	OnChange func(*Table)
	// Logger receives loads and refused documents. Nil discards.
	Logger *slog.Logger
	// Now is the time source. Nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable configuration.
func (c StoreConfig) Validate() error {
	if c.Source == nil {
		return errors.New("route: store config: Source is required")
	}
	if c.Refresh < 0 || c.ColdRetry < 0 || c.LoadTimeout < 0 {
		return errors.New("route: store config: durations must not be negative")
	}
	return nil
}

// Store keeps the current Table, reloading the document from its Source when
// the table is older than Refresh. A document that fails validation is never
// swapped in: the Store keeps the last good table and logs why. Safe for
// concurrent use.
type Store struct {
	cfg     StoreConfig
	log     *slog.Logger
	cur     atomic.Pointer[Table]
	mu      sync.Mutex // held by the one caller that reloads
	next    atomic.Int64
	lastDoc []byte // guarded by mu: the last document read, good or bad
	lastErr error  // guarded by mu: why lastDoc was refused, or nil
}

// NewStore returns a Store for cfg. It loads nothing until Load or Current.
func NewStore(cfg StoreConfig) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Load reads the document now and swaps it in if it is valid and changed. It
// returns the reason a document was not swapped in: a Source error, or a
// validation error wrapping ErrInvalid.
func (s *Store) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(ctx)
}

func (s *Store) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LoadTimeout)
	defer cancel()
	now := s.cfg.Now()
	doc, err := s.cfg.Source.Load(ctx)
	if err != nil {
		wait := s.cfg.Refresh
		if s.cur.Load() == nil {
			wait = s.cfg.ColdRetry
		}
		s.next.Store(now.Add(wait).UnixNano())
		s.log.ErrorContext(ctx, "route: cannot load the route table; keeping the current one",
			"err", err, "loaded", s.cur.Load() != nil)
		return fmt.Errorf("route: load: %w", err)
	}
	s.next.Store(now.Add(s.cfg.Refresh).UnixNano())
	if s.lastDoc != nil && bytes.Equal(doc, s.lastDoc) {
		return s.lastErr // unchanged: already swapped in, or already refused and logged
	}
	s.lastDoc = doc
	t, err := Parse(doc)
	s.lastErr = err
	if err != nil {
		s.log.ErrorContext(ctx, "route: refusing an invalid route table; keeping the last good one",
			"err", err, "loaded", s.cur.Load() != nil)
		return err
	}
	if s.cfg.Prepare != nil {
		if err := s.cfg.Prepare(ctx, t); err != nil {
			s.lastDoc, s.lastErr = nil, nil // prepare it again at the next refresh
			s.log.ErrorContext(ctx, "route: cannot prepare the route table; keeping the last good one",
				"err", err, "loaded", s.cur.Load() != nil)
			return fmt.Errorf("route: prepare: %w", err)
		}
	}
	if s.cfg.OnChange != nil {
		s.cfg.OnChange(t)
	}
	s.cur.Store(t)
	s.log.InfoContext(ctx, "route: loaded route table", "revision", t.doc.Revision, "routes", len(t.routes))
	return nil
}

// Current returns the current table, reloading it first when it is due (one
// caller reloads; the others carry on with the table they have). It returns
// nil while no valid table has ever loaded.
func (s *Store) Current(ctx context.Context) *Table {
	if s.cfg.Now().UnixNano() >= s.next.Load() && s.mu.TryLock() {
		if s.cfg.Now().UnixNano() >= s.next.Load() {
			s.load(ctx)
		}
		s.mu.Unlock()
	}
	return s.cur.Load()
}
