package reliability_test

import (
	"fmt"

	"github.com/portico-gw/portico/localstack/reliability"
)

// The mix interleaves the routes by weight, and every HotEvery-th request
// comes from the client IP that sends more than its limit.
func ExampleMix() {
	id := reliability.NewIdentities([]string{"token-a", "token-b"}, map[string]string{"load-1": "key-1"}, []string{"203.0.113.10"})
	mix := reliability.NewMix(map[string]int{"users": 2, "search": 1}, id, true)
	for i := range reliability.HotEvery {
		r := mix.Next(i)
		fmt.Println(r.Method, r.Path, r.Header.Get("X-Forwarded-For"))
	}
	// Output:
	// GET /api/v1/users/0 203.0.113.10
	// GET /api/v1/search?q=w1 203.0.113.10
	// GET /api/v1/users/2 203.0.113.10
	// GET /api/v1/users/3 203.0.113.10
	// GET /api/v1/search?q=w4 203.0.113.10
	// GET /api/v1/users/5 198.51.100.99
}
