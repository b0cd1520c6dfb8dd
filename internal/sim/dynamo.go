package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

// DynamoConfig is the model of a DynamoDB table in the region.
type DynamoConfig struct {
	// WriteCapacity is how many write units one partition key takes in one
	// second (clock-aligned) before DynamoDB throttles it; default 1,000,
	// DynamoDB's per-partition maximum, which neither on-demand mode nor
	// adaptive capacity raises for a single key.
	WriteCapacity int64
	// ReadCapacity is the same for reads; default 3,000.
	ReadCapacity int64
	// Latency returns the time one call takes, there and back; default
	// Latency(3ms, 2ms).
	Latency func() time.Duration
}

// Latency returns a latency model: base plus an exponentially distributed
// part of the given mean.
func Latency(base, mean time.Duration) func() time.Duration {
	return func() time.Duration {
		return base + time.Duration(rand.ExpFloat64()*float64(mean))
	}
}

// DynamoStats counts what a Dynamo saw.
type DynamoStats struct {
	// Writes consumed a write unit: successful writes and failed conditional
	// writes alike, as DynamoDB bills them.
	Writes int64
	// ConditionFailed is the writes whose condition failed.
	ConditionFailed int64
	// Throttled is the calls refused with ProvisionedThroughputExceededException.
	Throttled int64
	// Reads consumed a read unit.
	Reads int64
	// PeakKeyWrites is the most write units one partition key consumed in
	// one second (aligned to the clock); PeakKeyDemand the most it was asked
	// for, throttled writes included.
	PeakKeyWrites, PeakKeyDemand int64
}

// Dynamo models one DynamoDB table: items by their partition key pk, a
// write and a read capacity per partition key and second, and a latency per
// call.
// It understands the calls of the rate limiter's store (pkg/ratelimit/dynamo)
// and of the shared discovery (pkg/mesh/dynamo) and answers any other
// expression with an error.
// A write is applied half-way through its latency: a caller that gives up
// after that point does not know it was applied, as with DynamoDB.
type Dynamo struct {
	cfg DynamoConfig

	mu    sync.Mutex
	items map[string]map[string]ddbtypes.AttributeValue
	used  map[keySecond]int64 // units consumed
	asked map[keySecond]int64 // units asked for, throttled or not
	stats DynamoStats
}

type keySecond struct {
	key   string
	sec   int64
	write bool
}

// Interface guard: the store of pkg/ratelimit/dynamo runs on the model.
var _ ratelimitdynamo.API = (*Dynamo)(nil)

// NewDynamo returns an empty table.
func NewDynamo(cfg DynamoConfig) *Dynamo {
	if cfg.WriteCapacity == 0 {
		cfg.WriteCapacity = 1000
	}
	if cfg.ReadCapacity == 0 {
		cfg.ReadCapacity = 3000
	}
	if cfg.Latency == nil {
		cfg.Latency = Latency(3*time.Millisecond, 2*time.Millisecond)
	}
	return &Dynamo{
		cfg: cfg, items: map[string]map[string]ddbtypes.AttributeValue{},
		used: map[keySecond]int64{}, asked: map[keySecond]int64{},
	}
}

// Stats returns the counts so far.
func (d *Dynamo) Stats() DynamoStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Count returns the number attribute n of the item pk, and whether it exists.
func (d *Dynamo) Count(pk string) (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	item, ok := d.items[pk]
	if !ok {
		return 0, false
	}
	n, _ := number(item[ratelimitdynamo.CountAttr])
	return n, true
}

// Keys returns the partition keys of the items stored.
func (d *Dynamo) Keys() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.items))
	for k := range d.items {
		keys = append(keys, k)
	}
	return keys
}

// errShape answers a call the model does not implement.
var errShape = errors.New("sim: the DynamoDB model does not implement this call")

// call waits half the latency, runs apply (under the lock) unless ctx ended,
// then waits the other half. The caller sees ctx's error if it ended at any
// point, whether or not apply ran.
func (d *Dynamo) call(ctx context.Context, apply func(now time.Time) error) error {
	lat := d.cfg.Latency()
	if err := wait(ctx, lat/2); err != nil {
		return err
	}
	d.mu.Lock()
	err := apply(time.Now())
	d.mu.Unlock()
	if werr := wait(ctx, lat-lat/2); werr != nil {
		return werr
	}
	return err
}

// consume takes one unit of the key's write (or read) capacity in the
// current second; false means the call is throttled.
func (d *Dynamo) consume(now time.Time, pk string, write bool) bool {
	capacity := d.cfg.ReadCapacity
	if write {
		capacity = d.cfg.WriteCapacity
	}
	ks := keySecond{pk, now.Unix(), write}
	d.asked[ks]++
	if d.used[ks] >= capacity {
		d.stats.Throttled++
		if write {
			d.stats.PeakKeyDemand = max(d.stats.PeakKeyDemand, d.asked[ks])
		}
		return false
	}
	d.used[ks]++
	if write {
		d.stats.Writes++
		d.stats.PeakKeyWrites = max(d.stats.PeakKeyWrites, d.used[ks])
		d.stats.PeakKeyDemand = max(d.stats.PeakKeyDemand, d.asked[ks])
	} else {
		d.stats.Reads++
	}
	return true
}

func throttled() error {
	return &ddbtypes.ProvisionedThroughputExceededException{Message: ptr("The level of configured provisioned throughput for the table was exceeded (model)")}
}

func ptr(s string) *string { return &s }

// UpdateItem applies an update on condition (see expr.go for the part of
// the expression language the model knows), with ReturnValues UPDATED_NEW
// (the updated attributes) and, on a failed condition, the old item when
// ReturnValuesOnConditionCheckFailure is ALL_OLD.
func (d *Dynamo) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	pk, ok := str(in.Key[ratelimitdynamo.KeyAttr])
	if !ok {
		return nil, fmt.Errorf("%w: UpdateItem without a string key %s", errShape, ratelimitdynamo.KeyAttr)
	}
	var out *dynamodb.UpdateItemOutput
	err := d.call(ctx, func(now time.Time) error {
		if !d.consume(now, pk, true) {
			return throttled()
		}
		item := d.items[pk]
		holds, err := evalCondition(deref(in.ConditionExpression), item, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
		if err != nil {
			return err
		}
		if !holds {
			d.stats.ConditionFailed++
			failed := &ddbtypes.ConditionalCheckFailedException{Message: ptr("The conditional request failed")}
			if item != nil && in.ReturnValuesOnConditionCheckFailure == ddbtypes.ReturnValuesOnConditionCheckFailureAllOld {
				failed.Item = maps.Clone(item)
			}
			return failed
		}
		next := maps.Clone(item)
		if next == nil {
			next = map[string]ddbtypes.AttributeValue{ratelimitdynamo.KeyAttr: in.Key[ratelimitdynamo.KeyAttr]}
		}
		if err := applyUpdate(deref(in.UpdateExpression), next, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
			return err
		}
		d.items[pk] = next
		out = &dynamodb.UpdateItemOutput{}
		if in.ReturnValues == ddbtypes.ReturnValueUpdatedNew {
			out.Attributes = map[string]ddbtypes.AttributeValue{}
			for _, name := range in.ExpressionAttributeNames {
				if v, ok := next[name]; ok {
					out.Attributes[name] = v
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetItem reads an item (strongly consistent reads cost a unit, eventually
// consistent ones half).
func (d *Dynamo) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	pk, ok := str(in.Key[ratelimitdynamo.KeyAttr])
	if !ok {
		return nil, fmt.Errorf("%w: GetItem without a string key %s", errShape, ratelimitdynamo.KeyAttr)
	}
	var out *dynamodb.GetItemOutput
	err := d.call(ctx, func(now time.Time) error {
		if !d.consume(now, pk, false) {
			return throttled()
		}
		item := d.items[pk]
		if item == nil {
			out = &dynamodb.GetItemOutput{}
			return nil
		}
		out = &dynamodb.GetItemOutput{Item: maps.Clone(item)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func str(v ddbtypes.AttributeValue) (string, bool) {
	s, ok := v.(*ddbtypes.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// number reads a number attribute; an error when it is not one.
func number(v ddbtypes.AttributeValue) (int64, error) {
	n, ok := v.(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("not a number attribute")
	}
	return strconv.ParseInt(n.Value, 10, 64)
}

// wait sleeps d on the time package's clock, or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
