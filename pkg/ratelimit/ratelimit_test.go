package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// countingStore is a hand-written fake: a Memory store that counts calls and
// can fail on demand.
type countingStore struct {
	mem    *Memory
	adds   atomic.Int64
	counts atomic.Int64
	fail   atomic.Int64 // calls still to fail; -1 fails for ever
	keys   sync.Map     // keys written, with their expiry
}

func newCountingStore(now func() time.Time) *countingStore {
	return &countingStore{mem: NewMemory(now)}
}

var errDown = errors.New("ProvisionedThroughputExceededException")

func (s *countingStore) failing() bool {
	for {
		f := s.fail.Load()
		if f == 0 {
			return false
		}
		if f < 0 || s.fail.CompareAndSwap(f, f-1) {
			return true
		}
	}
}

func (s *countingStore) Add(ctx context.Context, key string, n, limit int64, expires time.Time) (int64, int64, error) {
	s.adds.Add(1)
	if s.failing() {
		return 0, 0, errDown
	}
	s.keys.Store(key, expires)
	return s.mem.Add(ctx, key, n, limit, expires)
}

func (s *countingStore) Count(ctx context.Context, key string) (int64, error) {
	s.counts.Add(1)
	if s.failing() {
		return 0, errDown
	}
	return s.mem.Count(ctx, key)
}

func (s *countingStore) calls() int64 { return s.adds.Load() + s.counts.Load() }

func mustNew(t testing.TB, cfg Config) *Limiter {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAllowFixedWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l, err := New(Config{Name: "ip", Requests: 3, Window: time.Minute, Store: NewMemory(clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wantRemaining := []int64{2, 1, 0}
	for i, want := range wantRemaining {
		d, err := l.Allow(ctx, "1.2.3.4")
		if err != nil || !d.Allowed || d.Remaining != want {
			t.Fatalf("request %d: got %+v, %v; want allowed with %d remaining", i+1, d, err, want)
		}
	}
	d, _ := l.Allow(ctx, "1.2.3.4")
	if d.Allowed || d.Remaining != 0 || !d.Reset.Equal(now.Add(time.Minute)) || d.Name != "ip" {
		t.Fatalf("4th request: got %+v, want denied by ip, 0 remaining, reset at %s", d, now.Add(time.Minute))
	}
	if d, _ := l.Allow(ctx, "5.6.7.8"); !d.Allowed {
		t.Fatalf("another key: got %+v, want allowed", d)
	}
	// The boundary: the last instant of the window is still denied, the first of
	// the next is allowed.
	now = now.Add(time.Minute - time.Nanosecond)
	if d, _ := l.Allow(ctx, "1.2.3.4"); d.Allowed {
		t.Fatalf("end of window: got %+v, want denied", d)
	}
	now = now.Add(time.Nanosecond)
	if d, _ := l.Allow(ctx, "1.2.3.4"); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("next window: got %+v, want allowed with 2 remaining", d)
	}
}

// TestChapterWindowBoundaries runs every limit of the design chapter through
// its window on a fake clock: the last request within the limit passes, the
// next is denied, and the next window admits again.
func TestChapterWindowBoundaries(t *testing.T) {
	for _, r := range ChapterRules() {
		t.Run(r.Limit.Name, func(t *testing.T) {
			c := newClock()
			// Start mid-window, so that the window's alignment is tested too.
			c.Set(c.Now().Add(r.Limit.Window / 2))
			cfg := r.Limit
			cfg.Store, cfg.Now = NewMemory(c.Now), c.Now
			l := mustNew(t, cfg)
			ctx := context.Background()
			for i := int64(1); i <= cfg.Requests; i++ {
				if d, err := l.Allow(ctx, "k"); err != nil || !d.Allowed {
					t.Fatalf("request %d of %d: got %+v, %v; want allowed", i, cfg.Requests, d, err)
				}
			}
			d, err := l.Allow(ctx, "k")
			if err != nil || d.Allowed || d.Remaining != 0 {
				t.Fatalf("request %d: got %+v, %v; want denied with 0 remaining", cfg.Requests+1, d, err)
			}
			// A sliding window forgets the previous window gradually: one window
			// after this one starts, the previous window no longer counts.
			next := c.Now().Truncate(cfg.Window).Add(cfg.Window)
			if cfg.Algorithm == SlidingWindow {
				next = next.Add(cfg.Window)
			}
			if !d.Reset.After(c.Now()) || d.Reset.After(next) {
				t.Fatalf("reset: got %s, want after now and at most %s", d.Reset, next)
			}
			c.Set(next)
			if d, err := l.Allow(ctx, "k"); err != nil || !d.Allowed {
				t.Fatalf("next window: got %+v, %v; want allowed", d, err)
			}
		})
	}
}

func TestWindowLengths(t *testing.T) {
	tests := []struct {
		window time.Duration
		start  time.Time // the window that contains the clock's time
	}{
		{time.Second, time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)},
		{time.Minute, time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)},
		{time.Hour, time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)},
		{24 * time.Hour, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.window.String(), func(t *testing.T) {
			now := func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC) }
			l := mustNew(t, Config{Name: "w", Requests: 1, Window: tt.window, Store: NewMemory(now), Now: now})
			d, _ := l.Allow(context.Background(), "k")
			if want := tt.start.Add(tt.window); !d.Reset.Equal(want) {
				t.Fatalf("got reset %s, want %s", d.Reset, want)
			}
		})
	}
}

func TestAllowConcurrentNeverExceeds(t *testing.T) {
	l, _ := New(Config{Name: "k", Requests: 50, Window: time.Hour, Store: NewMemory(nil)})
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for range 200 {
		wg.Go(func() {
			d, err := l.Allow(context.Background(), "key")
			if err == nil && d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Fatalf("got %d admitted, want exactly 50", got)
	}
}

// TestInstancesHammerOneKey stands in for many function instances sharing one
// store: each instance is its own Limiter (its own leases, deny cache and
// shard knowledge), many goroutines each. Tokens are counted in the store
// before they are spent, so no configuration over-admits; leases may strand
// up to instances × (Lease − 1) tokens per shard.
func TestInstancesHammerOneKey(t *testing.T) {
	const instances, goroutines, perGoroutine = 8, 16, 40
	tests := []struct {
		name   string
		cfg    Config
		strand int64 // most tokens leases may strand
	}{
		{"fixed", Config{Requests: 1000}, 0},
		{"leased", Config{Requests: 1000, Lease: 10}, instances * 9},
		{"sharded", Config{Requests: 1000, Shards: 8}, 0},
		{"sharded and leased", Config{Requests: 1000, Shards: 8, Lease: 10}, 8 * instances * 9},
		{"sliding leased", Config{Requests: 1000, Algorithm: SlidingWindow, Lease: 10}, instances * 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			store := newCountingStore(c.Now)
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for range instances {
				cfg := tt.cfg
				cfg.Name, cfg.Window, cfg.Store, cfg.Now = "hammer", time.Minute, store, c.Now
				l := mustNew(t, cfg)
				for range goroutines {
					wg.Go(func() {
						for range perGoroutine {
							d, err := l.Allow(context.Background(), "hot")
							if err != nil {
								t.Error(err)
								return
							}
							if d.Allowed {
								admitted.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			got, limit := admitted.Load(), tt.cfg.Requests
			if got > limit || got < limit-tt.strand {
				t.Fatalf("got %d admitted of %d requests, want between %d and %d", got, instances*goroutines*perGoroutine, limit-tt.strand, limit)
			}
		})
	}
}

// TestDenyCache proves that requests denied while the deny cache is valid
// cost no store call, and that the cache ends with the window.
func TestDenyCache(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "ip", Requests: 5, Window: time.Minute, Store: store, Now: c.Now})
	ctx := context.Background()
	for range 6 {
		l.Allow(ctx, "k")
	}
	if got := store.calls(); got != 6 {
		t.Fatalf("got %d store calls for 5 allowed and 1 denied request, want 6", got)
	}
	c.Add(59 * time.Second)
	for i := range 1000 {
		if d, _ := l.Allow(ctx, "k"); d.Allowed {
			t.Fatalf("request %d: got allowed, want denied", i)
		}
	}
	if got := store.calls(); got != 6 {
		t.Fatalf("got %d store calls after 1,000 cached denials, want still 6", got)
	}
	c.Add(time.Second)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatalf("next window: got %+v, want allowed", d)
	}
	if got := store.calls(); got != 7 {
		t.Fatalf("got %d store calls, want 7", got)
	}
}

// TestDenyCacheIsPerKey: a denied key does not deny another.
func TestDenyCacheIsPerKey(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "ip", Requests: 1, Window: time.Minute, Store: store, Now: c.Now})
	ctx := context.Background()
	l.Allow(ctx, "a")
	l.Allow(ctx, "a")
	if d, _ := l.Allow(ctx, "b"); !d.Allowed {
		t.Fatalf("key b while a is denied: got %+v, want allowed", d)
	}
}

func TestLeaseCutsWrites(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "key", Requests: 10_000, Window: time.Minute, Lease: 100, Store: store, Now: c.Now})
	ctx := context.Background()
	var prev int64 = 10_000
	for i := range 1000 {
		d, err := l.Allow(ctx, "k")
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: got %+v, %v; want allowed", i, d, err)
		}
		if d.Remaining != prev-1 {
			t.Fatalf("request %d: got %d remaining, want %d", i, d.Remaining, prev-1)
		}
		prev = d.Remaining
	}
	if got := store.calls(); got != 10 {
		t.Fatalf("got %d writes for 1,000 requests with leases of 100, want 10", got)
	}
}

func TestLeaseTakesWhatIsLeft(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	cfg := Config{Name: "key", Requests: 25, Window: time.Minute, Lease: 10, Store: store, Now: c.Now}
	a, b := mustNew(t, cfg), mustNew(t, cfg)
	ctx := context.Background()
	a.Allow(ctx, "k") // a leases 10
	b.Allow(ctx, "k") // b leases 10
	admitted := 0
	for range 30 {
		if d, _ := a.Allow(ctx, "k"); d.Allowed {
			admitted++
		}
	}
	// a had 9 left and then takes the 5 nobody leased; b still holds 9.
	if admitted != 14 {
		t.Fatalf("got %d more admitted by a, want 14", admitted)
	}
	if n, _ := store.mem.Count(ctx, a.storeKey("k", c.Now().Truncate(time.Minute), -1)); n != 25 {
		t.Fatalf("got counter %d, want 25", n)
	}
}

func TestShardsExactAndCached(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "global", Requests: 103, Window: time.Second, Shards: 10, Store: store, Now: c.Now})
	ctx := context.Background()
	admitted := 0
	for range 200 {
		if d, _ := l.Allow(ctx, "all"); d.Allowed {
			admitted++
		}
	}
	if admitted != 103 {
		t.Fatalf("got %d admitted, want exactly 103", admitted)
	}
	// Each shard is learnt full once: at most 103 + 10 writes.
	if got := store.calls(); got > 113 {
		t.Fatalf("got %d store calls, want at most 113", got)
	}
	shards := 0
	store.keys.Range(func(k, v any) bool {
		shards++
		if !strings.HasPrefix(k.(string), "global#all#") || !strings.Contains(k.(string), "#s") {
			t.Errorf("key %q: want global#all#<window>#s<shard>", k)
		}
		return true
	})
	if shards != 10 {
		t.Fatalf("got %d items, want 10 shards", shards)
	}
	before := store.calls()
	l.Allow(ctx, "all")
	if got := store.calls(); got != before {
		t.Fatalf("denied with every shard full: got %d more store calls, want 0", got-before)
	}
}

func TestEveryItemHasTTL(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	ctx := context.Background()
	for _, cfg := range []Config{
		{Name: "fixed", Requests: 10, Window: time.Minute},
		{Name: "sharded", Requests: 10, Window: time.Minute, Shards: 2},
		{Name: "sliding", Requests: 10, Window: time.Minute, Algorithm: SlidingWindow},
	} {
		cfg.Store, cfg.Now = store, c.Now
		l := mustNew(t, cfg)
		for range 3 {
			l.Allow(ctx, "k")
		}
	}
	end := c.Now().Truncate(time.Minute).Add(time.Minute)
	n := 0
	store.keys.Range(func(k, v any) bool {
		n++
		exp := v.(time.Time)
		if !exp.After(end) || exp.After(end.Add(2*time.Minute)) {
			t.Errorf("%s: got expiry %s, want after the window's end %s and within two windows", k, exp, end)
		}
		return true
	})
	if n < 3 {
		t.Fatalf("got %d items, want at least 3 (one per limit)", n)
	}
}

// TestSlidingSmoothsBoundary: a fixed window admits the limit twice around a
// boundary; the sliding window admits it once and then in proportion.
func TestSlidingSmoothsBoundary(t *testing.T) {
	ctx := context.Background()
	burst := func(alg Algorithm) (first, second int) {
		c := newClock()
		c.Add(59 * time.Second)
		l := mustNew(t, Config{Name: "k", Requests: 10, Window: time.Minute, Algorithm: alg, Store: NewMemory(c.Now), Now: c.Now})
		for range 20 {
			if d, _ := l.Allow(ctx, "k"); d.Allowed {
				first++
			}
		}
		c.Add(time.Second) // the next window starts
		for range 20 {
			if d, _ := l.Allow(ctx, "k"); d.Allowed {
				second++
			}
		}
		return first, second
	}
	if a, b := burst(FixedWindow); a != 10 || b != 10 {
		t.Fatalf("fixed window: got %d then %d, want 10 then 10", a, b)
	}
	if a, b := burst(SlidingWindow); a != 10 || b != 0 {
		t.Fatalf("sliding window: got %d then %d, want 10 then 0", a, b)
	}
}

func TestSlidingWindow(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "key", Requests: 10, Window: time.Minute, Algorithm: SlidingWindow, Store: store, Now: c.Now})
	ctx := context.Background()
	for range 10 {
		l.Allow(ctx, "k")
	}
	// Half-way through the next window, half of the previous one counts.
	c.Add(90 * time.Second)
	for i := range 5 {
		if d, _ := l.Allow(ctx, "k"); !d.Allowed {
			t.Fatalf("request %d at 1m30s: got %+v, want allowed", i+1, d)
		}
	}
	d, _ := l.Allow(ctx, "k")
	want := c.Now().Add(time.Nanosecond)
	if d.Allowed || !d.Reset.Equal(want) {
		t.Fatalf("6th request at 1m30s: got %+v, want denied until %s", d, want)
	}
	calls := store.calls()
	if d, _ := l.Allow(ctx, "k"); d.Allowed || store.calls() != calls {
		t.Fatalf("again at 1m30s: got %+v and %d store calls, want denied from the deny cache", d, store.calls()-calls)
	}
	c.Set(want)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatalf("at the reset: got %+v, want allowed", d)
	}
	// The previous window's count is read once per window.
	if got := store.counts.Load(); got != 2 {
		t.Fatalf("got %d reads, want 2 (one per window)", got)
	}
}

// TestSlidingRetry checks slidingRetry against the estimate it inverts: at the
// returned time a request is admitted, a nanosecond earlier it is not. Half
// the cases give the next window another length, as calendar months have.
func TestSlidingRetry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Unix(1_800_000_000, 0)
	for i := range 20_000 {
		w := time.Duration(1+r.IntN(86_400)) * time.Second
		nextW := w
		if i%2 == 1 {
			nextW = time.Duration(1+r.IntN(86_400)) * time.Second
		}
		limit := 1 + r.Int64N(10_000)
		prev := r.Int64N(2 * limit)
		cur := r.Int64N(limit + 1)
		at := slidingRetry(prev, cur, limit, start, w, nextW)
		admits := func(t time.Time) bool {
			if t.Before(start.Add(w)) {
				return weigh(prev, start.Add(w).Sub(t), w)+cur < limit
			}
			next := start.Add(w)
			return weigh(cur, next.Add(nextW).Sub(t), nextW) < limit
		}
		if at.Before(start) || at.After(start.Add(w+nextW)) {
			t.Fatalf("prev %d cur %d limit %d w %s: got %s, want within two windows of %s", prev, cur, limit, w, at, start)
		}
		if !admits(at) || (at.After(start) && admits(at.Add(-1))) {
			t.Fatalf("prev %d cur %d limit %d w %s: got %s (admits %v, a nanosecond earlier %v), want the first admitting instant",
				prev, cur, limit, w, at.Sub(start), admits(at), admits(at.Add(-1)))
		}
	}
}

func TestFailClosed(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	store.fail.Store(-1)
	l := mustNew(t, Config{Name: "search", Requests: 10, Window: time.Minute, Store: store, Now: c.Now})
	var slept []time.Duration
	l.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	_, err := l.Allow(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errDown) {
		t.Fatalf("got %v, want ErrUnavailable wrapping the store's error", err)
	}
	if got := store.calls(); got != 3 {
		t.Fatalf("got %d store calls, want 3 attempts", got)
	}
	// Delays: 10ms then 20ms, each with jitter in [half, all].
	if len(slept) != 2 || slept[0] < 5*time.Millisecond || slept[0] > 10*time.Millisecond || slept[1] < 10*time.Millisecond || slept[1] > 20*time.Millisecond {
		t.Fatalf("got delays %v, want two: in [5ms, 10ms] and [10ms, 20ms]", slept)
	}
}

func TestRetryRecovers(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	store.fail.Store(2)
	l := mustNew(t, Config{Name: "search", Requests: 10, Window: time.Minute, Store: store, Now: c.Now})
	l.sleep = func(context.Context, time.Duration) error { return nil }
	if d, err := l.Allow(context.Background(), "k"); err != nil || !d.Allowed || d.Degraded {
		t.Fatalf("got %+v, %v; want allowed by the store on the third try", d, err)
	}
}

// TestRetryStaysInsideDeadline: no retry is attempted when its delay would
// end after the caller's deadline, nor after ctx is done.
func TestRetryStaysInsideDeadline(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	store.fail.Store(-1)
	l := mustNew(t, Config{Name: "search", Requests: 10, Window: time.Minute, Store: store, Now: c.Now,
		Retry: Retry{Attempts: 10, Base: time.Hour, Max: time.Hour}})
	l.sleep = func(context.Context, time.Duration) error {
		t.Error("slept past the deadline")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, err := l.Allow(ctx, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if got := store.calls(); got != 1 {
		t.Fatalf("got %d store calls, want 1", got)
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	l.Allow(done, "k")
	if got := store.calls(); got != 2 {
		t.Fatalf("canceled ctx: got %d more store calls, want 1", got-1)
	}
}

func TestFailOpenFloor(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	store.fail.Store(-1)
	l := mustNew(t, Config{Name: "ip", Requests: 100, Window: time.Minute, FailMode: FailOpen, Floor: 3,
		Retry: Retry{Attempts: 1}, Store: store, Now: c.Now})
	ctx := context.Background()
	for i := range 3 {
		d, err := l.Allow(ctx, "k")
		if err != nil || !d.Allowed || !d.Degraded || d.Remaining != int64(2-i) {
			t.Fatalf("request %d: got %+v, %v; want allowed by the floor, degraded, %d remaining", i+1, d, err, 2-i)
		}
	}
	if d, err := l.Allow(ctx, "k"); err != nil || d.Allowed || !d.Degraded {
		t.Fatalf("request 4: got %+v, %v; want denied by the floor, degraded", d, err)
	}
	c.Add(time.Minute)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed || !d.Degraded {
		t.Fatalf("next window: got %+v, want allowed by the floor", d)
	}
	store.fail.Store(0)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed || d.Degraded {
		t.Fatalf("store back: got %+v, want allowed by the store", d)
	}
}

func TestStoreKey(t *testing.T) {
	l := mustNew(t, Config{Name: "ip", Requests: 1, Window: time.Minute, Store: NewMemory(nil)})
	start := time.Unix(1_800_000_000, 0)
	tests := []struct {
		key   string
		shard int
		want  string
	}{
		{"1.2.3.4", -1, "ip#1.2.3.4#1800000000"},
		{"a#b", 3, "ip#a#b#1800000000#s3"},
		{strings.Repeat("x", 200), -1, "ip#sha256:"},
	}
	for _, tt := range tests {
		if got := l.storeKey(tt.key, start, tt.shard); !strings.HasPrefix(got, tt.want) || len(got) > 100 {
			t.Errorf("storeKey(%.10q, %d): got %q, want %q…, at most 100 bytes", tt.key, tt.shard, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	s := NewMemory(nil)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no name", Config{Requests: 1, Window: time.Second, Store: s}},
		{"# in name", Config{Name: "a#b", Requests: 1, Window: time.Second, Store: s}},
		{"zero requests", Config{Name: "n", Window: time.Second, Store: s}},
		{"sub-second window", Config{Name: "n", Requests: 1, Window: time.Millisecond, Store: s}},
		{"fractional window", Config{Name: "n", Requests: 1, Window: 1500 * time.Millisecond, Store: s}},
		{"no store", Config{Name: "n", Requests: 1, Window: time.Second}},
		{"unknown algorithm", Config{Name: "n", Requests: 1, Window: time.Second, Store: s, Algorithm: 7}},
		{"lease over limit", Config{Name: "n", Requests: 10, Window: time.Second, Store: s, Lease: 11}},
		{"lease over shard", Config{Name: "n", Requests: 10, Window: time.Second, Store: s, Shards: 2, Lease: 6}},
		{"too many shards", Config{Name: "n", Requests: 1000, Window: time.Second, Store: s, Shards: 65}},
		{"sliding shards", Config{Name: "n", Requests: 10, Window: time.Second, Store: s, Shards: 2, Algorithm: SlidingWindow}},
		{"unknown fail mode", Config{Name: "n", Requests: 1, Window: time.Second, Store: s, FailMode: 3}},
		{"negative floor", Config{Name: "n", Requests: 1, Window: time.Second, Store: s, Floor: -1}},
		{"negative retry", Config{Name: "n", Requests: 1, Window: time.Second, Store: s, Retry: Retry{Attempts: -1}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tt.name, err)
		}
	}
	for _, r := range ChapterRules() {
		cfg := r.Limit
		cfg.Store = s
		if err := cfg.Validate(); err != nil {
			t.Errorf("chapter rule %s: got %v, want valid", cfg.Name, err)
		}
	}
}

func ExampleLimiter() {
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC) }
	l, err := New(Config{Name: "ip", Requests: 2, Window: time.Minute, Store: NewMemory(now), Now: now})
	if err != nil {
		panic(err)
	}
	for range 3 {
		d, _ := l.Allow(context.Background(), "203.0.113.7")
		fmt.Println(d.Allowed, d.Remaining, d.Reset.Format(time.TimeOnly))
	}
	// Output:
	// true 1 12:01:00
	// true 0 12:01:00
	// false 0 12:01:00
}
