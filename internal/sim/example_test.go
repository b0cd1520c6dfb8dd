package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/sim"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// A small fleet for one real second (inside a testing/synctest bubble the
// same call takes no real time, whatever its Duration): four instances
// share a limit of 100 requests a second with leases of 5, while 150 a
// second arrive.
func ExampleRunLimits() {
	r, err := sim.RunLimits(context.Background(), sim.Limits{
		Instances: 4, Offered: 150, Duration: time.Second, Seed: 1,
		Rule:   ratelimit.Config{Name: "global", Requests: 100, Window: time.Second, Lease: 5},
		Dynamo: sim.DynamoConfig{Latency: sim.Latency(time.Millisecond, 0)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("admitted within the limit:", r.Admitted <= 100)
	fmt.Println("throttled writes:", r.DB.Throttled)
	// Output:
	// admitted within the limit: true
	// throttled writes: 0
}
