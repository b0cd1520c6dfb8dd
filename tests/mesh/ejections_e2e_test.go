//go:build e2e

package mesh

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/dynamo"
)

// hostCounter is a transport that answers 503 for one host and 200 for the
// others, and counts requests per host.
type hostCounter struct {
	mu      sync.Mutex
	failing string
	counts  map[string]int
}

func (h *hostCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.counts[req.URL.Host]++
	h.mu.Unlock()
	status := http.StatusOK
	if req.URL.Host == h.failing {
		status = http.StatusServiceUnavailable
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

func (h *hostCounter) count(host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[host]
}

// Two processes' mesh clients share ejections through a DynamoDB table: the
// first ejects a failing instance after its 5th 5xx and publishes it; the
// second, which never saw a failure, sends it nothing from its next refresh.
func TestSharedEjectionsInDynamoDB(t *testing.T) {
	endpoint := os.Getenv("PORTICO_ENDPOINT")
	if endpoint == "" {
		t.Fatal("PORTICO_ENDPOINT is not set (run the tests with make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: endpoint, CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	table := fmt.Sprintf("e2e-mesh-ejections-%d", time.Now().UnixNano())
	_, err = ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(dynamo.KeyAttr), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(dynamo.KeyAttr), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
			t.Errorf("clean up table %s: %v", table, err)
		}
	})
	if err := dynamodb.NewTableExistsWaiter(ddb).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	ejections, err := dynamo.New(ddb, table)
	if err != nil {
		t.Fatal(err)
	}

	// The conditional write keeps the later end, as DynamoDB evaluates it.
	now := time.Now()
	if err := ejections.Eject(ctx, "probe", "x", now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := ejections.Eject(ctx, "probe", "x", now.Add(time.Minute)); err != nil {
		t.Fatalf("an earlier ejection: got %v, want it ignored without an error", err)
	}
	got, err := ejections.Ejected(ctx, "probe", now)
	if err != nil || !got["x"].Equal(now.Add(2*time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("got %v, %v; want x until now + 2 min", got, err)
	}

	a := mesh.Instance{ID: "payment-a", Address: "10.0.0.1", Port: 80}
	b := mesh.Instance{ID: "payment-b", Address: "10.0.0.2", Port: 80}
	client := func(tr *hostCounter) *mesh.Client {
		c, err := mesh.New(mesh.Config{
			Discoverer: staticInstances{"payment": {a, b}}, Transport: tr, Ejections: ejections,
			RefreshInterval: time.Nanosecond, // every request refreshes: adopts shared ejections at once
			Policy:          mesh.Policy{LoadBalancer: mesh.RoundRobin, Retry: mesh.Retry{Attempts: 1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	call := func(c *mesh.Client) {
		resp, err := c.HTTPClient().Get("http://payment/charge")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	first := &hostCounter{failing: a.HostPort(), counts: map[string]int{}}
	second := &hostCounter{counts: map[string]int{}}
	one, two := client(first), client(second)
	for range 10 { // round robin: the 5th failure of a ejects it
		call(one)
	}
	if n := first.count(a.HostPort()); n != 5 {
		t.Fatalf("got %d requests to a from the first client, want 5 (ejected after the 5th failure)", n)
	}
	got, err = ejections.Ejected(ctx, "payment", time.Now())
	if err != nil || got[a.ID].IsZero() {
		t.Fatalf("got shared ejections %v, %v; want %s", got, err, a.ID)
	}
	for range 20 {
		call(two)
	}
	if n := second.count(a.HostPort()); n != 0 {
		t.Fatalf("got %d requests to the ejected a from the second client, want 0", n)
	}
}
