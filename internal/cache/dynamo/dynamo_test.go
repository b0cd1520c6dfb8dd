package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/portico-gw/portico/internal/cache"
)

// fakeAPI keeps items in a map, like a table, and counts calls.
type fakeAPI struct {
	items      map[string]map[string]ddbtypes.AttributeValue
	err        error
	gets, puts int
}

func newFake() *fakeAPI { return &fakeAPI{items: map[string]map[string]ddbtypes.AttributeValue{}} }

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets++
	if f.err != nil {
		return nil, f.err
	}
	return &dynamodb.GetItemOutput{Item: f.items[in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value]}, nil
}

func (f *fakeAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.puts++
	if f.err != nil {
		return nil, f.err
	}
	f.items[in.Item[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func TestRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	api := newFake()
	s, err := New(api, "portico", clock)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := &cache.Entry{Status: 203, Header: http.Header{"Content-Type": {"application/json"}, "Vary": {"Accept-Language"}},
		Body: []byte{0x1f, 0x8b, 1, 2, 3}, Stored: now.Add(-1500 * time.Millisecond), Fresh: now.Add(time.Minute), Stale: now.Add(2*time.Minute + 300*time.Millisecond)}
	if err := s.Put(ctx, "cache#abc", in); err != nil {
		t.Fatal(err)
	}
	item := api.items["cache#abc"]
	if ttl := item[TTLAttr].(*ddbtypes.AttributeValueMemberN).Value; ttl != fmt.Sprint(now.Add(2*time.Minute).Unix()+1) {
		t.Fatalf("got ttl %s, want the stale time rounded up to a second", ttl)
	}
	got, err := s.Get(ctx, "cache#abc")
	if err != nil || got == nil {
		t.Fatalf("got %v, %v; want the entry", got, err)
	}
	if got.Status != 203 || got.Header.Get("Vary") != "Accept-Language" || string(got.Body) != string(in.Body) ||
		!got.Stored.Equal(in.Stored) || !got.Fresh.Equal(in.Fresh) {
		t.Fatalf("got %+v, want %+v", got, in)
	}
	if e, err := s.Get(ctx, "cache#absent"); e != nil || err != nil {
		t.Fatalf("absent: got %v, %v; want nil, nil", e, err)
	}
	// Past the TTL but not yet deleted by DynamoDB: ignored.
	now = now.Add(3 * time.Minute)
	if e, err := s.Get(ctx, "cache#abc"); e != nil || err != nil {
		t.Fatalf("expired: got %v, %v; want nil, nil", e, err)
	}
}

func TestPutTooLarge(t *testing.T) {
	api := newFake()
	s, _ := New(api, "portico", nil)
	err := s.Put(context.Background(), "cache#big", &cache.Entry{Status: 200, Body: make([]byte, 401<<10), Stale: time.Now().Add(time.Hour)})
	if !errors.Is(err, ErrTooLarge) || api.puts != 0 {
		t.Fatalf("got %v after %d puts, want ErrTooLarge and no call", err, api.puts)
	}
}

func TestErrorsStayInside(t *testing.T) {
	api := newFake()
	api.err = &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no table"}
	s, _ := New(api, "portico", nil)
	var apiErr smithy.APIError
	if _, err := s.Get(context.Background(), "k"); err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Fatalf("Get: got %v, want the message without the SDK's type", err)
	}
	if err := s.Put(context.Background(), "k", &cache.Entry{}); err == nil || errors.As(err, &apiErr) {
		t.Fatalf("Put: got %v, want an error without the SDK's type", err)
	}
}

// TestCacheOverStore runs the cache over the DynamoDB store: a miss writes
// once, a hit reads once, and the in-memory tier saves the read.
func TestCacheOverStore(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	api := newFake()
	s, _ := New(api, "portico", clock)
	c, err := cache.New(cache.Config{Store: s, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	p := cache.Policy{TTL: time.Minute, Query: []string{"q"}}
	calls := 0
	fetch := func(_ context.Context, req cache.Request) (*cache.Response, error) {
		calls++
		return &cache.Response{Status: 200, Header: http.Header{}, Body: []byte("results for " + req.Query.Get("q"))}, nil
	}
	req := cache.Request{Method: "GET", Path: "/api/v1/search", Query: map[string][]string{"q": {"shoes"}}}
	for _, want := range []string{"MISS", "HIT", "HIT"} {
		r, err := c.Do(context.Background(), p, req, fetch)
		if err != nil || r.Header.Get("X-Cache") != want || string(r.Body) != "results for shoes" {
			t.Fatalf("got %v %q %q, want %s with the results", err, r.Header.Get("X-Cache"), r.Body, want)
		}
	}
	if calls != 1 || api.puts != 1 || api.gets != 3 {
		t.Fatalf("got %d backend calls, %d puts, %d gets; want 1, 1, 3", calls, api.puts, api.gets)
	}
}

func ExampleStore() {
	// In production api is dynamodb.NewFromConfig(cfg); the fake keeps items
	// in memory.
	store, err := New(newFake(), "portico", nil)
	if err != nil {
		panic(err)
	}
	c, err := cache.New(cache.Config{Store: store, LocalTTL: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	search := cache.Policy{TTL: time.Minute, Query: []string{"q"}}
	fetch := func(_ context.Context, req cache.Request) (*cache.Response, error) {
		return &cache.Response{Status: 200, Header: http.Header{}, Body: []byte("results for " + req.Query.Get("q"))}, nil
	}
	for range 2 {
		r, _ := c.Do(context.Background(), search, cache.Request{Method: "GET", Path: "/api/v1/search", Query: map[string][]string{"q": {"shoes"}, "utm": {"x"}}}, fetch)
		fmt.Println(r.Header.Get("X-Cache"), string(r.Body))
	}
	// Output:
	// MISS results for shoes
	// HIT results for shoes
}
