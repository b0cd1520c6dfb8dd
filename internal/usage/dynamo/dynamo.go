// Package dynamo is the DynamoDB Store of package usage, on the state table
// (package statetable). A flush is one UpdateItem per counter,
//
//	ADD n :n, #r0 :r0, ... SET ttl = if_not_exists(ttl, :ttl)
//
// and one per hour for its index (ADD keys :keys, tenants :tenants, routes
// :routes to string sets). Reading takes the hours' index items, then the
// counters they list, with BatchGetItem: no scan.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/internal/usage"
)

// DefaultRetention is how long counters are kept (their TTL): 400 days, so
// that a year's usage can be compared with the last.
const DefaultRetention = 400 * 24 * time.Hour

// API is the part of the DynamoDB client the Store uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store implements usage.Store on a state table, and reads it back.
type Store struct {
	api       API
	table     string
	retention time.Duration
}

var _ usage.Store = (*Store)(nil)

// New returns a Store on table keeping counters for retention (0 means
// DefaultRetention).
func New(api API, table string, retention time.Duration) (*Store, error) {
	if api == nil || table == "" {
		return nil, errors.New("usage/dynamo: API client and table are required")
	}
	if retention < 0 {
		return nil, errors.New("usage/dynamo: retention must not be negative")
	}
	if retention == 0 {
		retention = DefaultRetention
	}
	return &Store{api: api, table: table, retention: retention}, nil
}

// maxParallel bounds the writes of one flush in flight.
const maxParallel = 8

var setAttr = map[usage.Kind]string{usage.Key: statetable.UsageKeysAttr, usage.Tenant: statetable.UsageTenantsAttr, usage.Route: statetable.UsageRoutesAttr}

// Add implements usage.Store.
func (s *Store) Add(ctx context.Context, hour time.Time, items []usage.Item) error {
	unix := hour.UTC().Truncate(time.Hour).Unix()
	ttl := strconv.FormatInt(hour.Add(s.retention).Unix(), 10)
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	do := func(in *dynamodb.UpdateItemInput) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := s.api.UpdateItem(ctx, in); err != nil {
				mu.Lock()
				// The SDK's error types stay inside this package.
				errs = append(errs, fmt.Errorf("usage/dynamo: update %s: %s", aws.ToString(keyOf(in)), err.Error()))
				mu.Unlock()
			}
		})
	}
	members := map[usage.Kind][]string{}
	for _, it := range items {
		members[it.Kind] = append(members[it.Kind], it.ID)
		names := map[string]string{"#n": statetable.CounterAttr, "#ttl": statetable.TTLAttr}
		values := map[string]ddbtypes.AttributeValue{
			":n":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.Total, 10)},
			":ttl": &ddbtypes.AttributeValueMemberN{Value: ttl},
		}
		add := []string{"#n :n"}
		for i, route := range slices.Sorted(maps.Keys(it.Routes)) {
			n, v := "#r"+strconv.Itoa(i), ":r"+strconv.Itoa(i)
			names[n] = statetable.UsageRoutePrefix + route
			values[v] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.Routes[route], 10)}
			add = append(add, n+" "+v)
		}
		do(&dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       key(statetable.UsageKey(unix, string(it.Kind), it.ID)),
			UpdateExpression:          aws.String("ADD " + strings.Join(add, ", ") + " SET #ttl = if_not_exists(#ttl, :ttl)"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		})
	}
	if len(members) > 0 {
		names := map[string]string{"#ttl": statetable.TTLAttr}
		values := map[string]ddbtypes.AttributeValue{":ttl": &ddbtypes.AttributeValueMemberN{Value: ttl}}
		var add []string
		for _, k := range usage.Kinds {
			if ids := members[k]; len(ids) > 0 {
				names["#"+string(k)] = setAttr[k]
				values[":"+string(k)] = &ddbtypes.AttributeValueMemberSS{Value: slices.Compact(slices.Sorted(slices.Values(ids)))}
				add = append(add, "#"+string(k)+" :"+string(k))
			}
		}
		do(&dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       key(statetable.UsageIndexKey(unix)),
			UpdateExpression:          aws.String("ADD " + strings.Join(add, ", ") + " SET #ttl = if_not_exists(#ttl, :ttl)"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func keyOf(in *dynamodb.UpdateItemInput) *string {
	if s, ok := in.Key[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS); ok {
		return &s.Value
	}
	return nil
}

func key(pk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: pk}}
}

// maxHours bounds one Read: 31 days of hours.
const maxHours = 31 * 24

// Read returns the counters of kind in the hours from from to to (both
// included), of ids, or of every ID the hours' index items list when ids is
// empty, by hour then ID. It reads only items by key (BatchGetItem), never
// scanning the table.
func (s *Store) Read(ctx context.Context, from, to time.Time, kind usage.Kind, ids []string) ([]usage.Row, error) {
	hours := usage.Hours(from, to)
	if len(hours) > maxHours {
		return nil, fmt.Errorf("usage/dynamo: %d hours; read at most %d (31 days) at once", len(hours), maxHours)
	}
	want := map[int64][]string{}
	if len(ids) > 0 {
		for _, h := range hours {
			for _, id := range ids {
				want[h.Unix()] = append(want[h.Unix()], usage.ID(id))
			}
		}
	} else {
		var keys []string
		for _, h := range hours {
			keys = append(keys, statetable.UsageIndexKey(h.Unix()))
		}
		items, err := s.batchGet(ctx, keys)
		if err != nil {
			return nil, err
		}
		for _, h := range hours {
			idx := items[statetable.UsageIndexKey(h.Unix())]
			if ss, ok := idx[setAttr[kind]].(*ddbtypes.AttributeValueMemberSS); ok {
				want[h.Unix()] = ss.Value
			}
		}
	}
	var keys []string
	for _, h := range hours {
		for _, id := range want[h.Unix()] {
			keys = append(keys, statetable.UsageKey(h.Unix(), string(kind), id))
		}
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []usage.Row
	for _, h := range hours {
		ids := slices.Sorted(slices.Values(want[h.Unix()]))
		for _, id := range slices.Compact(ids) {
			item, ok := items[statetable.UsageKey(h.Unix(), string(kind), id)]
			if !ok {
				continue
			}
			row := usage.Row{Hour: h, Kind: kind, ID: id}
			for name, v := range item {
				n, ok := v.(*ddbtypes.AttributeValueMemberN)
				if !ok {
					continue
				}
				c, err := strconv.ParseInt(n.Value, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("usage/dynamo: item %s: %s %q: %w", statetable.UsageKey(h.Unix(), string(kind), id), name, n.Value, err)
				}
				switch {
				case name == statetable.CounterAttr:
					row.Total = c
				case strings.HasPrefix(name, statetable.UsageRoutePrefix):
					if row.Routes == nil {
						row.Routes = map[string]int64{}
					}
					row.Routes[strings.TrimPrefix(name, statetable.UsageRoutePrefix)] = c
				}
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// batchGet reads keys (any number) with consistent BatchGetItem calls of at
// most 100, retrying what DynamoDB leaves unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []string) (map[string]map[string]ddbtypes.AttributeValue, error) {
	out := map[string]map[string]ddbtypes.AttributeValue{}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	for len(keys) > 0 {
		n := min(len(keys), 100)
		var req []map[string]ddbtypes.AttributeValue
		for _, k := range keys[:n] {
			req = append(req, key(k))
		}
		keys = keys[n:]
		pending := map[string]ddbtypes.KeysAndAttributes{s.table: {Keys: req, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == 8 {
				return nil, errors.New("usage/dynamo: BatchGetItem left keys unprocessed 8 times")
			}
			if attempt > 0 {
				select {
				case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			res, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("usage/dynamo: read: %s", err.Error())
			}
			for _, item := range res.Responses[s.table] {
				if pk, ok := item[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS); ok {
					out[pk.Value] = item
				}
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}
