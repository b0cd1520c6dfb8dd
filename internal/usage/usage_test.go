package usage

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// flaky is a Store that fails while fail is set.
type flaky struct {
	*Memory
	mu   sync.Mutex
	fail bool
}

func (f *flaky) Add(ctx context.Context, hour time.Time, items []Item) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return errors.New("ProvisionedThroughputExceededException")
	}
	return f.Memory.Add(ctx, hour, items)
}

func newRecorder(t *testing.T, store Store, c *clock) *Recorder {
	t.Helper()
	r, err := New(Config{Store: store, Flush: 10 * time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecorderCountsPerKeyTenantAndRoute(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 10, 59, 50, 0, time.UTC)}
	mem := NewMemory()
	r := newRecorder(t, mem, c)
	ctx := context.Background()
	r.Record(ctx, Event{APIKey: "k1", Tenant: "acme", Route: "users"})
	r.Record(ctx, Event{APIKey: "k1", Tenant: "acme", Route: "search"})
	r.Record(ctx, Event{Tenant: "acme", Route: "users"})
	r.Record(ctx, Event{Route: "users"})
	if mem.Adds != 0 || r.Pending() != 4 {
		t.Fatalf("before the flush interval: got %d store calls and %d pending, want 0 and 4", mem.Adds, r.Pending())
	}
	c.Add(15 * time.Second) // 11:00:05, the next hour
	r.Record(ctx, Event{APIKey: "k1", Route: "users"})
	if mem.Adds != 2 || r.Pending() != 0 {
		t.Fatalf("after the interval: got %d store calls (one per hour) and %d pending, want 2 and 0", mem.Adds, r.Pending())
	}
	h10, h11 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		kind Kind
		ids  []string
		want string
	}{
		{Key, nil, "10:00 k1 2 map[search:1 users:1]|11:00 k1 1 map[users:1]"},
		{Tenant, []string{"acme"}, "10:00 acme 3 map[search:1 users:2]"},
		{Route, nil, "10:00 search 1 map[]|10:00 users 3 map[]|11:00 users 1 map[]"},
	}
	for _, tt := range tests {
		rows, _ := mem.Read(ctx, h10, h11, tt.kind, tt.ids)
		var got []string
		for _, row := range rows {
			got = append(got, row.Hour.Format("15:04")+" "+row.ID+" "+itoa(row.Total)+" "+fmtRoutes(row.Routes))
		}
		if strings.Join(got, "|") != tt.want {
			t.Errorf("%s: got %s, want %s", tt.kind, strings.Join(got, "|"), tt.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func fmtRoutes(m map[string]int64) string {
	if len(m) == 0 {
		return "map[]"
	}
	var parts []string
	for _, k := range []string{"search", "users"} {
		if n, ok := m[k]; ok {
			parts = append(parts, k+":"+itoa(n))
		}
	}
	return "map[" + strings.Join(parts, " ") + "]"
}

// TestFailedFlushKeepsCounts: nothing is lost while the store fails, and
// nothing is counted twice once it recovers.
func TestFailedFlushKeepsCounts(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	store := &flaky{Memory: NewMemory(), fail: true}
	r := newRecorder(t, store, c)
	ctx := context.Background()
	for range 3 {
		r.Record(ctx, Event{APIKey: "k", Route: "users"})
		c.Add(11 * time.Second)
	}
	if r.Pending() != 3 {
		t.Fatalf("while the store fails: got %d pending, want 3", r.Pending())
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ := store.Read(ctx, c.t.Add(-time.Hour), c.t, Key, nil)
	if len(rows) != 1 || rows[0].Total != 3 || rows[0].Routes["users"] != 3 || r.Pending() != 0 {
		t.Fatalf("after recovery: got %+v and %d pending, want k with 3 (users 3) and none pending", rows, r.Pending())
	}
}

func TestConcurrentRecordsAllCounted(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	mem := NewMemory()
	r, err := New(Config{Store: mem, Flush: time.Nanosecond, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 250 {
				r.Record(context.Background(), Event{Tenant: "acme", Route: "users"})
			}
		})
	}
	wg.Wait()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, _ := mem.Read(context.Background(), c.t, c.t, Tenant, []string{"acme"})
	if len(rows) != 1 || rows[0].Total != 2000 {
		t.Fatalf("got %+v, want acme counted 2000 times", rows)
	}
}

func TestLongIDsAreHashed(t *testing.T) {
	long := strings.Repeat("t", MaxIDBytes+1)
	if got := ID(long); !strings.HasPrefix(got, "sha256:") || len(got) != 7+64 {
		t.Fatalf("got %q, want sha256:<64 hex>", got)
	}
	if got := ID("acme"); got != "acme" {
		t.Fatalf("got %q, want acme kept", got)
	}
	c := &clock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	mem := NewMemory()
	r := newRecorder(t, mem, c)
	r.Record(context.Background(), Event{Tenant: long, Route: "r"})
	r.Flush(context.Background())
	if rows, _ := mem.Read(context.Background(), c.t, c.t, Tenant, []string{long}); len(rows) != 1 || rows[0].ID != ID(long) {
		t.Fatalf("got %+v, want the tenant found by its long ID", rows)
	}
}

func TestConfigRefused(t *testing.T) {
	for _, c := range []Config{{}, {Store: NewMemory(), Flush: -1}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v): got no error, want one", c)
		}
	}
}
