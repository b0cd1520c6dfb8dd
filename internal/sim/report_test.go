package sim

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

var reportPath = flag.String("sim.report", "", "write the simulations' section of RELIABILITY.md to this file (make reliability)")

// TestReport runs the full simulations and writes their section of
// RELIABILITY.md. It runs only when asked (-sim.report), from make
// reliability: a few minutes on two cores. The quick versions of its
// figures are the other tests of this package.
func TestReport(t *testing.T) {
	if *reportPath == "" {
		t.Skip("no -sim.report: the full simulations run with make reliability")
	}
	var b bytes.Buffer
	start := time.Now()
	limits(t, &b)
	stampede(t, &b)
	fmt.Fprintf(&b, "\nThe simulations took %s of real time on this machine.\n", time.Since(start).Round(time.Second))
	if err := os.WriteFile(*reportPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runLimits(t *testing.T, s Limits) LimitsResult {
	t.Helper()
	var r LimitsResult
	synctest.Test(t, func(t *testing.T) {
		var err error
		if r, err = RunLimits(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	})
	return r
}

func globalRule(sh Shape) ratelimit.Config {
	return ratelimit.Config{Name: "global", Requests: 10_000, Window: time.Second, Shards: sh.Shards, Lease: sh.Lease, FailMode: ratelimit.FailOpen}
}

func limits(t *testing.T, b *bytes.Buffer) {
	const windows = 10
	run := func(sh Shape, instances int, offered float64) LimitsResult {
		return runLimits(t, Limits{Instances: instances, Offered: offered, Rule: globalRule(sh), Duration: windows * time.Second, Seed: 1})
	}
	var grid []LimitsResult
	for _, k := range []int{1, 2, 3, 4, 5, 8, 10, 16} {
		for _, l := range []int64{1, 2, 5, 10, 20, 50} {
			grid = append(grid, run(Shape{k, l}, 200, 12_000))
		}
	}
	var planned, doubled []LimitsResult
	for _, g := range grid {
		if !Holds(g) {
			continue
		}
		sh := shapeOf(g)
		for _, offered := range []float64{9_000, 10_000, 30_000} {
			planned = append(planned, run(sh, 200, offered))
		}
		for _, offered := range []float64{12_000, 30_000} {
			doubled = append(doubled, run(sh, 400, offered))
		}
	}
	chosen, ok := Choose(grid, planned, doubled, 1000)
	if !ok {
		t.Fatal("no shape meets the criteria")
	}
	previous := Shape{10, 10}
	var compare []LimitsResult
	for _, sh := range []Shape{previous, chosen} {
		for _, instances := range []int{200, 400} {
			for _, offered := range []float64{9_000, 10_000, 12_000, 30_000} {
				compare = append(compare, run(sh, instances, offered))
			}
		}
	}

	fmt.Fprintf(b, `## Internet scale, by simulation

These machines cannot offer 10,000 requests a second across hundreds of Lambda
instances, so the figures below are simulated: the real code on simulated time
(testing/synctest's clock, which moves only when every goroutine waits),
against models of DynamoDB and Cloud Map. `+"`make reliability`"+` runs them
(`+"`go test ./internal/sim -run '^TestReport$' -args -sim.report FILE`"+`);
`+"`make test`"+` runs a quick version of each figure (internal/sim/figures_test.go).

### The global limit: 10,000 requests a second across 200 function instances

What runs: %d function instances, each with its own `+"`ratelimit.Limiter`"+`
(leasing, sharding, the deny cache, its retries, fail-open with the default
floor, the default 250 ms store timeout) over the real DynamoDB store
(`+"`pkg/ratelimit/dynamo`"+`), each with its own SDK retryer, the
aggregator's (`+"`awsconfig.StateTableRetryer`"+`: the SDK's standard retryer,
3 attempts and a client-side retry quota, with a 25–100 ms backoff).

The models' assumptions:

- DynamoDB: each counter (each shard of each window) is its own partition key,
  and a partition key takes at most 1,000 write units in a clock second (the
  per-partition maximum, which neither on-demand mode nor adaptive capacity
  raises for one key); beyond that it answers
  `+"`ProvisionedThroughputExceededException`"+`. Every write is one unit, a
  failed conditional write too; a throttled one costs nothing. A call takes
  3 ms plus an exponential share of mean 2 ms (median 4.4 ms, p99 12 ms),
  applied half-way, so a caller that gives up late does not know its write
  landed.
- The fleet: requests arrive at the offered rate (a Poisson process) and go to
  whichever instance is idle, as Lambda sends them; an instance serves one at a
  time, and an admitted request holds it %s (three-quarters busy at the
  limit); each instance's clock is off by up to ±1 ms. The fleet does not grow:
  a backlog says it could not keep up.
- Admission is counted by the true clock, per one-second window:
  over-admission is Σ max(0, admitted − 10,000), under-admission
  Σ max(0, min(offered, 10,000) − admitted), both as shares of the limit over
  %d windows.

The criteria for the default: no throttled write, over- and under-admission
within %s, at 9,000, 10,000, 12,000 and 30,000 requests a second offered by
200 instances; with twice the instances (400) at 12,000 and 30,000, still no
throttled write, the busiest counter asking for at most %s of a partition's
capacity and under-admission within %s; then the fewest writes per request.

All shapes, 200 instances, 12,000 requests a second offered (20 %% over the
limit):

`, 200, (15 * time.Millisecond).String(), windows, percent(MaxOverAdmission), percent(Headroom), percent(MaxUnderAdmissionDoubled))
	SortLimits(grid)
	LimitsTable(b, grid)
	fmt.Fprintf(b, "\n**The default: %s** (`ratelimit.ChapterRules`, `terraform/aws`), beside the previous one (%s):\n\n", chosen, previous)
	LimitsTable(b, compare)
	fmt.Fprintf(b, `
Where the figures come from: a lease is counted in the table before it is
spent, so the limit is never over-admitted through the store; the 0.0x %% of
over-admission are the clock skews at window edges. A partition that throttles
turns into fail-open decisions (each instance's floor admits up to the whole
limit, the declared fail mode), a decision time of the store timeout and a
backlog: the rows with one shard and small leases. Shards cost writes: once the
limit is reached, each instance probes every shard once per window before its
deny cache answers, so a counter is written at least once per instance and
window and the first denied request waits for the probes (the decision p99 of
the sharded rows). Leases cost under-admission: tokens leased by an instance
that then gets no request before the window ends are lost; a lease is now sized
to what the instance can spend in the time left (pkg/ratelimit), which took the
previous default's under-admission at 400 instances and 10,000 a second from
11 %% to about 1 %% in the first run. Over the limit with twice the
instances, some under-admission remains: an instance whose deny cache answers
finishes its requests at once and so receives more of them, while the
instances holding leases are busy serving.

`)
}

func stampede(t *testing.T, b *bytes.Buffer) {
	var rows []StampedeResult
	for _, n := range []int{500, 1000, 2000} {
		for _, v := range []Variant{Before, OneCall, Jitter, Shared} {
			synctest.Test(t, func(t *testing.T) {
				r, err := RunStampede(context.Background(), Stampede{Variant: v, Instances: n, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, r)
			})
		}
	}
	fmt.Fprint(b, `### A cold-start stampede: 500 instances within a second, 6 services each

What runs: each function instance has its own mesh client (the real
`+"`pkg/mesh`"+` Client and `+"`pkg/mesh/cloudmap`"+` Discoverer, and for the
last variant `+"`pkg/mesh/dynamo`"+`'s Discovery on the DynamoDB model) and its
own SDK retryers (the SDK's default standard retryer for Cloud Map: a backoff
of a random share of 1, then 2 s; the aggregator's for DynamoDB). The
instances start uniformly within one second;
each needs all 6 services at once on its first request (the worst case: a
composite route that calls them all), then sends 5 requests a second to
services chosen at random, for 2 minutes (four 30 s refresh intervals).

The model's assumptions: Cloud Map's discovery calls (DiscoverInstances and
DiscoverInstancesRevision together) share one account-wide token bucket of
1,000 a second holding 2,000, beyond which they answer
`+"`RequestLimitExceeded`"+`; a call takes 8 ms plus an exponential share of
mean 4 ms; each service has 3 healthy instances and a fixed revision. The
state table is the DynamoDB model above (3,000 reads a second per key).

`)
	StampedeTable(b, rows)
	fmt.Fprint(b, `
Before this work a cold service cost a revision check and a discovery, every
instance refreshed in step, and a throttled discovery was retried every second
in step too: at 500 instances Cloud Map throttled for seconds and thousands of
service calls failed before every instance could reach its services. One call
per discovery (DiscoverInstances returns the revision) halves the burst and
brings 500 instances to the edge of the throttle (a stray throttled call in
some runs), and not 1,000. Jitter spreads the
refreshes (the refresh peak) and backoff thins the retries, but neither can
help a burst of first discoveries. Sharing the instance lists through the
state table (the aggregator's discovery now) asks Cloud Map about once per
service and 15 s whatever the fleet's size: no stampede reaches the throttle.

`)
}

// Choose keeps to the criteria: a shape that holds for the planned fleet but
// under-admits with twice the instances, or nears a partition's capacity, is
// not chosen, however cheap.
func TestChoose(t *testing.T) {
	res := func(sh Shape, instances int, under float64, demand, throttled int64, writes int64) LimitsResult {
		return LimitsResult{
			Scenario: Limits{Instances: instances, Rule: globalRule(sh)}, Windows: 10, Offered: 100_000,
			UnderAdmitted: int64(under * 100_000), DB: DynamoStats{PeakKeyDemand: demand, Throttled: throttled, Writes: writes},
		}
	}
	cheap, fragile, hot, sound := Shape{1, 50}, Shape{2, 50}, Shape{2, 10}, Shape{4, 10}
	grid := []LimitsResult{
		res(cheap, 200, 0, 400, 0, 3_000), res(fragile, 200, 0, 300, 0, 5_000),
		res(hot, 200, 0, 700, 0, 11_000), res(sound, 200, 0, 450, 0, 15_000),
		res(Shape{1, 1}, 200, 0, 1000, 50, 100_000),
	}
	planned := []LimitsResult{res(cheap, 200, 0.02, 400, 0, 3_000), res(fragile, 200, 0, 300, 0, 5_000), res(hot, 200, 0, 700, 0, 11_000), res(sound, 200, 0, 450, 0, 15_000)}
	doubled := []LimitsResult{res(cheap, 400, 0, 400, 0, 3_000), res(fragile, 400, 0.5, 300, 0, 5_000), res(hot, 400, 0, 800, 0, 11_000), res(sound, 400, 0.05, 500, 0, 15_000)}
	got, ok := Choose(grid, planned, doubled, 1000)
	if !ok || got != sound {
		t.Fatalf("got %v (%v), want %v: %v under-admits planned, %v doubled, %v runs hot", got, ok, sound, cheap, fragile, hot)
	}
}
