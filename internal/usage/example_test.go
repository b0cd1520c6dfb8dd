package usage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/usage"
)

// Requests counted per API key, tenant and route, flushed to the store, and
// read back per tenant.
func Example() {
	store := usage.NewMemory()
	now := time.Date(2026, 1, 31, 15, 4, 5, 0, time.UTC)
	rec, _ := usage.New(usage.Config{Store: store, Now: func() time.Time { return now }})
	ctx := context.Background()
	rec.Record(ctx, usage.Event{APIKey: "0123456789abcdef", Tenant: "acme", Route: "users"})
	rec.Record(ctx, usage.Event{Tenant: "acme", Route: "search"})
	rec.Flush(ctx)

	rows, _ := store.Read(ctx, now, now, usage.Tenant, nil)
	for _, r := range rows {
		fmt.Println(r.Hour.Format("2006-01-02T15"), r.ID, r.Total, r.Routes["users"], r.Routes["search"])
	}
	// Output: 2026-01-31T15 acme 2 1 1
}
