package sim

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// CloudMapConfig is the model of Cloud Map's discovery API in one account.
type CloudMapConfig struct {
	// Rate and Burst are the account's throttle on the discovery calls
	// (DiscoverInstances and DiscoverInstancesRevision together): a token
	// bucket of Rate a second holding Burst; default 1,000 and 2,000.
	Rate, Burst float64
	// Latency returns the time one call takes; default Latency(8ms, 4ms).
	Latency func() time.Duration
	// Instances is how many instances each service has; default 3.
	Instances int
}

// CloudMapStats counts what a CloudMap saw.
type CloudMapStats struct {
	// Calls is every call, throttled or not; Throttled those refused with
	// RequestLimitExceeded.
	Calls, Throttled int64
	// Discover and Revision split the calls answered by operation.
	Discover, Revision int64
	// PeakCallsPerSecond is the most calls in one second (clock-aligned);
	// PeakThrottledPerSecond the most throttled in one.
	PeakCallsPerSecond, PeakThrottledPerSecond int64
	// ThrottledSeconds is how many seconds saw at least one throttle.
	ThrottledSeconds int
}

// CloudMap models Cloud Map's DiscoverInstances and
// DiscoverInstancesRevision: every service has Instances healthy instances
// and a fixed revision; calls beyond the account's throttle answer
// RequestLimitExceeded.
type CloudMap struct {
	cfg CloudMapConfig

	mu        sync.Mutex
	bucket    *bucket
	calls     *series
	throttles *series
	stats     CloudMapStats
}

var _ cloudmap.API = (*CloudMap)(nil)

// NewCloudMap returns the model; per-second counts start at origin.
func NewCloudMap(cfg CloudMapConfig, origin time.Time) *CloudMap {
	if cfg.Rate == 0 {
		cfg.Rate = 1000
	}
	if cfg.Burst == 0 {
		cfg.Burst = 2000
	}
	if cfg.Latency == nil {
		cfg.Latency = Latency(8*time.Millisecond, 4*time.Millisecond)
	}
	if cfg.Instances == 0 {
		cfg.Instances = 3
	}
	return &CloudMap{cfg: cfg, bucket: newBucket(cfg.Rate, cfg.Burst), calls: newSeries(origin, time.Second), throttles: newSeries(origin, time.Second)}
}

// Stats returns the counts so far.
func (m *CloudMap) Stats() CloudMapStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.PeakCallsPerSecond, s.PeakThrottledPerSecond = m.calls.peak(), m.throttles.peak()
	for _, n := range m.throttles.n {
		if n > 0 {
			s.ThrottledSeconds++
		}
	}
	return s
}

// PerSecond returns the calls and throttles of each second from the origin.
func (m *CloudMap) PerSecond() (calls, throttled []int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	calls = append([]int64(nil), m.calls.n...)
	for i := range calls {
		throttled = append(throttled, m.throttles.at(i))
	}
	return calls, throttled
}

// admit counts a call and reports whether the throttle lets it through; it
// waits half the latency first and the caller waits the other half.
func (m *CloudMap) admit(ctx context.Context, discover bool) (time.Duration, error) {
	lat := m.cfg.Latency()
	if err := wait(ctx, lat/2); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.stats.Calls++
	m.calls.add(now, 1)
	if !m.bucket.take(now, 1) {
		m.stats.Throttled++
		m.throttles.add(now, 1)
		return lat - lat/2, &sdtypes.RequestLimitExceeded{Message: aws.String("The operation can't be completed because you've reached the quota for the number of requests (model)")}
	}
	if discover {
		m.stats.Discover++
	} else {
		m.stats.Revision++
	}
	return lat - lat/2, nil
}

// DiscoverInstances implements cloudmap.API.
func (m *CloudMap) DiscoverInstances(ctx context.Context, in *servicediscovery.DiscoverInstancesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesOutput, error) {
	rest, err := m.admit(ctx, true)
	if werr := wait(ctx, rest); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	out := &servicediscovery.DiscoverInstancesOutput{InstancesRevision: aws.Int64(1)}
	for i := range m.cfg.Instances {
		out.Instances = append(out.Instances, sdtypes.HttpInstanceSummary{
			InstanceId:   aws.String(fmt.Sprintf("%s-%d", aws.ToString(in.ServiceName), i+1)),
			HealthStatus: sdtypes.HealthStatusHealthy,
			Attributes: map[string]string{
				cloudmap.AttrIPv4: "10.0.0." + strconv.Itoa(i+1),
				cloudmap.AttrPort: "8080",
			},
		})
	}
	return out, nil
}

// DiscoverInstancesRevision implements cloudmap.API.
func (m *CloudMap) DiscoverInstancesRevision(ctx context.Context, _ *servicediscovery.DiscoverInstancesRevisionInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesRevisionOutput, error) {
	rest, err := m.admit(ctx, false)
	if werr := wait(ctx, rest); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	return &servicediscovery.DiscoverInstancesRevisionOutput{InstancesRevision: aws.Int64(1)}, nil
}
