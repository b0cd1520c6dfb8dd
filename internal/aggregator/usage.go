package aggregator

import (
	"log/slog"

	"github.com/portico-gw/portico/internal/usage"
	usagedynamo "github.com/portico-gw/portico/internal/usage/dynamo"
)

// usageRecorder counts served requests in the state table's usage items
// (package usage); the gateway records only when the limits document has a
// usage section.
func usageRecorder(ddb usagedynamo.API, env Env, log *slog.Logger) (*usage.Recorder, error) {
	store, err := usagedynamo.New(ddb, env.Table, 0)
	if err != nil {
		return nil, err
	}
	return usage.New(usage.Config{Store: store, Flush: env.UsageFlush, StoreTimeout: env.StoreTimeout, Logger: log})
}
