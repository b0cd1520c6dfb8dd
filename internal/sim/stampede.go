package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	meshdynamo "github.com/portico-gw/portico/pkg/mesh/dynamo"
)

// Variant is a way the function instances discover services.
type Variant int

// Variants, from the code before this work to the code after it.
const (
	// Before: a service with nothing cached costs a revision check and a
	// discovery; every refresh interval is exact and a failed cold discovery
	// is retried every second (the mesh client before RevisionDiscoverer and
	// RefreshJitter).
	Before Variant = iota
	// OneCall: a discovery is one DiscoverInstances, whose answer carries
	// the revision (mesh.RevisionDiscoverer).
	OneCall
	// Jitter: OneCall, with refresh intervals jittered by 20 % and failed
	// cold discoveries retried after a jittered exponential backoff
	// (mesh.Config.RefreshJitter 0.2).
	Jitter
	// Shared: Jitter, and the instance lists shared through the state table
	// (pkg/mesh/dynamo.Discovery): one instance per service and interval
	// asks Cloud Map, the others read DynamoDB.
	Shared
)

func (v Variant) String() string {
	switch v {
	case Before:
		return "before: revision check + discovery, exact intervals"
	case OneCall:
		return "one call per discovery"
	case Jitter:
		return "one call, jitter and backoff"
	case Shared:
		return "one call, jitter, backoff, shared through the state table"
	}
	return fmt.Sprintf("Variant(%d)", int(v))
}

// Stampede is the cold-start scenario: Instances function instances start
// within StartWithin, each with its own mesh client (the real pkg/mesh
// Client and cloudmap Discoverer) and SDK client on one modelled Cloud Map
// account. At start each instance needs all Services at once (a first
// request that fans out to all of them: the worst case), then serves
// Rate requests a second to a service chosen at random, until Duration.
type Stampede struct {
	// Instances is the number of function instances; default 500.
	Instances int
	// StartWithin spreads their starts uniformly; default 1s.
	StartWithin time.Duration
	// Services is how many services each instance calls; default 6.
	Services int
	// Rate is the requests per second of one instance after its start;
	// default 5.
	Rate float64
	// Duration is the simulated time; default 2m (four refresh intervals).
	Duration time.Duration
	// Refresh is the mesh client's RefreshInterval; default 30s.
	Refresh time.Duration
	// Variant is the discovery code.
	Variant Variant
	// CloudMap is the registry's model.
	CloudMap CloudMapConfig
	// Dynamo is the state table's model (Shared).
	Dynamo DynamoConfig
	// Seed seeds the start times and the requests.
	Seed uint64
}

// StampedeResult is what a Stampede run measured.
type StampedeResult struct {
	// Scenario is the scenario run, defaults filled in.
	Scenario Stampede
	// CloudMap is the registry's counts.
	CloudMap CloudMapStats
	// CallsPerSecond and ThrottledPerSecond are the registry's calls by
	// second from the first start.
	CallsPerSecond, ThrottledPerSecond []int64
	// Requests counts the service calls made; Failed those that found no
	// instance (discovery failed with nothing cached).
	Requests, Failed int64
	// Ready is when the last instance could reach all its services, from the
	// first start.
	Ready time.Duration
	// RefreshPeak is the most registry calls in one second once every
	// instance has started and settled (from StartWithin + 10 s): the
	// refreshes' own stampede.
	RefreshPeak int64
	// DB is the state table's counts (Shared).
	DB DynamoStats
}

func (s *Stampede) defaults() {
	if s.Instances == 0 {
		s.Instances = 500
	}
	if s.StartWithin == 0 {
		s.StartWithin = time.Second
	}
	if s.Services == 0 {
		s.Services = 6
	}
	if s.Rate == 0 {
		s.Rate = 5
	}
	if s.Duration == 0 {
		s.Duration = 2 * time.Minute
	}
	if s.Refresh == 0 {
		s.Refresh = 30 * time.Second
	}
}

// before hides the Cloud Map Discoverer's one-call discovery, as the mesh
// client met it before RevisionDiscoverer.
type before struct{ d *cloudmap.Discoverer }

func (b before) Discover(ctx context.Context, service string) ([]mesh.Instance, error) {
	return b.d.Discover(ctx, service)
}

func (b before) Revision(ctx context.Context, service string) (int64, error) {
	return b.d.Revision(ctx, service)
}

// RunStampede runs the scenario on the time package's clock (simulated in a
// testing/synctest bubble).
func RunStampede(ctx context.Context, s Stampede) (StampedeResult, error) {
	s.defaults()
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x5851f42d4c957f2d))
	origin := time.Now()
	cm := NewCloudMap(s.CloudMap, origin)
	db := NewDynamo(s.Dynamo)
	services := make([]string, s.Services)
	for i := range services {
		services[i] = fmt.Sprintf("service-%d", i+1)
	}
	res := StampedeResult{Scenario: s}
	var mu sync.Mutex
	var wg sync.WaitGroup
	end := origin.Add(s.Duration)
	for range s.Instances {
		startAt := time.Duration(rng.Float64() * float64(s.StartWithin))
		seed := rng.Uint64()
		client, err := s.client(cm, db)
		if err != nil {
			return res, err
		}
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, seed))
			if wait(ctx, startAt) != nil {
				return
			}
			call := func(svc string) error {
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_, err := client.Pick(rctx, svc)
				mu.Lock()
				res.Requests++
				if err != nil {
					res.Failed++
				}
				mu.Unlock()
				return err
			}
			// The first request needs every service, in parallel; the
			// instance is ready once each has answered once.
			pending := map[string]bool{}
			var fan sync.WaitGroup
			var fanMu sync.Mutex
			for _, svc := range services {
				fan.Go(func() {
					if call(svc) != nil {
						fanMu.Lock()
						pending[svc] = true
						fanMu.Unlock()
					}
				})
			}
			fan.Wait()
			ready := len(pending) == 0
			note := func() {
				mu.Lock()
				res.Ready = max(res.Ready, time.Since(origin))
				mu.Unlock()
			}
			if ready {
				note()
			}
			for {
				if wait(ctx, time.Duration(r.ExpFloat64()*float64(time.Second)/s.Rate)) != nil || !time.Now().Before(end) {
					return
				}
				svc := services[r.IntN(len(services))]
				if call(svc) == nil && !ready {
					delete(pending, svc)
					if len(pending) == 0 {
						ready = true
						note()
					}
				}
			}
		})
	}
	wg.Wait()
	res.CloudMap = cm.Stats()
	res.CallsPerSecond, res.ThrottledPerSecond = cm.PerSecond()
	settled := int((s.StartWithin + 10*time.Second) / time.Second)
	for i := settled; i < len(res.CallsPerSecond); i++ {
		res.RefreshPeak = max(res.RefreshPeak, res.CallsPerSecond[i])
	}
	res.DB = db.Stats()
	if res.Ready == 0 {
		return res, errors.New("sim: no instance became ready")
	}
	return res, ctx.Err()
}

// client builds one function instance's mesh client for the variant.
func (s Stampede) client(cm *CloudMap, db *Dynamo) (*mesh.Client, error) {
	disc, err := cloudmap.New(CloudMapClient{M: cm, R: Retries()}, "portico.local")
	if err != nil {
		return nil, err
	}
	cfg := mesh.Config{RefreshInterval: s.Refresh, Transport: noTransport{}}
	switch s.Variant {
	case Before:
		cfg.Discoverer = before{disc}
	case OneCall:
		cfg.Discoverer = disc
	case Jitter:
		cfg.Discoverer, cfg.RefreshJitter = disc, 0.2
	case Shared:
		shared, err := meshdynamo.NewDiscovery(DynamoClient{D: db, R: StateTableRetries()}, "portico-state", meshdynamo.DiscoveryConfig{Next: disc})
		if err != nil {
			return nil, err
		}
		cfg.Discoverer, cfg.RefreshJitter = shared, 0.2
	default:
		return nil, fmt.Errorf("sim: %s is not implemented", s.Variant)
	}
	return mesh.New(cfg)
}

// noTransport stands for the network: the scenario only picks instances.
type noTransport struct{}

func (noTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("sim: no network in a simulation")
}
