package dynamo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

func newLimiter(tb testing.TB, api *fakeAPI, cfg ratelimit.Config) *ratelimit.Limiter {
	tb.Helper()
	s, err := New(api, "portico")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Store = s
	l, err := ratelimit.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestLimiterOverStore runs instances × goroutines against one key through the
// DynamoDB store's requests: admitted never exceeds the limit, and leases
// strand at most instances × (Lease − 1) tokens (per shard).
func TestLimiterOverStore(t *testing.T) {
	const instances, goroutines, each = 6, 12, 30
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC) }
	tests := []struct {
		name   string
		cfg    ratelimit.Config
		strand int64
	}{
		{"fixed", ratelimit.Config{Requests: 1000}, 0},
		{"leased", ratelimit.Config{Requests: 1000, Lease: 10}, instances * 9},
		{"sharded leased", ratelimit.Config{Requests: 1000, Lease: 10, Shards: 4}, 4 * instances * 9},
		{"sliding", ratelimit.Config{Requests: 1000, Algorithm: ratelimit.SlidingWindow}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFake()
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for range instances {
				cfg := tt.cfg
				cfg.Name, cfg.Window, cfg.Now = "hammer", time.Minute, now
				l := newLimiter(t, api, cfg)
				for range goroutines {
					wg.Go(func() {
						for range each {
							if d, err := l.Allow(context.Background(), "hot"); err == nil && d.Allowed {
								admitted.Add(1)
							} else if err != nil {
								t.Error(err)
							}
						}
					})
				}
			}
			wg.Wait()
			if got := admitted.Load(); got > tt.cfg.Requests || got < tt.cfg.Requests-tt.strand {
				t.Fatalf("got %d admitted, want %d to %d", got, tt.cfg.Requests-tt.strand, tt.cfg.Requests)
			}
		})
	}
}

// callsPer1000 reports store calls per 1,000 requests.
func callsPer1000(b *testing.B, api *fakeAPI, requests int) {
	b.ReportMetric(float64(api.updates.Load())*1000/float64(requests), "writes/1000req")
	b.ReportMetric(float64(api.gets.Load())*1000/float64(requests), "reads/1000req")
}

// BenchmarkAllow measures one decision through the DynamoDB store's request
// building against a counting fake (no network): ns/op is the in-process
// overhead, writes/1000req the DynamoDB writes a real table would see.
func BenchmarkAllow(b *testing.B) {
	const big = 1 << 40
	cases := []struct {
		name    string
		cfg     ratelimit.Config
		prefill bool // exhaust the limit before timing
	}{
		{"allowed/steady", ratelimit.Config{Requests: big}, false},
		{"allowed/sliding", ratelimit.Config{Requests: big, Algorithm: ratelimit.SlidingWindow}, false},
		{"allowed/lease=10", ratelimit.Config{Requests: big, Lease: 10}, false},
		{"allowed/lease=100", ratelimit.Config{Requests: big, Lease: 100}, false},
		{"allowed/shards=10,lease=10", ratelimit.Config{Requests: big, Lease: 10, Shards: 10}, false},
		{"denied/deny-cache", ratelimit.Config{Requests: 10}, true},
		{"denied/deny-cache,sliding", ratelimit.Config{Requests: 10, Algorithm: ratelimit.SlidingWindow}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			api := newFake()
			cfg := c.cfg
			cfg.Name, cfg.Window = "bench", time.Hour
			l := newLimiter(b, api, cfg)
			ctx := context.Background()
			if c.prefill {
				for range cfg.Requests + 1 {
					l.Allow(ctx, "k")
				}
				api.updates.Store(0)
				api.gets.Store(0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				l.Allow(ctx, "k")
			}
			b.StopTimer()
			callsPer1000(b, api, b.N)
		})
	}
}

// BenchmarkHammer runs 8 limiter instances in parallel on one key with a
// limit of half the requests, and reports over-admission next to the writes.
func BenchmarkHammer(b *testing.B) {
	for _, lease := range []int64{1, 10, 100} {
		b.Run(fmt.Sprintf("lease=%d", lease), func(b *testing.B) {
			api := newFake()
			limit := max(int64(b.N/2), 8*lease)
			ls := make([]*ratelimit.Limiter, 8)
			for i := range ls {
				ls[i] = newLimiter(b, api, ratelimit.Config{Name: "hammer", Requests: limit, Window: time.Hour, Lease: lease})
			}
			var next, admitted atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				l := ls[next.Add(1)%int64(len(ls))]
				for pb.Next() {
					if d, _ := l.Allow(context.Background(), "hot"); d.Allowed {
						admitted.Add(1)
					}
				}
			})
			b.StopTimer()
			callsPer1000(b, api, b.N)
			b.ReportMetric(float64(max(admitted.Load()-limit, 0))*100/float64(limit), "over-admit-%")
			b.ReportMetric(float64(admitted.Load())*100/float64(min(limit, int64(b.N))), "admitted-%-of-limit")
		})
	}
}

func ExampleStore() {
	// In production api is dynamodb.NewFromConfig(cfg); the fake here
	// evaluates the same conditional writes in memory.
	store, err := New(newFake(), "portico")
	if err != nil {
		panic(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	l, err := ratelimit.New(ratelimit.Config{Name: "key", Requests: 1000, Window: time.Minute, Lease: 10, Store: store, Now: now})
	if err != nil {
		panic(err)
	}
	d, _ := l.Allow(context.Background(), "key-1")
	fmt.Println(d.Allowed, d.Remaining)
	// Output: true 999
}
