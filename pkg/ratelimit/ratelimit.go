package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors returned by a Limiter or a Set.
var (
	// ErrUnavailable means the store could not decide in time and the limit
	// fails closed. The gateway answers 503.
	ErrUnavailable = errors.New("ratelimit: store unavailable")
	// ErrConfig means a Config, Rule or Set is unusable.
	ErrConfig = errors.New("ratelimit: config")
)

// Store keeps the counters, shared by every instance.
type Store interface {
	// Add adds up to n to the counter of key without taking it above max,
	// creating it with an expiry of expires if needed. It returns how much it
	// added (0 when the counter is already at max, less than n when fewer were
	// left) and the counter after the call. An implementation may grant less
	// than is left under contention, never more.
	Add(ctx context.Context, key string, n, max int64, expires time.Time) (granted, count int64, err error)
	// Count returns the counter of key, 0 when there is none.
	Count(ctx context.Context, key string) (int64, error)
}

// Algorithm is how a limit counts; see the package documentation.
type Algorithm int

// Algorithms.
const (
	// FixedWindow counts per epoch-aligned window.
	FixedWindow Algorithm = iota
	// SlidingWindow weighs the previous window into the current one.
	SlidingWindow
)

func (a Algorithm) String() string {
	switch a {
	case FixedWindow:
		return "fixed-window"
	case SlidingWindow:
		return "sliding-window"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// FailMode is what a limit does when its store is unavailable.
type FailMode int

// Fail modes.
const (
	// FailClosed returns an error wrapping ErrUnavailable.
	FailClosed FailMode = iota
	// FailOpen decides with a per-instance in-memory limiter (Config.Floor).
	FailOpen
)

func (m FailMode) String() string {
	switch m {
	case FailClosed:
		return "fail-closed"
	case FailOpen:
		return "fail-open"
	}
	return "FailMode(" + strconv.Itoa(int(m)) + ")"
}

// Retry is the backoff for failed store calls. Delays double from Base up to
// Max, with jitter (each delay is between half and all of its nominal value),
// and a retry that would end after the caller's deadline is not attempted.
type Retry struct {
	// Attempts is the total number of tries. 0 means 3; 1 means no retry.
	Attempts int
	// Base is the first delay. 0 means 10ms.
	Base time.Duration
	// Max caps a delay. 0 means 200ms.
	Max time.Duration
}

// DefaultStoreTimeout bounds the store calls of one decision: DynamoDB answers
// an UpdateItem in single-digit milliseconds in the region, so a quarter of a
// second leaves room for retries and still answers long before a route's
// timeout.
const DefaultStoreTimeout = 250 * time.Millisecond

// maxShards is the most shards a limit may have (one bit each in a uint64).
const maxShards = 64

// Config configures a Limiter.
type Config struct {
	// Name identifies the limit in keys and logs, e.g. "ip". Required; no '#'.
	Name string
	// Requests is how many requests a key may make per window. Required.
	Requests int64
	// Window is the length of a window: a whole number of seconds, at least one
	// (seconds, minutes, hours, days). Windows are aligned to the Unix epoch,
	// so a 24h window is a calendar day in UTC. Required, unless Calendar is
	// set.
	Window time.Duration
	// Calendar, when Month, makes the windows calendar months in UTC (of 28
	// to 31 days) instead of Window; Window is then left zero.
	Calendar Calendar
	// Store keeps the counters. Required.
	Store Store
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Algorithm is FixedWindow (the zero value) or SlidingWindow.
	Algorithm Algorithm
	// Lease is how many tokens an instance takes per store write for a key and
	// spends locally. 0 or 1 means one write per request. At most Requests
	// (Requests/Shards when sharded).
	Lease int64
	// Shards splits each counter over this many items. 0 or 1 means one item;
	// at most 64 and at most Requests. FixedWindow only.
	Shards int
	// FailMode is FailClosed (the zero value) or FailOpen.
	FailMode FailMode
	// Floor is how many requests per key and window one instance admits while
	// failing open. 0 means Requests.
	Floor int64
	// Retry is the backoff for failed store calls.
	Retry Retry
	// StoreTimeout bounds the store calls of one decision, retries included;
	// 0 means DefaultStoreTimeout. A store that hangs past it gets the
	// FailMode, as one that fails does, instead of spending the request's
	// deadline.
	StoreTimeout time.Duration
	// Logger receives a line when a limit fails open. Nil discards.
	Logger *slog.Logger
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, c.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: Name is required", ErrConfig)
	case strings.Contains(c.Name, "#"):
		return bad("Name must not contain '#'")
	case c.Requests < 1:
		return bad("Requests %d: want at least 1", c.Requests)
	case c.Calendar != NoCalendar && c.Calendar != Month:
		return bad("unknown %s", c.Calendar)
	case c.Calendar == Month && c.Window != 0:
		return bad("Window %s: a calendar month sets no Window", c.Window)
	case c.Calendar == NoCalendar && (c.Window < time.Second || c.Window%time.Second != 0):
		return bad("Window %s: want a whole number of seconds, at least 1s", c.Window)
	case c.Store == nil:
		return bad("Store is required")
	case c.Algorithm != FixedWindow && c.Algorithm != SlidingWindow:
		return bad("unknown %s", c.Algorithm)
	case c.Shards < 0 || c.Shards > maxShards || int64(c.Shards) > c.Requests:
		return bad("Shards %d: want 0 to %d and at most Requests", c.Shards, maxShards)
	case c.Shards > 1 && c.Algorithm != FixedWindow:
		return bad("Shards need %s", FixedWindow)
	case c.Lease < 0 || c.Lease > c.Requests/int64(max(c.Shards, 1)):
		return bad("Lease %d: want 0 to Requests/Shards", c.Lease)
	case c.FailMode != FailClosed && c.FailMode != FailOpen:
		return bad("unknown %s", c.FailMode)
	case c.Floor < 0:
		return bad("Floor %d is negative", c.Floor)
	case c.Retry.Attempts < 0 || c.Retry.Base < 0 || c.Retry.Max < 0:
		return bad("Retry %+v: negative", c.Retry)
	case c.StoreTimeout < 0:
		return bad("StoreTimeout %s is negative", c.StoreTimeout)
	}
	return nil
}

// Decision is the answer for one request.
type Decision struct {
	// Allowed says whether the request may proceed.
	Allowed bool
	// Limit is the number of requests allowed per window.
	Limit int64
	// Remaining is how many more requests the window admits (an estimate when
	// leasing or sharding).
	Remaining int64
	// Reset is when the current window ends, or, for a denied request, the
	// earliest time a retry can succeed.
	Reset time.Time
	// Name is the limit that answered.
	Name string
	// Degraded says the store was unavailable and the per-instance floor
	// decided (FailOpen).
	Degraded bool
	// Window is the length of the limit's window (of the current month, for
	// a calendar month).
	Window time.Duration
	// Applied lists the decisions of every rule that counted the request,
	// this one included, in the Set's order; only Set.Allow fills it.
	Applied []Decision
}

// Limiter applies one limit. It is safe for concurrent use; build it once per
// instance so that leases and the deny cache survive between requests.
type Limiter struct {
	cfg   Config
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	keys    map[string]*local
	sweepAt int
}

// local is what one instance knows about a key.
type local struct {
	window      time.Time // start of the window the fields below describe
	leased      int64     // tokens taken from the store and not yet spent
	free        int64     // tokens left in the store at the last write
	exhausted   uint64    // shards seen full
	deniedUntil time.Time // deny cache
	prevKnown   bool      // prev holds the previous window's count (sliding)
	prev        int64
	floor       int64         // requests admitted by the fail-open floor in window
	seen        int64         // requests for the key in window, whatever the answer
	prevSeen    int64         // requests in the window before, if it was the last
	leaseDone   chan struct{} // closed when a lease in flight ends
	prevLoad    chan struct{} // closed when a read of prev in flight ends
}

const minSweep = 4096

// New returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease < 1 {
		cfg.Lease = 1
	}
	if cfg.Shards < 1 {
		cfg.Shards = 1
	}
	if cfg.Floor == 0 {
		cfg.Floor = cfg.Requests
	}
	if cfg.Retry.Attempts == 0 {
		cfg.Retry.Attempts = 3
	}
	if cfg.Retry.Base == 0 {
		cfg.Retry.Base = 10 * time.Millisecond
	}
	if cfg.Retry.Max == 0 {
		cfg.Retry.Max = 200 * time.Millisecond
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Limiter{cfg: cfg, sleep: sleep, keys: map[string]*local{}, sweepAt: minSweep}, nil
}

// Allow counts one request for key and decides. A store failure ends in an
// error wrapping ErrUnavailable (FailClosed) or a Degraded decision (FailOpen).
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	now := l.cfg.Now()
	start := l.windowStart(now)
	l.mu.Lock()
	st := l.state(key, start, now)
	st.seen++
	for {
		if now.Before(st.deniedUntil) {
			until := st.deniedUntil
			l.mu.Unlock()
			return l.decision(false, 0, until), nil
		}
		if st.leased > 0 {
			st.leased--
			remaining := st.free + st.leased
			l.mu.Unlock()
			return l.decision(true, remaining, l.windowEnd(start)), nil
		}
		// One lease in flight per key and instance; concurrent callers wait
		// for it, so that an instance never strands more than one lease.
		wait := st.leaseDone
		if wait == nil || l.cfg.Lease == 1 {
			break
		}
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return l.fault(ctx, key, now, start, ctx.Err())
		}
		l.mu.Lock()
		st = l.state(key, start, now)
	}
	n := l.leaseSize(st, now, start)
	if l.cfg.Lease > 1 {
		done := make(chan struct{})
		st.leaseDone = done
		defer func() {
			l.mu.Lock()
			if st := l.state(key, start, start); st.leaseDone == done {
				st.leaseDone = nil
			}
			close(done)
			l.mu.Unlock()
		}()
	}
	l.mu.Unlock()

	sctx, cancel := context.WithTimeout(ctx, l.cfg.StoreTimeout)
	defer cancel()
	var d Decision
	var err error
	if l.cfg.Algorithm == SlidingWindow {
		d, err = l.sliding(sctx, key, n, now, start)
	} else {
		d, err = l.fixed(sctx, key, n, start)
	}
	if err != nil {
		return l.fault(ctx, key, now, start, err)
	}
	return d, nil
}

// state returns the local state of key, moved to the window that starts at
// start. The caller holds l.mu.
func (l *Limiter) state(key string, start, now time.Time) *local {
	st, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.sweepAt {
			l.sweep(start, now)
		}
		st = &local{window: start}
		l.keys[key] = st
	}
	switch {
	case start.Before(st.window):
		// A slow caller from a window that has ended: its news is stale.
		return &local{window: start}
	case start.After(st.window):
		st.prevSeen = 0
		if start.Sub(st.window) == l.cfg.Window {
			st.prevSeen = st.seen
		}
		st.window, st.leased, st.free, st.exhausted, st.floor, st.seen = start, 0, 0, 0, 0, 0
		st.prevKnown, st.prevLoad, st.leaseDone = false, nil, nil
	}
	return st
}

// leaseSize is how many tokens to take for a key: Lease, but no more than
// this instance is expected to spend before the window ends, at the higher
// of its rates for the key in the last window and in this one so far. A
// lease taken near the end of a window is small, so that few tokens are
// left unspent in instances when the limit runs out. The caller holds l.mu.
func (l *Limiter) leaseSize(st *local, now, start time.Time) int64 {
	if l.cfg.Lease <= 1 {
		return 1
	}
	w := l.cfg.Window
	elapsed := max(now.Sub(start), time.Millisecond)
	left := w - now.Sub(start)
	if left <= 0 {
		return 1
	}
	// Requests per window: the last window's count, or this one's so far
	// extrapolated to the whole window.
	rate := max(float64(st.prevSeen), float64(st.seen)*float64(w)/float64(elapsed))
	expected := int64(math.Ceil(rate * float64(left) / float64(w)))
	return min(max(expected, 1), l.cfg.Lease)
}

// sweep drops keys that have had no request for two windows and are not in
// the deny cache, so that many one-off clients do not grow the map for ever.
func (l *Limiter) sweep(start, now time.Time) {
	old := l.windowStart(start.Add(-1))
	for k, st := range l.keys {
		if st.window.Before(old) && !now.Before(st.deniedUntil) {
			delete(l.keys, k)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.keys))
}

func (l *Limiter) decision(allowed bool, remaining int64, reset time.Time) Decision {
	w := l.cfg.Window
	if l.cfg.Calendar == Month {
		start := l.windowStart(reset.Add(-1))
		w = l.windowEnd(start).Sub(start)
	}
	return Decision{Allowed: allowed, Limit: l.cfg.Requests, Remaining: min(max(remaining, 0), l.cfg.Requests), Reset: reset, Name: l.cfg.Name, Window: w}
}

// fixed decides with fixed-window counters, possibly sharded.
func (l *Limiter) fixed(ctx context.Context, key string, n int64, start time.Time) (Decision, error) {
	reset := l.windowEnd(start)
	expires := l.windowEnd(reset)
	k := l.cfg.Shards
	if k == 1 {
		granted, count, err := l.add(ctx, l.storeKey(key, start, -1), n, l.cfg.Requests, expires)
		if err != nil {
			return Decision{}, err
		}
		return l.settle(key, start, granted, count, l.cfg.Requests, reset, reset), nil
	}
	l.mu.Lock()
	exhausted := l.state(key, start, start).exhausted
	l.mu.Unlock()
	first := rand.IntN(k)
	for i := range k {
		shard := (first + i) % k
		if exhausted&(1<<shard) != 0 {
			continue
		}
		limit := l.cfg.Requests / int64(k)
		if int64(shard) < l.cfg.Requests%int64(k) {
			limit++
		}
		granted, count, err := l.add(ctx, l.storeKey(key, start, shard), min(n, limit), limit, expires)
		if err != nil {
			return Decision{}, err
		}
		if granted > 0 {
			l.mu.Lock()
			st := l.state(key, start, start)
			st.leased += granted - 1
			st.free = (limit - count) * int64(k)
			remaining := st.free + st.leased
			l.mu.Unlock()
			return l.decision(true, remaining, reset), nil
		}
		if count >= limit {
			exhausted |= 1 << shard
			l.mu.Lock()
			l.state(key, start, start).exhausted |= 1 << shard
			l.mu.Unlock()
		}
	}
	if exhausted == 1<<k-1 {
		l.mu.Lock()
		l.state(key, start, start).deniedUntil = reset
		l.mu.Unlock()
	}
	return l.decision(false, 0, reset), nil
}

// settle records the outcome of a write on a single counter capped at limit
// and returns the decision. A denial is cached until retry when the counter is
// known to be full.
func (l *Limiter) settle(key string, start time.Time, granted, count, limit int64, reset, retry time.Time) Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state(key, start, start)
	if granted == 0 {
		if count >= limit {
			st.deniedUntil = retry
		}
		return l.decision(false, 0, retry)
	}
	st.leased += granted - 1
	st.free = limit - count
	return l.decision(true, st.free+st.leased, reset)
}

// sliding decides with the sliding-window counter.
func (l *Limiter) sliding(ctx context.Context, key string, n int64, now, start time.Time) (Decision, error) {
	reset := l.windowEnd(start)
	w, nextW := reset.Sub(start), l.windowEnd(reset).Sub(reset)
	prev, err := l.previous(ctx, key, start)
	if err != nil {
		return Decision{}, err
	}
	used := weigh(prev, w-now.Sub(start), w)
	limit := l.cfg.Requests - used
	if limit <= 0 {
		retry := slidingRetry(prev, 0, l.cfg.Requests, start, w, nextW)
		l.mu.Lock()
		l.state(key, start, now).deniedUntil = retry
		l.mu.Unlock()
		return l.decision(false, 0, retry), nil
	}
	// The item is read as the previous window during the next one.
	granted, count, err := l.add(ctx, l.storeKey(key, start, -1), min(n, limit), limit, l.windowEnd(l.windowEnd(reset)))
	if err != nil {
		return Decision{}, err
	}
	return l.settle(key, start, granted, count, limit, reset, slidingRetry(prev, count, l.cfg.Requests, start, w, nextW)), nil
}

// previous returns the final count of the window before start, read once per
// key, window and instance (concurrent callers wait for one read) and then kept.
func (l *Limiter) previous(ctx context.Context, key string, start time.Time) (int64, error) {
	for {
		l.mu.Lock()
		st := l.state(key, start, start)
		if st.prevKnown {
			prev := st.prev
			l.mu.Unlock()
			return prev, nil
		}
		if wait := st.prevLoad; wait != nil {
			l.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		done := make(chan struct{})
		st.prevLoad = done
		l.mu.Unlock()

		var n int64
		err := l.retry(ctx, func() error {
			var err error
			n, err = l.cfg.Store.Count(ctx, l.storeKey(key, l.windowStart(start.Add(-1)), -1))
			return err
		})
		l.mu.Lock()
		st = l.state(key, start, start)
		if err == nil {
			st.prevKnown, st.prev = true, n
		}
		if st.prevLoad == done {
			st.prevLoad = nil
		}
		close(done)
		l.mu.Unlock()
		return n, err
	}
}

// weigh returns floor(n × left / w), exactly.
func weigh(n int64, left, w time.Duration) int64 {
	if n <= 0 || left <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(n), uint64(left))
	q, _ := bits.Div64(hi, lo, uint64(w))
	return int64(q)
}

// slidingRetry returns the earliest time at which a request can be admitted
// when the window that starts at start has count cur and the one before it
// prev: the first instant at which floor(prev × (w − e) / w) + cur < limit.
// nextW is the length of the window after it (they differ for calendar
// months).
func slidingRetry(prev, cur, limit int64, start time.Time, w, nextW time.Duration) time.Time {
	if cur >= limit {
		// Not in this window; in the next, this window is the previous one.
		prev, cur, start, w = cur, 0, start.Add(w), nextW
	}
	if prev <= 0 {
		return start
	}
	// floor(prev × left / w) ≤ limit − cur − 1  ⇔  left < (limit − cur) × w / prev.
	hi, lo := bits.Mul64(uint64(limit-cur), uint64(w))
	if hi >= uint64(prev) {
		return start // the bound is beyond any left ≤ w
	}
	q, r := bits.Div64(hi, lo, uint64(prev))
	ceil := int64(q)
	if r != 0 {
		ceil++
	}
	// The largest admissible left is ceil − 1, reached at e = w − ceil + 1.
	e := w - time.Duration(ceil) + 1
	if e <= 0 {
		return start
	}
	return start.Add(e)
}

// add calls Store.Add with retries.
func (l *Limiter) add(ctx context.Context, key string, n, limit int64, expires time.Time) (granted, count int64, err error) {
	err = l.retry(ctx, func() error {
		var err error
		granted, count, err = l.cfg.Store.Add(ctx, key, n, limit, expires)
		return err
	})
	return granted, count, err
}

// retry calls op until it succeeds, the attempts are spent, or the next delay
// would pass ctx's deadline.
func (l *Limiter) retry(ctx context.Context, op func() error) error {
	delay := l.cfg.Retry.Base
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt >= l.cfg.Retry.Attempts || ctx.Err() != nil {
			return err
		}
		d := delay/2 + rand.N(delay/2+1)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
			return err
		}
		if l.sleep(ctx, d) != nil {
			return err
		}
		delay = min(2*delay, l.cfg.Retry.Max)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fault applies the FailMode after the store failed.
func (l *Limiter) fault(ctx context.Context, key string, now, start time.Time, err error) (Decision, error) {
	if l.cfg.FailMode == FailClosed {
		return Decision{}, fmt.Errorf("ratelimit: %s: %w: %w", l.cfg.Name, ErrUnavailable, err)
	}
	l.cfg.Logger.WarnContext(ctx, "rate limit store unavailable, failing open", "limit", l.cfg.Name, "err", err)
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state(key, start, now)
	reset := l.windowEnd(start)
	if st.floor >= l.cfg.Floor {
		d := l.decision(false, 0, reset)
		d.Degraded = true
		return d, nil
	}
	st.floor++
	d := l.decision(true, l.cfg.Floor-st.floor, reset)
	d.Degraded = true
	return d, nil
}

// maxKeyLen is the longest client key stored as is; longer ones are hashed so
// that a client cannot inflate items (DynamoDB keys take at most 2 KB).
const maxKeyLen = 128

// storeKey is name#key#window-start-unix, with #shard when sharded. The name
// has no '#' and the window is always last (or before the shard), so distinct
// limits, keys and windows never share an item.
func (l *Limiter) storeKey(key string, start time.Time, shard int) string {
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	b := make([]byte, 0, len(l.cfg.Name)+len(key)+24)
	b = append(b, l.cfg.Name...)
	b = append(b, '#')
	b = append(b, key...)
	b = append(b, '#')
	b = strconv.AppendInt(b, start.Unix(), 10)
	if shard >= 0 {
		b = append(b, "#s"...)
		b = strconv.AppendInt(b, int64(shard), 10)
	}
	return string(b)
}
