package dynamo

import (
	"context"
	"fmt"
	"log"
	"time"
)

// Each function instance's mesh client shares ejections through the state
// table (mesh.Config{Discoverer: d, Ejections: ejections}), so an instance
// ejected by one is avoided by all from their next refresh.
func Example() {
	api := newFake() // in a function: dynamodb.NewFromConfig(cfg), built at cold start
	ejections, err := New(api, "portico-state")
	if err != nil {
		log.Fatal(err)
	}
	now := time.UnixMilli(1_700_000_000_000)
	// One process ejects payment-v1-b for a minute...
	if err := ejections.Eject(context.Background(), "payment", "payment-v1-b", now.Add(time.Minute)); err != nil {
		log.Fatal(err)
	}
	// ...and the others read it when they refresh payment.
	got, err := ejections.Ejected(context.Background(), "payment", now.Add(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	for id, until := range got {
		fmt.Println(id, "returns in", until.Sub(now.Add(30*time.Second)))
	}
	// Output: payment-v1-b returns in 30s
}
