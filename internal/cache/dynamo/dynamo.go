// Package dynamo is the DynamoDB Store of package cache. Each entry is one
// item
//
//	{pk: "cache#<sha256>", st: status, h: headers (JSON), b: gzip body (binary),
//	 at: stored (Unix ms), fr: fresh until (Unix ms), ttl: stale until (Unix s)}
//
// in a table whose hash key is pk (string) and whose TTL attribute is ttl; the
// rate limiter's table fits (its keys never start with "cache#" and end in a
// window number). DynamoDB deletes expired items lazily, so Get ignores an
// item whose ttl has passed.
package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/statetable"
)

// Attribute names of an entry item (package statetable).
const (
	KeyAttr    = statetable.KeyAttr
	StatusAttr = statetable.CacheStatusAttr
	HeaderAttr = statetable.CacheHeaderAttr
	BodyAttr   = statetable.CacheBodyAttr
	StoredAttr = statetable.CacheStoredAttr
	FreshAttr  = statetable.CacheFreshAttr
	TTLAttr    = statetable.TTLAttr
)

// maxItemBytes is DynamoDB's item limit.
const maxItemBytes = 400 << 10

// ErrTooLarge means an entry would exceed DynamoDB's 400 KB item limit.
var ErrTooLarge = errors.New("cache/dynamo: item over 400 KB")

// API is the part of the DynamoDB client the Store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Store implements cache.Store on a DynamoDB table.
type Store struct {
	api   API
	table string
	now   func() time.Time
}

var _ cache.Store = (*Store)(nil)

// New returns a Store on table. Nil now means time.Now.
func New(api API, table string, now func() time.Time) (*Store, error) {
	if api == nil {
		return nil, errors.New("cache/dynamo: API client is required")
	}
	if table == "" {
		return nil, errors.New("cache/dynamo: table name is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Store{api: api, table: table, now: now}, nil
}

func n(v int64) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Put implements cache.Store with one PutItem.
func (s *Store) Put(ctx context.Context, key string, e *cache.Entry) error {
	h, err := json.Marshal(e.Header)
	if err != nil {
		return fmt.Errorf("cache/dynamo: put %q: headers: %w", key, err)
	}
	if size := len(key) + len(h) + len(e.Body) + 64; size > maxItemBytes {
		return fmt.Errorf("cache/dynamo: put %q: %d bytes: %w", key, size, ErrTooLarge)
	}
	// DynamoDB's TTL has a resolution of seconds: round up, never delete early.
	ttl := e.Stale.Unix()
	if e.Stale.After(time.Unix(ttl, 0)) {
		ttl++
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]ddbtypes.AttributeValue{
			KeyAttr:    &ddbtypes.AttributeValueMemberS{Value: key},
			StatusAttr: n(int64(e.Status)),
			HeaderAttr: &ddbtypes.AttributeValueMemberS{Value: string(h)},
			BodyAttr:   &ddbtypes.AttributeValueMemberB{Value: e.Body},
			StoredAttr: n(e.Stored.UnixMilli()),
			FreshAttr:  n(e.Fresh.UnixMilli()),
			TTLAttr:    n(ttl),
		},
	})
	if err != nil {
		return fmt.Errorf("cache/dynamo: put %q: %s", key, err.Error())
	}
	return nil
}

// Get implements cache.Store with one eventually consistent GetItem.
func (s *Store) Get(ctx context.Context, key string) (*cache.Entry, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		return nil, fmt.Errorf("cache/dynamo: get %q: %s", key, err.Error())
	}
	if out.Item == nil {
		return nil, nil
	}
	e, err := decode(out.Item)
	if err != nil {
		return nil, fmt.Errorf("cache/dynamo: get %q: %w", key, err)
	}
	if !s.now().Before(e.Stale) {
		return nil, nil // expired; DynamoDB has not deleted it yet
	}
	return e, nil
}

func decode(item map[string]ddbtypes.AttributeValue) (*cache.Entry, error) {
	num := func(name string) (int64, error) {
		v, ok := item[name].(*ddbtypes.AttributeValueMemberN)
		if !ok {
			return 0, fmt.Errorf("no number %s", name)
		}
		return strconv.ParseInt(v.Value, 10, 64)
	}
	var e cache.Entry
	st, err := num(StatusAttr)
	if err != nil {
		return nil, err
	}
	at, err := num(StoredAttr)
	if err != nil {
		return nil, err
	}
	fr, err := num(FreshAttr)
	if err != nil {
		return nil, err
	}
	ttl, err := num(TTLAttr)
	if err != nil {
		return nil, err
	}
	h, ok := item[HeaderAttr].(*ddbtypes.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("no string %s", HeaderAttr)
	}
	if err := json.Unmarshal([]byte(h.Value), &e.Header); err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	if e.Header == nil {
		e.Header = http.Header{}
	}
	b, ok := item[BodyAttr].(*ddbtypes.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("no binary %s", BodyAttr)
	}
	e.Status, e.Body = int(st), b.Value
	e.Stored, e.Fresh, e.Stale = time.UnixMilli(at), time.UnixMilli(fr), time.Unix(ttl, 0)
	return &e, nil
}
