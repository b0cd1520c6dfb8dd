package sim

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

// The figures that must not regress, in small: RELIABILITY.md has the full
// runs (make reliability). Each run is a simulation on testing/synctest's
// clock: seconds of simulated time cost a fraction of a second.

// chapterGlobal is the documented global limit (ratelimit.ChapterRules).
func chapterGlobal(t *testing.T) ratelimit.Config {
	t.Helper()
	for _, r := range ratelimit.ChapterRules() {
		if r.Dimension == ratelimit.Global {
			return r.Limit
		}
	}
	t.Fatal("ChapterRules has no global limit")
	return ratelimit.Config{}
}

// The documented global limit, 10,000 a second across 200 function
// instances, admits within 1 % of its rate, above and below, with no
// throttled write, whether the offered load is at the limit or 20 % over.
func TestDocumentedGlobalLimitAtScale(t *testing.T) {
	for _, offered := range []float64{10_000, 12_000} {
		t.Run(thousands(int64(offered)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, err := RunLimits(context.Background(), Limits{Instances: 200, Offered: offered, Rule: chapterGlobal(t), Duration: 4 * time.Second, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if !Holds(r) {
					t.Fatalf("got over-admission %s, under-admission %s, %d throttled writes, backlog %d; want at most %s, %s, none, none",
						percent(r.OverAdmission()), percent(r.UnderAdmission()), r.DB.Throttled, r.Late, percent(MaxOverAdmission), percent(MaxUnderAdmission))
				}
			})
		})
	}
}

// The failure the defaults avoid, so that the model is seen to catch it: one
// counter written on every request takes 10,000 writes a second, far over a
// partition's 1,000; DynamoDB throttles and the fail-open limit decides with
// its per-instance floor.
func TestOneCounterThrottles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rule := ratelimit.Config{Name: "global", Requests: 10_000, Window: time.Second, FailMode: ratelimit.FailOpen}
		r, err := RunLimits(context.Background(), Limits{Instances: 200, Offered: 10_000, Rule: rule, Duration: 2 * time.Second, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.DB.Throttled == 0 || r.Degraded == 0 || r.DB.PeakKeyWrites > 1000 {
			t.Fatalf("got %d throttled writes, %d fail-open decisions, %d writes on the busiest key in a second; want some, some, at most 1,000",
				r.DB.Throttled, r.Degraded, r.DB.PeakKeyWrites)
		}
	})
}

// 500 function instances starting within a second, each needing 6
// services at once: with the shared instance lists (the aggregator's
// discovery) Cloud Map is never throttled and every instance is ready
// within the second; discovering from each instance, as before, is.
func TestStampedeUnderCloudMapThrottle(t *testing.T) {
	tests := []struct {
		variant       Variant
		wantThrottled bool
	}{
		{Shared, false},
		{Before, true},
	}
	for _, tt := range tests {
		t.Run(tt.variant.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, err := RunStampede(context.Background(), Stampede{Variant: tt.variant, Instances: 500, Rate: 1, Duration: 40 * time.Second, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if throttled := r.CloudMap.Throttled > 0; throttled != tt.wantThrottled {
					t.Fatalf("got %d throttled Cloud Map calls, want throttling: %v", r.CloudMap.Throttled, tt.wantThrottled)
				}
				if !tt.wantThrottled && (r.Failed > 0 || r.Ready > 2*time.Second) {
					t.Fatalf("got %d failed service calls and all ready after %s, want none and within 2 s", r.Failed, r.Ready)
				}
			})
		})
	}
}
