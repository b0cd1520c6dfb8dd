package ratelimit

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

// LiveConfig configures a Live set of limits.
type LiveConfig struct {
	// Load reads the limits document (what portico_limits writes). found is
	// false when none is stored; then Default applies. Required.
	Load func(ctx context.Context) (doc []byte, found bool, err error)
	// Store counts for every rule that has none of its own. Required.
	Store Store
	// Default are the rules while no document is stored. Required.
	Default []Rule
	// Refresh is how long a loaded document is used before Load is called
	// again; default 30s.
	Refresh time.Duration
	// LoadTimeout bounds one Load; default 2s.
	LoadTimeout time.Duration
	// Logger receives loads and refused documents, and is every rule's
	// Logger unless the rule has one. Nil discards.
	Logger *slog.Logger
	// Now is the time source. Nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable configuration.
func (c LiveConfig) Validate() error {
	switch {
	case c.Load == nil:
		return fmt.Errorf("%w: live limits: Load is required", ErrConfig)
	case c.Store == nil:
		return fmt.Errorf("%w: live limits: Store is required", ErrConfig)
	case len(c.Default) == 0:
		return fmt.Errorf("%w: live limits: Default rules are required", ErrConfig)
	case c.Refresh < 0 || c.LoadTimeout < 0:
		return fmt.Errorf("%w: live limits: durations must not be negative", ErrConfig)
	}
	return nil
}

// Live is a Set that follows the stored limits document: a warm instance
// reads the document again once Refresh has passed (one request does, the
// others carry on with the current Set) and swaps in a new Set when the
// document changed. A document that cannot be read or is invalid never
// replaces the current limits: Live keeps them and logs why.
//
// Counts live in the Store, so a new Set goes on counting the same windows
// for rules whose name and window are unchanged; tokens leased by the old Set
// and not yet used are given up (fewer admissions, never more). Safe for
// concurrent use.
type Live struct {
	cfg  LiveConfig
	log  *slog.Logger
	cur  atomic.Pointer[Set]
	next atomic.Int64 // UnixNano of the next due load
	mu   sync.Mutex   // held by the one caller that loads

	// Guarded by mu: the last document read, good or refused.
	seen      bool
	lastDoc   []byte
	lastFound bool
	lastErr   error
}

// NewLive loads the document once and returns the Live set. A document that
// cannot be read or is invalid at this first load is an error: there are no
// current limits to keep.
func NewLive(ctx context.Context, cfg LiveConfig) (*Live, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = 30 * time.Second
	}
	if cfg.LoadTimeout == 0 {
		cfg.LoadTimeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Live{cfg: cfg, log: cfg.Logger}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Allow checks req against the current limits, reading the document first
// when it is due.
func (l *Live) Allow(ctx context.Context, req Request, dims ...Dimension) (Decision, error) {
	if l.cfg.Now().UnixNano() >= l.next.Load() && l.mu.TryLock() {
		if l.cfg.Now().UnixNano() >= l.next.Load() {
			// A client that goes away must not count as a failed read.
			l.load(context.WithoutCancel(ctx))
		}
		l.mu.Unlock()
	}
	return l.cur.Load().Allow(ctx, req, dims...)
}

// load reads the document and swaps in a new Set if it changed and is valid.
// The caller holds mu.
func (l *Live) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.LoadTimeout)
	defer cancel()
	l.next.Store(l.cfg.Now().Add(l.cfg.Refresh).UnixNano())
	doc, found, err := l.cfg.Load(ctx)
	if err != nil {
		l.log.ErrorContext(ctx, "ratelimit: cannot read the limits document; keeping the current limits", "err", err)
		return fmt.Errorf("ratelimit: read the limits document: %w", err)
	}
	if l.seen && found == l.lastFound && bytes.Equal(doc, l.lastDoc) {
		return l.lastErr // unchanged: already in use, or already refused and logged
	}
	l.seen, l.lastDoc, l.lastFound = true, doc, found
	set, err := l.build(doc, found)
	l.lastErr = err
	if err != nil {
		l.log.ErrorContext(ctx, "ratelimit: refusing the limits document; keeping the current limits", "err", err)
		return err
	}
	l.cur.Store(set)
	l.log.InfoContext(ctx, "ratelimit: loaded limits", "document", found, "rules", len(set.rules))
	return nil
}

func (l *Live) build(doc []byte, found bool) (*Set, error) {
	rules := l.cfg.Default
	if found {
		var err error
		if rules, err = ParseDocument(doc); err != nil {
			return nil, err
		}
	}
	rules = append([]Rule(nil), rules...)
	for i := range rules {
		if rules[i].Limit.Logger == nil {
			rules[i].Limit.Logger = l.cfg.Logger
		}
	}
	set, err := NewSet(l.cfg.Store, rules)
	if err != nil && !errors.Is(err, ErrConfig) {
		err = fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return set, err
}
