package dynamo

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

// listTable evaluates the claim and the store of a Discovery the way
// DynamoDB would, on items in memory. hang makes every call wait for its
// context; failing makes every call fail; afterRead runs after each read.
type listTable struct {
	mu        sync.Mutex
	items     map[string]map[string]ddbtypes.AttributeValue
	reads     int
	hang      bool
	failing   error
	afterRead func()
}

func newListTable() *listTable {
	return &listTable{items: map[string]map[string]ddbtypes.AttributeValue{}}
}

func (f *listTable) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.failing != nil {
		return nil, f.failing
	}
	f.mu.Lock()
	f.reads++
	item := f.items[in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value]
	out := map[string]ddbtypes.AttributeValue{}
	for k, v := range item {
		out[k] = v
	}
	after := f.afterRead
	f.mu.Unlock()
	if after != nil {
		after()
	}
	if !aws.ToBool(in.ConsistentRead) {
		return nil, errors.New("fake: want a strongly consistent read")
	}
	return &dynamodb.GetItemOutput{Item: out}, nil
}

func (f *listTable) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.failing != nil {
		return nil, f.failing
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	pk := in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	item := f.items[pk]
	if item == nil {
		item = map[string]ddbtypes.AttributeValue{KeyAttr: in.Key[KeyAttr]}
	}
	v := in.ExpressionAttributeValues
	switch {
	case aws.ToString(in.UpdateExpression) == ClaimUpdate && aws.ToString(in.ConditionExpression) == ClaimCondition:
		if c, ok := item[ClaimAttr]; ok && num(c) >= num(v[":now"]) {
			return nil, &ddbtypes.ConditionalCheckFailedException{}
		}
		item[ClaimAttr] = v[":until"]
		if _, ok := item[TTLAttr]; !ok {
			item[TTLAttr] = v[":ttl"]
		}
	case aws.ToString(in.UpdateExpression) == StoreUpdate && aws.ToString(in.ConditionExpression) == StoreCondition:
		if at, ok := item[ListedAttr]; ok && num(at) >= num(v[":at"]) {
			return nil, &ddbtypes.ConditionalCheckFailedException{}
		}
		item[InstancesAttr], item[RevisionAttr], item[ListedAttr], item[TTLAttr] = v[":i"], v[":r"], v[":at"], v[":ttl"]
	default:
		return nil, errors.New("fake: unexpected expression " + aws.ToString(in.UpdateExpression))
	}
	f.items[pk] = item
	return &dynamodb.UpdateItemOutput{}, nil
}

// registry is a mesh.RevisionDiscoverer that counts its calls.
type registry struct {
	mu        sync.Mutex
	calls     int
	instances []mesh.Instance
	revision  int64
	err       error
}

func (r *registry) Discover(ctx context.Context, service string) ([]mesh.Instance, error) {
	in, _, err := r.DiscoverRevision(ctx, service)
	return in, err
}

func (r *registry) DiscoverRevision(context.Context, string) ([]mesh.Instance, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return nil, 0, r.err
	}
	return r.instances, r.revision, nil
}

func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

var listed = []mesh.Instance{{ID: "a", Address: "10.0.0.1", Port: 8080, Attributes: map[string]string{"version": "v1"}, Health: mesh.HealthHealthy}}

// clockAt is a settable clock.
type clockAt struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clockAt) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clockAt) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newShared(t *testing.T, table *listTable, reg *registry, clock *clockAt) *Discovery {
	t.Helper()
	d, err := NewDiscovery(table, "state", DiscoveryConfig{Next: reg, MaxAge: 15 * time.Second, Wait: 300 * time.Millisecond, Timeout: 50 * time.Millisecond, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Processes sharing a table ask the registry once per MaxAge between them:
// the first stores the list, the others read it until it is MaxAge old,
// when the next one to look claims the refresh.
func TestSharedDiscoveryAsksRegistryOncePerMaxAge(t *testing.T) {
	table, reg := newListTable(), &registry{instances: listed, revision: 3}
	clock := &clockAt{t: time.Unix(1_700_000_000, 0)}
	procs := []*Discovery{newShared(t, table, reg, clock), newShared(t, table, reg, clock), newShared(t, table, reg, clock)}
	steps := []struct {
		name      string
		advance   time.Duration
		wantCalls int
	}{
		{"cold", 0, 1},
		{"within MaxAge", 14 * time.Second, 1},
		{"at MaxAge", time.Second, 2},
		{"just after", 10 * time.Millisecond, 2},
	}
	for _, s := range steps {
		clock.add(s.advance)
		for i, p := range procs {
			got, rev, err := p.DiscoverRevision(context.Background(), "payment")
			if err != nil || len(got) != 1 || got[0].ID != "a" || got[0].Attributes["version"] != "v1" || got[0].Health != mesh.HealthHealthy || rev != 3 {
				t.Fatalf("%s, process %d: got %+v, revision %d, %v; want instance a (v1, healthy), revision 3", s.name, i, got, rev, err)
			}
		}
		if got := reg.count(); got != s.wantCalls {
			t.Fatalf("%s: got %d registry calls, want %d", s.name, got, s.wantCalls)
		}
	}
}

// A process that finds no list while another holds the claim waits for that
// one's answer; if none comes within Wait, it asks the registry itself.
func TestSharedDiscoveryWaitsForTheClaimant(t *testing.T) {
	tests := []struct {
		name      string
		storeLate bool // the claimant stores its list during the wait
		wantCalls int
	}{
		{"the claimant answers", true, 0},
		{"the claimant never answers", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, reg := newListTable(), &registry{instances: listed, revision: 3}
			clock := &clockAt{t: time.Now()}
			// Another process claimed a moment ago and has stored nothing yet.
			table.items[DiscoveryPrefix+"payment"] = map[string]ddbtypes.AttributeValue{
				ClaimAttr: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(clock.now().Add(5*time.Second).UnixMilli(), 10)},
			}
			if tt.storeLate {
				var once sync.Once
				table.afterRead = func() {
					once.Do(func() {
						other, _ := NewDiscovery(table, "state", DiscoveryConfig{Next: &registry{instances: listed, revision: 3}, Now: clock.now})
						if err := other.store(context.Background(), "payment", listed, 3, clock.now()); err != nil {
							t.Error(err)
						}
					})
				}
			}
			d, err := NewDiscovery(table, "state", DiscoveryConfig{Next: reg, Wait: 300 * time.Millisecond, Now: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Discover(context.Background(), "payment")
			if err != nil || len(got) != 1 || got[0].ID != "a" {
				t.Fatalf("got %+v, %v; want instance a", got, err)
			}
			if reg.count() != tt.wantCalls {
				t.Fatalf("got %d registry calls, want %d", reg.count(), tt.wantCalls)
			}
		})
	}
}

// When the table fails or hangs, each process asks the registry (within
// Timeout for a hanging table); when the registry fails while a stale list
// is stored, the stale list stands in.
func TestSharedDiscoveryFaults(t *testing.T) {
	tests := []struct {
		name       string
		setUp      func(*listTable, *registry, *clockAt)
		wantErr    bool
		wantCalls  int
		wantWithin time.Duration
	}{
		{"table fails", func(tb *listTable, _ *registry, _ *clockAt) { tb.failing = errors.New("InternalServerError") }, false, 1, time.Second},
		{"table hangs", func(tb *listTable, _ *registry, _ *clockAt) { tb.hang = true }, false, 1, time.Second},
		{"registry fails, stale list stored", func(tb *listTable, r *registry, c *clockAt) {
			d, _ := NewDiscovery(tb, "state", DiscoveryConfig{Next: r, Now: c.now})
			d.store(context.Background(), "payment", listed, 3, c.now().Add(-time.Hour))
			r.err = errors.New("RequestLimitExceeded")
		}, false, 1, time.Second},
		{"registry fails, nothing stored", func(_ *listTable, r *registry, _ *clockAt) { r.err = errors.New("RequestLimitExceeded") }, true, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, reg := newListTable(), &registry{instances: listed, revision: 3}
			clock := &clockAt{t: time.Unix(1_700_000_000, 0)}
			tt.setUp(table, reg, clock)
			d := newShared(t, table, reg, clock)
			start := time.Now()
			got, err := d.Discover(context.Background(), "payment")
			if took := time.Since(start); took > tt.wantWithin {
				t.Errorf("took %s, want at most %s", took, tt.wantWithin)
			}
			if (err != nil) != tt.wantErr || (!tt.wantErr && (len(got) != 1 || got[0].ID != "a")) {
				t.Fatalf("got %+v, %v; want an error: %v", got, err, tt.wantErr)
			}
			if reg.count() != tt.wantCalls {
				t.Fatalf("got %d registry calls, want %d", reg.count(), tt.wantCalls)
			}
		})
	}
}

func TestNewDiscoveryValidates(t *testing.T) {
	tests := []struct {
		name  string
		api   API
		table string
		cfg   DiscoveryConfig
	}{
		{"no API", nil, "t", DiscoveryConfig{Next: &registry{}}},
		{"no table", newListTable(), "", DiscoveryConfig{Next: &registry{}}},
		{"no Next", newListTable(), "t", DiscoveryConfig{}},
		{"negative MaxAge", newListTable(), "t", DiscoveryConfig{Next: &registry{}, MaxAge: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewDiscovery(tt.api, tt.table, tt.cfg); err == nil {
				t.Fatal("got nil error, want one")
			}
		})
	}
}
