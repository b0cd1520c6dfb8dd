package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

// A service's shared instance list is one item of the state table:
//
//	{pk: "discovery#<service>", i: instances (JSON), r: revision, at: listed (Unix ms),
//	 c: claimed until (Unix ms), ttl: a day after at (Unix s)}
//
// A process that finds the list older than MaxAge claims its refresh with
// one conditional UpdateItem (ClaimUpdate if ClaimCondition), asks the
// registry, and stores the answer (StoreUpdate if StoreCondition); the
// others keep using the list they read meanwhile.
const (
	DiscoveryPrefix = "discovery#"
	InstancesAttr   = "i"
	RevisionAttr    = "r"
	ListedAttr      = "at"
	ClaimAttr       = "c"

	ClaimUpdate    = "SET #c = :until, #ttl = if_not_exists(#ttl, :ttl)"
	ClaimCondition = "attribute_not_exists(#c) OR #c < :now"
	StoreUpdate    = "SET #i = :i, #r = :r, #at = :at, #ttl = :ttl"
	StoreCondition = "attribute_not_exists(#at) OR #at < :at"
)

// maxListBytes keeps a stored list well within DynamoDB's 400 KB item.
const maxListBytes = 350 << 10

// DiscoveryConfig configures a Discovery.
type DiscoveryConfig struct {
	// Next asks the registry (a cloudmap.Discoverer). Required.
	Next mesh.Discoverer
	// MaxAge is how long a stored list is used as it is; default 15s. A
	// client whose RefreshInterval is R sees a change within MaxAge + R.
	MaxAge time.Duration
	// Claim is how long the process refreshing a list holds the claim; a
	// process that fails or dies mid-refresh delays the next refresh by at
	// most this. Default 5s.
	Claim time.Duration
	// Wait is how long a process that finds no list at all (the whole fleet
	// is starting) waits for the one refreshing it, reading again every 100
	// to 200 ms, before it asks the registry itself; default 2s.
	Wait time.Duration
	// Timeout bounds each call to the table; one that takes longer counts as
	// failed (the process asks the registry), so that a table that hangs
	// never holds a request. Default 250ms.
	Timeout time.Duration
	// Logger receives the state table's failures. Nil discards.
	Logger *slog.Logger
	// Now is the time source; nil means time.Now.
	Now func() time.Time
}

// Discovery is a mesh.Discoverer that shares the instance lists of a
// registry between processes through the state table: however many
// processes start or refresh together, the registry is asked about a
// service about once per MaxAge, and the processes read DynamoDB, whose
// per-key read capacity is far beyond a registry's account-wide throttle
// (Cloud Map's is 1,000 calls a second). When the table cannot be read or
// written, each process asks the registry itself, as without it.
type Discovery struct {
	api   API
	table string
	cfg   DiscoveryConfig
	log   *slog.Logger
}

var (
	_ mesh.Discoverer         = (*Discovery)(nil)
	_ mesh.RevisionDiscoverer = (*Discovery)(nil)
)

// NewDiscovery returns a Discovery keeping lists in table.
func NewDiscovery(api API, table string, cfg DiscoveryConfig) (*Discovery, error) {
	switch {
	case api == nil:
		return nil, errors.New("mesh/dynamo: API client is required")
	case table == "":
		return nil, errors.New("mesh/dynamo: table name is required")
	case cfg.Next == nil:
		return nil, errors.New("mesh/dynamo: discovery: Next is required")
	case cfg.MaxAge < 0 || cfg.Claim < 0 || cfg.Wait < 0 || cfg.Timeout < 0:
		return nil, errors.New("mesh/dynamo: discovery: durations must not be negative")
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 15 * time.Second
	}
	if cfg.Claim == 0 {
		cfg.Claim = 5 * time.Second
	}
	if cfg.Wait == 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Discovery{api: api, table: table, cfg: cfg, log: log}, nil
}

// Discover implements mesh.Discoverer.
func (d *Discovery) Discover(ctx context.Context, service string) ([]mesh.Instance, error) {
	instances, _, err := d.DiscoverRevision(ctx, service)
	return instances, err
}

// list is a stored instance list.
type list struct {
	instances []mesh.Instance
	revision  int64
	listed    time.Time
	found     bool // the item holds a list
}

// DiscoverRevision implements mesh.RevisionDiscoverer: the stored list when
// it is fresh; otherwise the registry's, asked by this process if it wins
// the claim, or the stored (stale) list while another process refreshes it.
func (d *Discovery) DiscoverRevision(ctx context.Context, service string) ([]mesh.Instance, int64, error) {
	l, err := d.read(ctx, service)
	if err != nil {
		d.log.WarnContext(ctx, "mesh/dynamo: cannot read the shared instance list, asking the registry", "service", service, "err", err)
		return d.next(ctx, service)
	}
	now := d.cfg.Now()
	if l.found && now.Sub(l.listed) < d.cfg.MaxAge {
		return l.instances, l.revision, nil
	}
	won, err := d.claim(ctx, service, now)
	if err != nil {
		d.log.WarnContext(ctx, "mesh/dynamo: cannot claim the shared instance list's refresh, asking the registry", "service", service, "err", err)
		return d.next(ctx, service)
	}
	if won {
		instances, rev, err := d.next(ctx, service)
		if err != nil {
			if l.found {
				return l.instances, l.revision, nil // stale beats nothing; the claim expires
			}
			return nil, 0, err
		}
		if err := d.store(ctx, service, instances, rev, d.cfg.Now()); err != nil {
			d.log.WarnContext(ctx, "mesh/dynamo: cannot store the shared instance list", "service", service, "err", err)
		}
		return instances, rev, nil
	}
	if l.found {
		return l.instances, l.revision, nil
	}
	// Nothing stored yet and another process is asking the registry: wait
	// for its answer rather than ask too.
	deadline := now.Add(d.cfg.Wait)
	for d.cfg.Now().Before(deadline) {
		t := time.NewTimer(100*time.Millisecond + rand.N(100*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, 0, fmt.Errorf("mesh/dynamo: waiting for the instances of %s: %w", service, ctx.Err())
		case <-t.C:
		}
		if l, err = d.read(ctx, service); err == nil && l.found {
			return l.instances, l.revision, nil
		}
	}
	return d.next(ctx, service)
}

// next asks the registry.
func (d *Discovery) next(ctx context.Context, service string) ([]mesh.Instance, int64, error) {
	if rd, ok := d.cfg.Next.(mesh.RevisionDiscoverer); ok {
		return rd.DiscoverRevision(ctx, service)
	}
	instances, err := d.cfg.Next.Discover(ctx, service)
	return instances, 0, err
}

func discoveryKey(service string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: DiscoveryPrefix + service}}
}

// stored is an instance as the item holds it.
type stored struct {
	ID         string            `json:"id"`
	Address    string            `json:"addr"`
	Port       int               `json:"port"`
	Attributes map[string]string `json:"attrs,omitempty"`
	Health     mesh.Health       `json:"health,omitempty"`
}

// read returns the stored list (strongly consistent: a list stored a moment
// ago is seen, so no second process asks the registry for it).
func (d *Discovery) read(ctx context.Context, service string) (list, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: discoveryKey(service), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return list{}, fmt.Errorf("mesh/dynamo: read the instances of %s: %s", service, err.Error())
	}
	body, ok := out.Item[InstancesAttr].(*ddbtypes.AttributeValueMemberS)
	at, okAt := out.Item[ListedAttr].(*ddbtypes.AttributeValueMemberN)
	if !ok || !okAt {
		return list{}, nil // no list yet (perhaps only a claim)
	}
	ms, err := strconv.ParseInt(at.Value, 10, 64)
	if err != nil {
		return list{}, fmt.Errorf("mesh/dynamo: instances of %s: %s %q: %w", service, ListedAttr, at.Value, err)
	}
	var items []stored
	if err := json.Unmarshal([]byte(body.Value), &items); err != nil {
		return list{}, fmt.Errorf("mesh/dynamo: instances of %s: %w", service, err)
	}
	l := list{listed: time.UnixMilli(ms), found: true, instances: make([]mesh.Instance, 0, len(items))}
	for _, s := range items {
		l.instances = append(l.instances, mesh.Instance{ID: s.ID, Address: s.Address, Port: s.Port, Attributes: s.Attributes, Health: s.Health})
	}
	if r, ok := out.Item[RevisionAttr].(*ddbtypes.AttributeValueMemberN); ok {
		if l.revision, err = strconv.ParseInt(r.Value, 10, 64); err != nil {
			return list{}, fmt.Errorf("mesh/dynamo: instances of %s: %s %q: %w", service, RevisionAttr, r.Value, err)
		}
	}
	return l, nil
}

// claim reports whether this process won the refresh of service's list.
func (d *Discovery) claim(ctx context.Context, service string, now time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	_, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      discoveryKey(service),
		UpdateExpression:         aws.String(ClaimUpdate),
		ConditionExpression:      aws.String(ClaimCondition),
		ExpressionAttributeNames: map[string]string{"#c": ClaimAttr, "#ttl": TTLAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":until": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(d.cfg.Claim).UnixMilli(), 10)},
			":now":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":ttl":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(keep).Unix(), 10)},
		},
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mesh/dynamo: claim the instances of %s: %s", service, err.Error())
	}
	return true, nil
}

// store writes the registry's answer, unless a newer one is stored.
func (d *Discovery) store(ctx context.Context, service string, instances []mesh.Instance, rev int64, now time.Time) error {
	items := make([]stored, 0, len(instances))
	for _, in := range instances {
		items = append(items, stored{ID: in.ID, Address: in.Address, Port: in.Port, Attributes: in.Attributes, Health: in.Health})
	}
	body, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("mesh/dynamo: encode the instances of %s: %w", service, err)
	}
	if len(body) > maxListBytes {
		return fmt.Errorf("mesh/dynamo: the instances of %s take %d bytes, more than the %d an item holds here", service, len(body), maxListBytes)
	}
	values := map[string]ddbtypes.AttributeValue{
		":i":   &ddbtypes.AttributeValueMemberS{Value: string(body)},
		":r":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(rev, 10)},
		":at":  &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		":ttl": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(keep).Unix(), 10)},
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	_, err = d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       discoveryKey(service),
		UpdateExpression:          aws.String(StoreUpdate),
		ConditionExpression:       aws.String(StoreCondition),
		ExpressionAttributeNames:  map[string]string{"#i": InstancesAttr, "#r": RevisionAttr, "#at": ListedAttr, "#ttl": TTLAttr},
		ExpressionAttributeValues: values,
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // a newer list is stored
	}
	if err != nil {
		return fmt.Errorf("mesh/dynamo: store the instances of %s: %s", service, err.Error())
	}
	return nil
}
