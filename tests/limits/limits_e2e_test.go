//go:build e2e

package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/cache"
	cachedynamo "github.com/portico-gw/portico/internal/cache/dynamo"
	"github.com/portico-gw/portico/pkg/ratelimit"
	limitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

// calls counts DynamoDB operations by name, through an SDK middleware.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

// middleware counts each operation once (Initialize step) and each attempt
// at it, retries included ("<operation> attempts", Finalize step, after the
// SDK's retry middleware).
func (c *calls) middleware(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PorticoCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("PorticoCountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[middleware.GetOperationName(ctx)+" attempts"]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *calls) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *calls) reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}

// table creates a DynamoDB table of the tests' own, with the TTL attribute
// enabled, and deletes it when the test ends.
func table(t *testing.T) (*dynamodb.Client, string, *calls) {
	t.Helper()
	endpoint := os.Getenv("PORTICO_ENDPOINT")
	if endpoint == "" {
		t.Fatal("PORTICO_ENDPOINT is not set (run the tests with make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: endpoint, CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	counter := &calls{n: map[string]int{}}
	api := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, counter.middleware) })
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "portico-limits-e2e-" + hex.EncodeToString(suffix)
	_, err = api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(limitdynamo.KeyAttr), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(limitdynamo.KeyAttr), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := api.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	if err := dynamodb.NewTableExistsWaiter(api).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("wait for table: %v", err)
	}
	_, err = api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(limitdynamo.TTLAttr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("enable TTL: %v", err)
	}
	counter.reset()
	return api, name, counter
}

// TestLimiterInstancesHammerOneKey: several limiter instances (standing in for
// Lambda instances, each with its own leases and deny cache) × many goroutines
// hammer one key through the real DynamoDB store. Tokens are counted before
// they are spent, so the admitted count never exceeds the limit; leases may
// strand at most instances × (Lease − 1) tokens per shard, and a write retried
// after an unknown outcome (the emulator drops HTTP/2 connections under load,
// the SDK retries) may count twice, so each retry may cost one admission.
func TestLimiterInstancesHammerOneKey(t *testing.T) {
	api, name, counter := table(t)
	store, err := limitdynamo.New(api, name)
	if err != nil {
		t.Fatal(err)
	}
	const instances, goroutines, each = 4, 8, 24 // 768 requests
	// A fixed clock: one window for the whole test, whatever the wall clock does.
	at := time.Now()
	now := func() time.Time { return at }
	tests := []struct {
		name   string
		cfg    ratelimit.Config
		strand int64
	}{
		{"fixed", ratelimit.Config{Requests: 300}, 0},
		{"leased", ratelimit.Config{Requests: 300, Lease: 10}, instances * 9},
		{"sharded", ratelimit.Config{Requests: 300, Shards: 4}, 0},
		{"sharded leased", ratelimit.Config{Requests: 300, Shards: 4, Lease: 10}, 4 * instances * 9},
		{"sliding", ratelimit.Config{Requests: 300, Algorithm: ratelimit.SlidingWindow}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counter.reset()
			var admitted, denied atomic.Int64
			var wg sync.WaitGroup
			for range instances {
				cfg := tt.cfg
				cfg.Name, cfg.Window, cfg.Store, cfg.Now = "e2e-"+tt.name, time.Hour, store, now
				// The emulator under 32 writers answers far slower than
				// DynamoDB; this test is about exactness, not timeouts.
				cfg.StoreTimeout = 5 * time.Second
				l, err := ratelimit.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				for range goroutines {
					wg.Go(func() {
						for range each {
							ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
							d, err := l.Allow(ctx, "hot")
							cancel()
							switch {
							case err != nil:
								t.Error(err)
								return
							case d.Allowed:
								admitted.Add(1)
							default:
								denied.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			requests := admitted.Load() + denied.Load()
			got, limit := admitted.Load(), tt.cfg.Requests
			writes := counter.get("UpdateItem")
			retries := int64(counter.get("UpdateItem attempts") - writes)
			t.Logf("%s: %d requests, %d admitted of %d (over-admission %d), %d writes (%.0f per 1,000 requests, %d retried), %d reads",
				tt.name, requests, got, limit, max(got-limit, 0), writes, float64(writes)*1000/float64(requests), retries, counter.get("GetItem"))
			if got > limit || got < limit-tt.strand-retries {
				t.Fatalf("got %d admitted, want %d to %d", got, limit-tt.strand-retries, limit)
			}
		})
	}
}

// TestDenyCacheSavesCalls: once a key is denied, further denials in the
// window make no DynamoDB call.
func TestDenyCacheSavesCalls(t *testing.T) {
	api, name, counter := table(t)
	store, _ := limitdynamo.New(api, name)
	at := time.Now()
	l, err := ratelimit.New(ratelimit.Config{Name: "deny", Requests: 5, Window: time.Hour, Store: store, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 6 {
		if _, err := l.Allow(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	before := counter.get("UpdateItem")
	for range 100 {
		if d, _ := l.Allow(ctx, "k"); d.Allowed {
			t.Fatal("got allowed, want denied")
		}
	}
	if got := counter.get("UpdateItem") - before; got != 0 {
		t.Fatalf("got %d DynamoDB calls for 100 cached denials, want 0", got)
	}
	// Every item carries its TTL.
	out, err := api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name),
		Key: map[string]ddbtypes.AttributeValue{limitdynamo.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("%sdeny#k#%d", limitdynamo.KeyPrefix, at.Truncate(time.Hour).Unix())}}})
	if err != nil || out.Item == nil || out.Item[limitdynamo.TTLAttr] == nil {
		t.Fatalf("counter item: got %v, %v; want an item with %s", out.Item, err, limitdynamo.TTLAttr)
	}
}

// TestStoreUnreachable: with DynamoDB unreachable, each fail mode holds and
// the retries stay inside the deadline.
func TestStoreUnreachable(t *testing.T) {
	ctx := context.Background()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	api := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	store, _ := limitdynamo.New(api, "absent")
	for _, mode := range []ratelimit.FailMode{ratelimit.FailClosed, ratelimit.FailOpen} {
		t.Run(mode.String(), func(t *testing.T) {
			l, err := ratelimit.New(ratelimit.Config{Name: "down", Requests: 10, Window: time.Minute, Store: store, FailMode: mode, Floor: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			d, err := l.Allow(ctx, "k")
			if mode == ratelimit.FailClosed && !errors.Is(err, ratelimit.ErrUnavailable) {
				t.Fatalf("got %+v, %v; want ErrUnavailable", d, err)
			}
			if mode == ratelimit.FailOpen && (err != nil || !d.Allowed || !d.Degraded) {
				t.Fatalf("got %+v, %v; want allowed by the floor, degraded", d, err)
			}
			if ctx.Err() != nil {
				t.Fatal("the decision outlived the deadline")
			}
		})
	}
}

// TestCacheThroughDynamoDB: the products policy through the real store: a
// miss writes once, a hit reads once, another language misses, and the item
// carries its TTL.
func TestCacheThroughDynamoDB(t *testing.T) {
	api, name, counter := table(t)
	store, err := cachedynamo.New(api, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	products := cache.Policy{TTL: 5 * time.Minute, Vary: []string{"Accept-Language", "Accept-Encoding"}}
	backendCalls := 0
	fetch := func(_ context.Context, req cache.Request) (*cache.Response, error) {
		backendCalls++
		return &cache.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"products":[{"id":"p-1"}],"lang":"` + req.Header.Get("Accept-Language") + `","user":"` + req.Header.Get("X-User-Id") + `"}`)}, nil
	}
	ctx := context.Background()
	tests := []struct {
		lang, user, want string
	}{{"en", "alice", "MISS"}, {"en", "bob", "HIT"}, {"fr", "bob", "MISS"}}
	for _, tt := range tests {
		req := cache.Request{Method: "GET", Path: "/api/v1/products", Header: http.Header{"Accept-Language": {tt.lang}, "X-User-Id": {tt.user}}}
		r, err := c.Do(ctx, products, req, fetch)
		if err != nil || r.Header.Get("X-Cache") != tt.want || string(r.Body) != `{"products":[{"id":"p-1"}],"lang":"`+tt.lang+`","user":""}` {
			t.Fatalf("%s as %s: got %v %q %s, want %s without the user", tt.lang, tt.user, err, r.Header.Get("X-Cache"), r.Body, tt.want)
		}
	}
	if backendCalls != 2 || counter.get("PutItem") != 2 || counter.get("GetItem") != 3 {
		t.Fatalf("got %d backend calls, %d puts, %d gets; want 2, 2, 3", backendCalls, counter.get("PutItem"), counter.get("GetItem"))
	}
	key := cache.Key(products, cache.Request{Method: "GET", Path: "/api/v1/products", Header: http.Header{"Accept-Language": {"en"}}})
	out, err := api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name),
		Key: map[string]ddbtypes.AttributeValue{cachedynamo.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: key}}})
	if err != nil || out.Item == nil || out.Item[cachedynamo.TTLAttr] == nil {
		t.Fatalf("cache item: got %v, %v; want an item with %s", out.Item, err, cachedynamo.TTLAttr)
	}
}
