package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The authorizer does not trace: neither the X-Ray writer nor the
// OpenTelemetry exporter is linked into it, so its size budget does not grow
// with them (the aggregator's tracing is configured at run time, not built in
// here).
func TestAuthorizerLinksNoTracing(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("got %d dependencies, want the authorizer's list", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/portico-gw/portico/pkg/trace") || strings.HasPrefix(d, "go.opentelemetry.io/") {
			t.Errorf("the authorizer links %s", d)
		}
	}
}
