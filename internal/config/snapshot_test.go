package config

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/ratelimit"
	"github.com/portico-gw/portico/pkg/transcode"
)

const testService = "portico.transcode.test.v1.TestService"

const routesDoc = `{"version": 1, "routes": [
  {"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"},
  {"id": "orders", "match": {"pathPrefix": "/api/v1/orders"}, "service": "order-service", "stripPrefix": "/api/v1", "timeout": "30s"},
  {"id": "echo", "match": {"path": "/v1/echo", "methods": ["POST"]},
   "grpc": {"service": "test-grpc", "descriptors": "test", "method": "` + testService + `/Echo", "body": "*"}}
 ],
 "permissions": [{"path": "/api/v1/users", "methods": ["DELETE"], "anyRole": ["admin"]}]}`

const limitsDoc = `{"version": 1, "rules": [{"name": "ip", "dimension": "ip", "requests": 5, "window": "1m"}]}`

func descriptors(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../pkg/transcode/testdata/test.binpb")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testSource(t testing.TB) *live.Memory {
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(routesDoc))
	src.Put(statetable.LimitsKey, []byte(limitsDoc))
	src.Put(statetable.DescriptorsKey("test"), descriptors(t))
	src.Put(statetable.PolicyKey("user-service"), []byte(`{"versions": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]}`))
	return src
}

func testBuilder() *Builder {
	return NewBuilder(SnapshotConfig{
		LimitStore: ratelimit.NewMemory(nil),
		Transcoding: transcode.Config{Resolver: transcode.ResolverFunc(func(context.Context, string) (string, error) {
			return "127.0.0.1:1", nil
		})},
	})
}

func TestSnapshotBuildsEveryPart(t *testing.T) {
	ctx := context.Background()
	src := testSource(t)
	s, err := testBuilder().Build(ctx, src, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if s.Revision != 4 || s.Routes.Len() != 3 {
		t.Fatalf("got revision %d with %d routes, want 4 and 3", s.Revision, s.Routes.Len())
	}
	if p, ok := s.Routes.Permission("DELETE", "/api/v1/users/1"); !ok || p.AnyRole[0] != "admin" {
		t.Errorf("got permission %+v %v, want the route document's admin rule", p, ok)
	}
	if d, err := s.Limits.Allow(ctx, ratelimit.Request{IP: "203.0.113.7"}); err != nil || d.Limit != 5 {
		t.Errorf("got limit decision %+v %v, want the document's 5 per minute", d, err)
	}
	if s.Transcoder("echo") == nil || s.Transcoder("users") != nil {
		t.Errorf("got transcoders echo=%v users=%v, want one for the gRPC route only", s.Transcoder("echo"), s.Transcoder("users"))
	}
	tests := []struct {
		service string
		ok      bool
		perTry  time.Duration
		weights int
	}{
		{"user-service", true, 0, 2},                 // stored policy, no explicit route timeout
		{"order-service", true, 30 * time.Second, 0}, // no policy, but a 30 s route: the per-try timeout follows it
		{"test-grpc", false, 0, 0},                   // neither: the mesh's own configuration
	}
	for _, tt := range tests {
		p, ok := s.Policy(tt.service)
		if ok != tt.ok || time.Duration(p.Retry.PerTryTimeout) != tt.perTry || len(p.Versions) != tt.weights {
			t.Errorf("%s: got %+v %v, want ok=%v per-try %s and %d versions", tt.service, p, ok, tt.ok, tt.perTry, tt.weights)
		}
	}
	if src.Reads.Documents != 2 {
		t.Errorf("got %d document reads, want 2 (the table and limits, then what the table names)", src.Reads.Documents)
	}
}

// Every document is checked before anything is swapped in, and the error
// names the document at fault.
func TestSnapshotRefusesInvalidDocuments(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		doc      []byte // nil removes it
		sentinel error
		want     string
	}{
		{"no route table", statetable.RoutesKey, nil, live.ErrMissing, "no route table"},
		{"route table not JSON", statetable.RoutesKey, []byte("{"), live.ErrInvalid, "route table"},
		{"permission without a rule", statetable.RoutesKey, []byte(`{"version":1,"routes":[],"permissions":[{"path":"/a"}]}`), live.ErrInvalid, "give anyRole, allScopes or both"},
		{"limits", statetable.LimitsKey, []byte(`{"version":1,"rules":[{"name":"x","dimension":"moon","requests":1,"window":"1m"}]}`), live.ErrInvalid, "limits"},
		{"usage claim", statetable.LimitsKey, []byte(`{"version":1,"rules":[],"usage":{"claim":"a b"}}`), live.ErrInvalid, "usage.claim"},
		{"policy", statetable.PolicyKey("user-service"), []byte(`{"versions":[{"version":"v1","weight":50}]}`), live.ErrInvalid, "policy of user-service"},
		{"missing descriptor set", statetable.DescriptorsKey("test"), nil, live.ErrMissing, `descriptor set "test"`},
		{"corrupt descriptor set", statetable.DescriptorsKey("test"), []byte("not a descriptor set"), live.ErrInvalid, `descriptor set "test"`},
		{"method not in the set", statetable.RoutesKey, []byte(strings.Replace(routesDoc, "/Echo", "/Nope", 1)), live.ErrInvalid, `route "echo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := testSource(t)
			src.Put(tt.key, tt.doc)
			_, err := testBuilder().Build(context.Background(), src, 1, nil)
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %v naming %q", err, tt.sentinel, tt.want)
			}
		})
	}
}

// A rebuild keeps the parts whose documents did not change: the limit set
// (its leases), the route table and the transcoders (their connections).
func TestSnapshotReusesUnchangedParts(t *testing.T) {
	ctx := context.Background()
	src := testSource(t)
	b := testBuilder()
	first, err := b.Build(ctx, src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.Put(statetable.PolicyKey("user-service"), []byte(`{"retry": {"attempts": 2}}`))
	second, err := b.Build(ctx, src, 2, first)
	if err != nil {
		t.Fatal(err)
	}
	if second.Routes != first.Routes || second.Limits != first.Limits || second.Transcoder("echo") != first.Transcoder("echo") {
		t.Fatal("a policy change rebuilt the routes, limits or transcoders")
	}
	if p, _ := second.Policy("user-service"); p.Retry.Attempts != 2 || len(p.Versions) != 0 {
		t.Fatalf("got policy %+v, want the new one", p)
	}
	// The shared transcoder survives the first snapshot's release.
	first.Release()
	if second.transcoders["echo"].refs.Load() != 1 {
		t.Fatalf("got %d references to the shared transcoder, want 1", second.transcoders["echo"].refs.Load())
	}
	src.Put(statetable.LimitsKey, []byte(`{"version": 1, "rules": [{"name": "ip", "dimension": "ip", "requests": 9, "window": "1m"}]}`))
	third, err := b.Build(ctx, src, 3, second)
	if err != nil {
		t.Fatal(err)
	}
	if third.Limits == second.Limits {
		t.Fatal("a limits change kept the old limit set")
	}
}

// The mesh reads policies from the snapshot in use, from memory.
func TestPoliciesFollowTheWatch(t *testing.T) {
	ctx := context.Background()
	src := testSource(t)
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	w, err := live.NewWatch(live.Config{Source: src, Refresh: 5 * time.Second, Now: c.Now}, testBuilder().Build)
	if err != nil {
		t.Fatal(err)
	}
	p := Policies{Watch: w}
	if _, _, err := p.Policy(ctx, "user-service"); err == nil {
		t.Fatal("got a policy before any configuration loaded, want an error")
	}
	if err := w.Load(ctx); err != nil {
		t.Fatal(err)
	}
	pol, ok, err := p.Policy(ctx, "user-service")
	if err != nil || !ok || len(pol.Versions) != 2 {
		t.Fatalf("got %+v %v %v, want the stored canary policy", pol, ok, err)
	}
	src.Put(statetable.PolicyKey("user-service"), []byte(`{"fault": {"abortPercent": 100, "abortStatus": 503}}`))
	c.advance(5 * time.Second)
	w.Current(ctx)
	if pol, _, _ := p.Policy(ctx, "user-service"); pol.Fault.AbortPercent != 100 {
		t.Fatalf("after a policy write: got %+v, want the fault policy", pol)
	}
	var _ mesh.PolicySource = p
}

// The limits document's usage section says what the usage counters count.
func TestSnapshotUsage(t *testing.T) {
	src := testSource(t)
	src.Put(statetable.LimitsKey, []byte(`{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":1,"window":"1m"}],"usage":{"claim":"Tenant"}}`))
	s, err := testBuilder().Build(context.Background(), src, 1, nil)
	if err != nil || s.Usage == nil || s.Usage.Claim != "tenant" {
		t.Fatalf("got %+v, %v; want usage per the claim tenant", s, err)
	}
	src.Put(statetable.LimitsKey, []byte(`{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":1,"window":"1m"}]}`))
	if s, err = testBuilder().Build(context.Background(), src, 2, s); err != nil || s.Usage != nil {
		t.Fatalf("got %+v, %v; want no usage without the section", s.Usage, err)
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
