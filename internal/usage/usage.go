// Package usage counts the requests a gateway serves, per hour, per API key,
// per tenant and per route, in items an operator reads by key (the portico
// command's usage), never by scanning the state table:
//
//	usage#<hour>                {keys, tenants, routes: string sets}  who was counted that hour
//	usage#<hour>#key#<id>       {n, r:<route>...}                     an API key's requests, in all and per route
//	usage#<hour>#tenant#<id>    {n, r:<route>...}                     a tenant's (a claim's value)
//	usage#<hour>#route#<id>     {n}                                   a route's
//
// <hour> is the hour's start in Unix seconds (UTC). A Recorder keeps counts
// in memory and adds them to the store at most once per Config.Flush, from
// the request that finds a flush due, so that a busy instance makes a few
// writes a minute rather than one per request; a flush that fails keeps its
// counts for the next one. What is lost is bounded: the counts of one
// instance since its last flush, when the instance ends before the next.
package usage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Kind is what a counter counts per.
type Kind string

// Kinds of counters.
const (
	Key    Kind = "key"
	Tenant Kind = "tenant"
	Route  Kind = "route"
)

// Kinds lists every kind, in the order reports show them.
var Kinds = []Kind{Key, Tenant, Route}

// Event is one request to count: the public ID of its API key (empty
// without one), its tenant (empty without one) and its route.
type Event struct {
	APIKey, Tenant, Route string
}

// Item is one counter of one hour: its kind and ID, how many requests, and,
// for keys and tenants, how many per route.
type Item struct {
	Kind   Kind
	ID     string
	Total  int64
	Routes map[string]int64
}

// Store adds counts to the stored counters.
type Store interface {
	// Add adds items to the counters of the hour that starts at hour, and
	// lists them in the hour's index.
	Add(ctx context.Context, hour time.Time, items []Item) error
}

// Defaults of Config.
const (
	DefaultFlush        = 10 * time.Second
	DefaultStoreTimeout = 250 * time.Millisecond
	// MaxIDBytes is the longest ID stored as is; longer ones (a tenant claim
	// is the caller's issuer's to choose) are stored as their SHA-256.
	MaxIDBytes = 128
)

// Config configures a Recorder.
type Config struct {
	// Store keeps the counters. Required.
	Store Store
	// Flush is the longest time counts wait in memory; default DefaultFlush.
	// 0 < Flush < 1s writes nearly every request.
	Flush time.Duration
	// StoreTimeout bounds one flush; default DefaultStoreTimeout.
	StoreTimeout time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives failed flushes. Nil discards.
	Logger *slog.Logger
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("usage: config: Store is required")
	case c.Flush < 0 || c.StoreTimeout < 0:
		return errors.New("usage: config: Flush and StoreTimeout must not be negative")
	}
	return nil
}

// Recorder counts events and flushes them to its Store. Safe for concurrent
// use; build one per function instance.
type Recorder struct {
	cfg Config

	mu        sync.Mutex
	pending   map[time.Time]map[itemKey]*Item // by hour
	last      time.Time                       // the last flush, or the first event after it
	flushing  bool
	flushDone chan struct{}
}

type itemKey struct {
	kind Kind
	id   string
}

// New returns a Recorder for cfg.
func New(cfg Config) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Flush == 0 {
		cfg.Flush = DefaultFlush
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{cfg: cfg, pending: map[time.Time]map[itemKey]*Item{}}, nil
}

// ID is how id is stored: as it is, or, past MaxIDBytes, as "sha256:" and
// its hex SHA-256.
func ID(id string) string {
	if len(id) <= MaxIDBytes {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Record counts ev in its hour, and flushes when a flush is due (within
// ctx and Config.StoreTimeout). It never fails: a flush that fails keeps
// its counts and is logged.
func (r *Recorder) Record(ctx context.Context, ev Event) {
	now := r.cfg.Now()
	hour := now.UTC().Truncate(time.Hour)
	r.mu.Lock()
	items := r.pending[hour]
	if items == nil {
		items = map[itemKey]*Item{}
		r.pending[hour] = items
	}
	if r.last.IsZero() {
		r.last = now
	}
	add := func(k Kind, id string) {
		if id == "" {
			return
		}
		id = ID(id)
		it := items[itemKey{k, id}]
		if it == nil {
			it = &Item{Kind: k, ID: id}
			items[itemKey{k, id}] = it
		}
		it.Total++
		if k != Route && ev.Route != "" {
			if it.Routes == nil {
				it.Routes = map[string]int64{}
			}
			it.Routes[ev.Route]++
		}
	}
	add(Key, ev.APIKey)
	add(Tenant, ev.Tenant)
	add(Route, ev.Route)
	due := !r.flushing && now.Sub(r.last) >= r.cfg.Flush
	r.mu.Unlock()
	if due {
		r.Flush(ctx)
	}
}

// Flush writes every pending count now, and returns what failed; failed
// counts stay pending. Concurrent callers wait for the flush in progress.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	for r.flushing {
		done := r.flushDone
		r.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
	}
	batch := r.pending
	r.pending = map[time.Time]map[itemKey]*Item{}
	r.flushing, r.flushDone = true, make(chan struct{})
	r.last = r.cfg.Now()
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, r.cfg.StoreTimeout)
	defer cancel()
	var errs []error
	failed := map[time.Time]map[itemKey]*Item{}
	for _, hour := range slices.SortedFunc(maps.Keys(batch), time.Time.Compare) {
		items := batch[hour]
		if len(items) == 0 {
			continue
		}
		list := make([]Item, 0, len(items))
		for _, k := range slices.SortedFunc(maps.Keys(items), compareKeys) {
			list = append(list, *items[k])
		}
		if err := r.cfg.Store.Add(ctx, hour, list); err != nil {
			errs = append(errs, fmt.Errorf("usage: flush the hour of %s: %w", hour.Format(time.RFC3339), err))
			failed[hour] = items
		}
	}

	r.mu.Lock()
	for hour, items := range failed {
		merge(r.pending, hour, items)
	}
	r.flushing = false
	close(r.flushDone)
	r.mu.Unlock()
	err := errors.Join(errs...)
	if err != nil {
		r.cfg.Logger.WarnContext(ctx, "usage counters not flushed; kept for the next flush", "err", err)
	}
	return err
}

func compareKeys(a, b itemKey) int {
	if a.kind != b.kind {
		return slices.Index(Kinds, a.kind) - slices.Index(Kinds, b.kind)
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// merge adds items to the pending counts of hour.
func merge(pending map[time.Time]map[itemKey]*Item, hour time.Time, items map[itemKey]*Item) {
	dst := pending[hour]
	if dst == nil {
		pending[hour] = items
		return
	}
	for k, it := range items {
		cur := dst[k]
		if cur == nil {
			dst[k] = it
			continue
		}
		cur.Total += it.Total
		for route, n := range it.Routes {
			if cur.Routes == nil {
				cur.Routes = map[string]int64{}
			}
			cur.Routes[route] += n
		}
	}
}

// Pending returns how many requests wait in memory for a flush.
func (r *Recorder) Pending() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, items := range r.pending {
		for k, it := range items {
			if k.kind == Route {
				n += it.Total
			}
		}
	}
	return n
}
