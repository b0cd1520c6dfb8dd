//go:build e2e

package reliability

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/reliability"
)

// testWriter sends the harness's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Two rows of the fault matrix, shortened: DynamoDB throttling every call
// (the fail-closed limit must not admit, the fail-open one admits at most its
// floor beyond its counter, every request answered, back at once), and one
// instance of two answering 503 (retries and ejection: every request
// answered as allowed, back at once). RELIABILITY.md has the full matrix.
func TestQuickFaultMatrix(t *testing.T) {
	cfg, err := reliability.ConfigFromEnv(os.Getenv, "../../terraform/reliability")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := reliability.Up(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := reliability.RunRows(ctx, s, reliability.Options{Rate: 10, Warm: 10 * time.Second, Scale: 0.5, NoLeaks: true},
		[]string{"dynamodb-throttled", "backend-5xx-storm"}, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range rows {
		t.Run(rr.Row.ID, func(t *testing.T) {
			if rr.Err != nil {
				t.Fatal(rr.Err)
			}
			lost := 0
			for _, r := range rr.Results {
				if r.Status == 0 {
					lost++
				}
			}
			if len(rr.Results) < 200 || lost > 0 {
				t.Errorf("got %d requests, %d without an answer; want at least 200, none lost", len(rr.Results), lost)
			}
			if v := rr.Checks["over-admission"]; v != "" {
				t.Errorf("over-admission: %s", v)
			}
			if v := rr.Checks["cache"]; v != "" {
				t.Errorf("cache: %s", v)
			}
			if !rr.Recovered || rr.Recovery > rr.Row.Recovery {
				t.Errorf("got recovery %s (recovered: %v), want within %s", rr.Recovery, rr.Recovered, rr.Row.Recovery)
			}
			for i, v := range rr.Violations {
				if i == 5 {
					t.Errorf("… %d answers not allowed in all", len(rr.Violations))
					break
				}
				t.Errorf("not allowed: %s %s due %s after the fault began: %s; body %q", v.Result.Route, v.Result.Tag, v.Result.At.Sub(rr.FaultStart).Round(time.Millisecond), v.Why, v.Result.Body)
			}
			for _, n := range rr.Notes {
				t.Log(n)
			}
		})
	}
}
