package sim

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	meshdynamo "github.com/portico-gw/portico/pkg/mesh/dynamo"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

func n(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: v} }

// The expression evaluator answers the rate limiter's and the shared
// discovery's writes as DynamoDB does, and refuses what it does not know.
func TestExpressions(t *testing.T) {
	counter := map[string]string{"#n": "n", "#ttl": "ttl"}
	claim := map[string]string{"#c": meshdynamo.ClaimAttr, "#ttl": "ttl"}
	tests := []struct {
		name      string
		cond, upd string
		names     map[string]string
		values    map[string]ddbtypes.AttributeValue
		item      map[string]ddbtypes.AttributeValue
		wantHolds bool
		want      map[string]string // numbers after the update
		wantErr   bool
	}{
		{"counter: new item", ratelimitdynamo.Condition, ratelimitdynamo.Update, counter,
			map[string]ddbtypes.AttributeValue{":n": n("3"), ":cap": n("7"), ":ttl": n("99")}, nil,
			true, map[string]string{"n": "3", "ttl": "99"}, false},
		{"counter: room left", ratelimitdynamo.Condition, ratelimitdynamo.Update, counter,
			map[string]ddbtypes.AttributeValue{":n": n("3"), ":cap": n("7"), ":ttl": n("120")},
			map[string]ddbtypes.AttributeValue{"n": n("7"), "ttl": n("99")},
			true, map[string]string{"n": "10", "ttl": "99"}, false},
		{"counter: full", ratelimitdynamo.Condition, ratelimitdynamo.Update, counter,
			map[string]ddbtypes.AttributeValue{":n": n("3"), ":cap": n("7"), ":ttl": n("99")},
			map[string]ddbtypes.AttributeValue{"n": n("8")},
			false, nil, false},
		{"claim: free", meshdynamo.ClaimCondition, meshdynamo.ClaimUpdate, claim,
			map[string]ddbtypes.AttributeValue{":until": n("50"), ":now": n("45"), ":ttl": n("9")},
			map[string]ddbtypes.AttributeValue{"c": n("40")},
			true, map[string]string{"c": "50", "ttl": "9"}, false},
		{"claim: held", meshdynamo.ClaimCondition, meshdynamo.ClaimUpdate, claim,
			map[string]ddbtypes.AttributeValue{":until": n("50"), ":now": n("45"), ":ttl": n("9")},
			map[string]ddbtypes.AttributeValue{"c": n("46")},
			false, nil, false},
		{"unknown function", "begins_with(#n, :v)", "SET #n = :v", counter,
			map[string]ddbtypes.AttributeValue{":v": n("1")}, nil, false, nil, true},
		{"unknown clause", "", "REMOVE #n", counter, nil, map[string]ddbtypes.AttributeValue{}, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holds, err := evalCondition(tt.cond, tt.item, tt.names, tt.values)
			if err == nil && holds {
				item := map[string]ddbtypes.AttributeValue{}
				for k, v := range tt.item {
					item[k] = v
				}
				err = applyUpdate(tt.upd, item, tt.names, tt.values)
				if err == nil {
					for k, want := range tt.want {
						if got, _ := number(item[k]); item[k] == nil || got != mustInt(want) {
							t.Errorf("attribute %s: got %v, want %s", k, item[k], want)
						}
					}
				}
			}
			if (err != nil) != tt.wantErr || (!tt.wantErr && holds != tt.wantHolds) {
				t.Fatalf("got holds %v, err %v; want holds %v, an error: %v", holds, err, tt.wantHolds, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errShape) {
				t.Fatalf("got %v, want an error wrapping errShape", err)
			}
		})
	}
}

func mustInt(s string) int64 {
	v, err := number(n(s))
	if err != nil {
		panic(err)
	}
	return v
}

// A partition key takes WriteCapacity writes in a second, then throttles
// with DynamoDB's error until the next second; another key is unaffected.
func TestDynamoWriteCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := NewDynamo(DynamoConfig{WriteCapacity: 5, Latency: func() time.Duration { return time.Millisecond }})
		store, err := ratelimitdynamo.New(db, "t")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		exp := time.Now().Add(time.Hour)
		for i := range 5 {
			if _, _, err := store.Add(ctx, "hot", 1, 100, exp); err != nil {
				t.Fatalf("write %d: %v", i+1, err)
			}
		}
		_, err = db.UpdateItem(ctx, counterUpdate("rl#hot"))
		var pte *ddbtypes.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) {
			t.Fatalf("sixth write in the second: got %v, want ProvisionedThroughputExceededException", err)
		}
		if _, _, err := store.Add(ctx, "cold", 1, 100, exp); err != nil {
			t.Fatalf("another key: got %v, want it written", err)
		}
		time.Sleep(time.Second)
		if _, _, err := store.Add(ctx, "hot", 1, 100, exp); err != nil {
			t.Fatalf("next second: got %v, want it written", err)
		}
		st := db.Stats()
		if st.Throttled != 1 || st.Writes != 7 || st.PeakKeyWrites != 5 || st.PeakKeyDemand != 6 {
			t.Fatalf("got %+v, want 1 throttled, 7 writes, a peak of 5 written and 6 asked", st)
		}
		if c, ok := db.Count("rl#hot"); !ok || c != 6 {
			t.Fatalf("got counter %d (%v), want 6", c, ok)
		}
	})
}

func counterUpdate(pk string) *dynamodb.UpdateItemInput {
	return &dynamodb.UpdateItemInput{
		Key:                       map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}},
		UpdateExpression:          aws.String(ratelimitdynamo.Update),
		ConditionExpression:       aws.String(ratelimitdynamo.Condition),
		ExpressionAttributeNames:  map[string]string{"#n": "n", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": n("1"), ":cap": n("99"), ":ttl": n("1")},
	}
}

// Cloud Map's throttle lets a burst through, then its rate, and refuses the
// rest with RequestLimitExceeded.
func TestCloudMapThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewCloudMap(CloudMapConfig{Rate: 10, Burst: 20, Latency: func() time.Duration { return 0 }}, time.Now())
		ctx := context.Background()
		in := &servicediscovery.DiscoverInstancesInput{ServiceName: aws.String("svc")}
		ok := 0
		for range 25 {
			if _, err := m.DiscoverInstances(ctx, in); err == nil {
				ok++
			} else if _, is := errors.AsType[*sdtypes.RequestLimitExceeded](err); !is {
				t.Fatalf("got %v, want RequestLimitExceeded", err)
			}
		}
		if ok != 20 {
			t.Fatalf("got %d of 25 at once, want the burst of 20", ok)
		}
		time.Sleep(500 * time.Millisecond)
		ok = 0
		for range 10 {
			if _, err := m.DiscoverInstances(ctx, in); err == nil {
				ok++
			}
		}
		if ok != 5 {
			t.Fatalf("got %d half a second later, want 5 (10 a second)", ok)
		}
		if st := m.Stats(); st.Calls != 35 || st.Throttled != 10 || st.Discover != 25 {
			t.Fatalf("got %+v, want 35 calls, 10 throttled, 25 answered", st)
		}
	})
}

// The SDK's standard retryer retries a throttle (3 attempts in all, with
// its backoff) and not a failed condition.
func TestSDKRetries(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"throttled", &ddbtypes.ProvisionedThroughputExceededException{}, 3},
		{"condition failed", &ddbtypes.ConditionalCheckFailedException{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				_, err := sdkCall(context.Background(), Retries(), func(context.Context) (int, error) {
					calls++
					return 0, tt.err
				})
				if err == nil || calls != tt.wantCalls {
					t.Fatalf("got %d calls, %v; want %d and an error", calls, err, tt.wantCalls)
				}
			})
		})
	}
}
