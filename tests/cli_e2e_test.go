//go:build e2e

package tests

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/cli"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// portico runs the portico command in this process against the stack's
// state table and returns its exit code and output.
func portico(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string {
			if k == "PORTICO_TABLE" {
				return stack.table
			}
			return ""
		},
		Table: func(context.Context) (cli.TableAPI, error) { return dynamodb.NewFromConfig(stack.aws), nil },
	})
	return code, out.String() + errOut.String()
}

// The documents Terraform wrote to the stack's table pass portico check with
// the descriptor set, explain says what the stack does, and openapi writes a
// document: the command agrees with what is deployed.
func TestPorticoCommandOnTheDeployedDocuments(t *testing.T) {
	dir := t.TempDir()
	db := dynamodb.NewFromConfig(stack.aws)
	for _, doc := range []struct{ key, file string }{{statetable.RoutesKey, "routes.json"}, {statetable.LimitsKey, "limits.json"}} {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(stack.table),
			Key: map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: doc.key}}, ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			t.Fatalf("read %s: %v", doc.key, err)
		}
		if err := os.WriteFile(filepath.Join(dir, doc.file), []byte(out.Item[statetable.DocumentAttr].(*ddbtypes.AttributeValueMemberS).Value), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	routes, limits := filepath.Join(dir, "routes.json"), filepath.Join(dir, "limits.json")
	if code, out := portico(t, "check", routes, limits, "payments=../localstack/grpcpay/payments.binpb"); code != cli.ExitOK || !strings.Contains(out, "valid route table") {
		t.Fatalf("check: got %d\n%s", code, out)
	}
	code, out := portico(t, "explain", "--routes", routes, "--limits", limits, "--ip", "10.1.1.1", "POST", "/partner/v1/users")
	if code != cli.ExitOK || !strings.Contains(out, "route: partner") || !strings.Contains(out, "body: at most 256 bytes") {
		t.Fatalf("explain: got %d\n%s", code, out)
	}
	// What explain says, the stack does.
	h := bearer(token(t, devtoken.Claims{Subject: "user-explain"}))
	h["X-Forwarded-For"] = "10.1.1.1"
	if a := send(t, "POST", "/partner/v1/users", strings.NewReader(strings.Repeat("y", 257)), h); a.status != 413 {
		t.Fatalf("the stack: got %d %s, want 413 as explain says", a.status, a.body)
	}
	if code, out := portico(t, "openapi", "--routes", routes, "--descriptors", "payments=../localstack/grpcpay/payments.binpb", "-o", filepath.Join(dir, "openapi.json")); code != cli.ExitOK {
		t.Fatalf("openapi: got %d\n%s", code, out)
	}
}

// portico keys lists the stack's three demo keys by name, tier and ID,
// never the key itself.
func TestPorticoKeysThroughTheStack(t *testing.T) {
	keys := apiKeys(t)
	code, out := portico(t, "keys")
	if code != cli.ExitOK {
		t.Fatalf("got %d\n%s", code, out)
	}
	for _, tier := range []string{"free", "pro", "enterprise"} {
		if !strings.Contains(out, stack.name+"-demo-"+tier) {
			t.Errorf("got\n%s\nwant the key %s-demo-%s", out, stack.name, tier)
		}
		if strings.Contains(out, keys[tier]) {
			t.Errorf("got the key itself in the listing")
		}
	}
}

// The aggregator counts the requests it serves per API key, tenant and route
// (PORTICO_USAGE_FLUSH is 1s in terraform/local), and portico usage reads
// them back by key, without a scan.
func TestUsageCountersThroughTheStack(t *testing.T) {
	keys := apiKeys(t)
	tenant := "usage-" + randomID(t)
	h := withKey(bearer(token(t, devtoken.Claims{Subject: "user-usage", Roles: []string{"reader"}, Extra: map[string]any{"https://portico.dev/tenant": tenant}})), keys["pro"])
	h["X-Forwarded-For"] = "198.51.100.202"
	for range 3 {
		if a := call(t, "GET", "/api/v1/users/usage", h); a.status != 200 {
			t.Fatalf("got %d %s, want 200", a.status, a.body)
		}
	}
	if a := call(t, "GET", "/api/v1/notifications", h); a.status != 200 {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	from := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15")
	var out string
	// Counts wait in each warm instance until a request finds a flush due;
	// keep the traffic going until all four are written.
	waitFor(t, "the tenant's four requests in the usage counters", func() bool {
		time.Sleep(1100 * time.Millisecond)
		call(t, "GET", "/api/v1/users/flush", bearer(token(t, devtoken.Claims{Subject: "user-flush"})))
		var code int
		code, out = portico(t, "usage", "--from", from, "--tenant", tenant)
		return code == cli.ExitOK && strings.Contains(out, "notifications 1, users 3")
	})
	if !strings.Contains(out, tenant+"  4") {
		t.Errorf("got\n%s\nwant %s with 4 requests", out, tenant)
	}
	code, byKey := portico(t, "usage", "--from", from, "--by", "key")
	if code != cli.ExitOK || !strings.Contains(byKey, "users ") {
		t.Errorf("by key: got %d\n%s", code, byKey)
	}
}
