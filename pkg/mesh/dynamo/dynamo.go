// Package dynamo is the DynamoDB adapter of package mesh: shared outlier
// ejections (mesh.Ejections: an instance one function instance ejects is
// out of service for all of them at once) and shared discovery (Discovery:
// however many function instances start together, the registry is asked
// about a service about once per MaxAge; see discovery.go for its item).
//
// A service's ejections are one item of the Portico state table (hash key
// pk, TTL attribute ttl):
//
//	{pk: "ejection#<service>", "e:<instance id>": end (Unix ms), ttl: a day after the last end (Unix s)}
//
// An ejection is one conditional UpdateItem that keeps the later end,
//
//	SET #e = :until, #ttl = :ttl   condition: attribute_not_exists(#e) OR #e < :until
//
// and a Client reads a service's ejections with one GetItem when it
// refreshes the service, at most once per refresh interval. Ended ejections
// stay in the item until it expires; readers ignore them.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

// Attribute names and prefixes of an ejections item. The table's hash key is
// KeyAttr (string) and its TTL attribute is TTLAttr.
const (
	KeyAttr        = "pk"
	TTLAttr        = "ttl"
	KeyPrefix      = "ejection#"
	InstancePrefix = "e:"
)

// Update and Condition of every write, exported for tests that evaluate them.
const (
	Update    = "SET #e = :until, #ttl = :ttl"
	Condition = "attribute_not_exists(#e) OR #e < :until"
)

// keep is how long an item outlives the end of its last ejection.
const keep = 24 * time.Hour

// API is the part of the DynamoDB client Ejections uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Ejections implements mesh.Ejections on a DynamoDB table.
type Ejections struct {
	api   API
	table string
}

var _ mesh.Ejections = (*Ejections)(nil)

// New returns Ejections kept in table.
func New(api API, table string) (*Ejections, error) {
	if api == nil {
		return nil, errors.New("mesh/dynamo: API client is required")
	}
	if table == "" {
		return nil, errors.New("mesh/dynamo: table name is required")
	}
	return &Ejections{api: api, table: table}, nil
}

func key(service string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: KeyPrefix + service}}
}

// Eject records that instance of service is out of service until until,
// unless a later end is recorded already.
func (s *Ejections) Eject(ctx context.Context, service, instance string, until time.Time) error {
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(service),
		UpdateExpression:         aws.String(Update),
		ConditionExpression:      aws.String(Condition),
		ExpressionAttributeNames: map[string]string{"#e": InstancePrefix + instance, "#ttl": TTLAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":until": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(until.UnixMilli(), 10)},
			":ttl":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(until.Add(keep).Unix(), 10)},
		},
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // a later ejection is recorded
	}
	if err != nil {
		// Do not leak SDK error types out of pkg/: keep only the message.
		return fmt.Errorf("mesh/dynamo: eject %s of %s: %s", instance, service, err.Error())
	}
	return nil
}

// Ejected returns the instances of service whose ejection lasts beyond now.
func (s *Ejections) Ejected(ctx context.Context, service string, now time.Time) (map[string]time.Time, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(service)})
	if err != nil {
		return nil, fmt.Errorf("mesh/dynamo: read ejections of %s: %s", service, err.Error())
	}
	got := map[string]time.Time{}
	for name, av := range out.Item {
		id, ok := strings.CutPrefix(name, InstancePrefix)
		n, isNum := av.(*ddbtypes.AttributeValueMemberN)
		if !ok || !isNum {
			continue
		}
		ms, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			continue
		}
		if until := time.UnixMilli(ms); until.After(now) {
			got[id] = until
		}
	}
	return got, nil
}
