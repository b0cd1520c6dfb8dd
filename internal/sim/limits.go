package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

// Limits is the global-limit scenario: Instances function instances, each
// with its own ratelimit.Limiter (the real one, with leasing, sharding, the
// deny cache, retries and the fail mode) and its own SDK client, share one
// modelled DynamoDB table. Requests arrive at Offered a second (a Poisson
// process) and go to whichever instance is idle, as Lambda sends them; an
// instance serves one request at a time, and an admitted request holds it
// for Service (the backend call).
type Limits struct {
	// Instances is the number of concurrent function instances; default 200.
	Instances int
	// Offered is the arrival rate, requests per second; default 1.2 × the
	// limit's rate.
	Offered float64
	// Duration is the simulated time; default 20 windows.
	Duration time.Duration
	// Rule is the limit. Name, Requests and Window are required; Store and
	// Now are set per instance.
	Rule ratelimit.Config
	// Service is how long an admitted request holds its instance; default
	// three-quarters of Instances over the limit's rate (15ms for 200
	// instances and 10,000 a second), so that the fleet is sized for the
	// limit.
	Service time.Duration
	// Skew: each instance's clock is off by a fixed amount drawn uniformly
	// from ±Skew; default 1ms (Lambda's clocks follow the Amazon Time Sync
	// Service; a millisecond is generous).
	Skew time.Duration
	// Dynamo is the table's model.
	Dynamo DynamoConfig
	// Seed seeds the arrivals and the clock skews.
	Seed uint64
}

// LimitsResult is what a Limits run measured.
type LimitsResult struct {
	// Scenario is the scenario run, defaults filled in.
	Scenario Limits
	// Windows is the number of whole windows measured.
	Windows int
	// Late is the requests that arrived in time but were decided after the
	// last window, the instances being all busy: a backlog that says the
	// fleet could not keep up. They are not in the counts below.
	Late int64
	// Offered, Admitted and Denied count requests; Unavailable the
	// fail-closed errors; Degraded the requests the fail-open floor decided
	// (admitted or not).
	Offered, Admitted, Denied, Unavailable, Degraded int64
	// OverAdmitted is Σ over windows of max(0, admitted − limit), by the true
	// clock; UnderAdmitted is Σ max(0, min(offered, limit) − admitted).
	OverAdmitted, UnderAdmitted int64
	// Granted is the sum of the counters in the table at the end: tokens
	// the store handed out, spent or stranded in leases.
	Granted int64
	// DB is the table's counts.
	DB DynamoStats
	// DecisionP50 and DecisionP99 are the limiter's decision times.
	DecisionP50, DecisionP99 time.Duration
}

// OverAdmission is OverAdmitted as a share of the limit over all windows.
func (r LimitsResult) OverAdmission() float64 {
	return float64(r.OverAdmitted) / float64(r.Scenario.Rule.Requests*int64(r.Windows))
}

// UnderAdmission is UnderAdmitted as a share of the limit over all windows.
func (r LimitsResult) UnderAdmission() float64 {
	return float64(r.UnderAdmitted) / float64(r.Scenario.Rule.Requests*int64(r.Windows))
}

// WritesPer1000 is the write units consumed per 1,000 offered requests.
func (r LimitsResult) WritesPer1000() float64 {
	if r.Offered == 0 {
		return 0
	}
	return 1000 * float64(r.DB.Writes) / float64(r.Offered)
}

func (s *Limits) defaults() error {
	if s.Rule.Requests < 1 || s.Rule.Window <= 0 || s.Rule.Name == "" {
		return errors.New("sim: Limits.Rule needs Name, Requests and Window")
	}
	if s.Instances == 0 {
		s.Instances = 200
	}
	if s.Offered == 0 {
		s.Offered = 1.2 * float64(s.Rule.Requests) / s.Rule.Window.Seconds()
	}
	if s.Duration == 0 {
		s.Duration = 20 * s.Rule.Window
	}
	if s.Service == 0 {
		// At the limit's rate, the instances are three-quarters busy.
		s.Service = time.Duration(0.75 * float64(s.Instances) * float64(s.Rule.Window) / float64(s.Rule.Requests))
	}
	if s.Skew == 0 {
		s.Skew = time.Millisecond
	}
	return nil
}

// RunLimits runs the scenario on the time package's clock: inside a
// testing/synctest bubble the clock is simulated and a run takes seconds
// of real time whatever its Duration.
func RunLimits(ctx context.Context, s Limits) (LimitsResult, error) {
	if err := s.defaults(); err != nil {
		return LimitsResult{}, err
	}
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	db := NewDynamo(s.Dynamo)
	start := time.Now().Truncate(s.Rule.Window)
	if start.Before(time.Now()) {
		start = start.Add(s.Rule.Window)
	}
	if err := wait(ctx, time.Until(start)); err != nil {
		return LimitsResult{}, err
	}
	windows := int(s.Duration / s.Rule.Window)
	end := start.Add(time.Duration(windows) * s.Rule.Window)

	var (
		mu        sync.Mutex
		offered   = make([]int64, windows)
		admitted  = make([]int64, windows)
		latencies []time.Duration
		res       = LimitsResult{Scenario: s, Windows: windows}
	)
	record := func(at time.Time, d ratelimit.Decision, err error, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		w := int(at.Sub(start) / s.Rule.Window)
		if w >= windows {
			res.Late++
			return
		}
		res.Offered++
		offered[w]++
		latencies = append(latencies, took)
		switch {
		case err != nil:
			res.Unavailable++
		case d.Allowed:
			res.Admitted++
			admitted[w]++
		default:
			res.Denied++
		}
		if d.Degraded {
			res.Degraded++
		}
	}

	arrivals := make(chan struct{}, 1<<16)
	var wg sync.WaitGroup
	var buildErr error
	for range s.Instances {
		store, err := ratelimitdynamo.New(DynamoClient{D: db, R: StateTableRetries()}, "portico-state")
		if err != nil {
			return res, err
		}
		cfg := s.Rule
		skew := time.Duration((2*rng.Float64() - 1) * float64(s.Skew))
		cfg.Store, cfg.Now = store, func() time.Time { return time.Now().Add(skew) }
		lim, err := ratelimit.New(cfg)
		if err != nil {
			buildErr = err
			break
		}
		wg.Go(func() {
			for range arrivals {
				t0 := time.Now()
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				d, err := lim.Allow(rctx, "all")
				cancel()
				record(t0, d, err, time.Since(t0))
				if err == nil && d.Allowed {
					wait(ctx, s.Service)
				}
			}
		})
	}
	if buildErr == nil {
		mean := float64(time.Second) / s.Offered
		for t := start; ; {
			t = t.Add(time.Duration(rng.ExpFloat64() * mean))
			if !t.Before(end) || ctx.Err() != nil {
				break
			}
			if err := wait(ctx, time.Until(t)); err != nil {
				break
			}
			arrivals <- struct{}{}
		}
	}
	close(arrivals)
	wg.Wait()
	if buildErr != nil {
		return res, fmt.Errorf("sim: limiter: %w", buildErr)
	}
	for w := range windows {
		res.OverAdmitted += max(0, admitted[w]-s.Rule.Requests)
		res.UnderAdmitted += max(0, min(offered[w], s.Rule.Requests)-admitted[w])
	}
	prefix := ratelimitdynamo.KeyPrefix + s.Rule.Name + "#"
	for _, k := range db.Keys() {
		if strings.HasPrefix(k, prefix) {
			n, _ := db.Count(k)
			res.Granted += n
		}
	}
	res.DB = db.Stats()
	res.DecisionP50, res.DecisionP99 = quantile(latencies, 0.50), quantile(latencies, 0.99)
	return res, ctx.Err()
}
