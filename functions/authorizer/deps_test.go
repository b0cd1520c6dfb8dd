package main

import (
	"os/exec"
	"slices"
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

// The authorizer reads its settings from the state table without the AWS
// SDK's DynamoDB client (package config/dynamohttp) and without the
// gateway's configuration (routes, limits, transcoders, the mesh), which
// would each add megabytes to it.
func TestAuthorizerLinksNoDynamoDBClientNorGateway(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/portico-gw/portico/internal/config/dynamohttp") {
		t.Fatalf("got %d dependencies without config/dynamohttp, want the authorizer's list", len(deps))
	}
	for _, d := range deps {
		for _, banned := range []string{
			"github.com/aws/aws-sdk-go-v2/service/",
			"github.com/portico-gw/portico/internal/config/dynamo",
			"github.com/portico-gw/portico/pkg/mesh",
			"github.com/portico-gw/portico/pkg/transcode",
			"github.com/portico-gw/portico/internal/route",
			"github.com/portico-gw/portico/internal/gateway",
		} {
			if d == banned || strings.HasPrefix(d, banned+"/") || (strings.HasSuffix(banned, "/") && strings.HasPrefix(d, banned)) {
				t.Errorf("the authorizer links %s", d)
			}
		}
		if d == "github.com/portico-gw/portico/internal/config" {
			t.Errorf("the authorizer links %s, the gateway's snapshot", d)
		}
	}
}
