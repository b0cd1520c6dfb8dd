package reliability

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/aggregator"
	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/statetable"
)

// Limits of terraform/reliability that the checks count against.
const (
	searchLimit = 20 // per caller and minute, fail closed
	ipLimit     = 60 // per IP and minute, fail open
	ipFloor     = 20 // per instance, IP and minute while failing open
	cacheTTL    = 30 * time.Second
)

// snapshot is what a row's checks compare with.
type snapshot struct {
	at     time.Time
	served map[string]int64 // instance ID → requests served so far
}

func (h *harness) snapshot(context.Context) (snapshot, error) {
	s := snapshot{at: time.Now(), served: map[string]int64{}}
	for _, ins := range h.s.Fleet.Instances {
		for _, in := range ins {
			s.served[in.ID] = in.Served.Load()
		}
	}
	return s, nil
}

// check runs the after-the-fault checks.
func (h *harness) check(ctx context.Context, rr *RowResult, before snapshot) {
	ddb := dynamodb.NewFromConfig(h.s.AWS)
	rr.Checks["over-admission"] = h.checkAdmission(ctx, ddb, rr)
	rr.Checks["cache"] = h.checkCache(ctx, ddb)
	if h.o.NoLeaks {
		return
	}
	leak, notes := h.checkRuntime(ctx, rr)
	rr.Checks["leaks"] = leak
	rr.Notes = append(rr.Notes, notes...)
}

// windows are the minute windows (start, Unix s) that results fall in, one
// either side.
func windows(from, to time.Time) []int64 {
	var out []int64
	for t := from.Truncate(time.Minute).Add(-time.Minute); !t.After(to.Add(time.Minute)); t = t.Add(time.Minute) {
		out = append(out, t.Unix())
	}
	return out
}

// counterKeys are the counters the admission check reads: the search
// limit's for each API key, the per-IP limit's for the hot IP, in window w.
func (h *harness) counterKeys(w int64) map[string]int64 {
	out := map[string]int64{"rl#ip#" + HotIP + "#" + strconv.FormatInt(w, 10): ipLimit}
	for _, key := range h.s.APIKeys {
		out["rl#search#"+apikey.Hash(key)[:16]+"#"+strconv.FormatInt(w, 10)] = searchLimit
	}
	return out
}

// watchCounters reads the counters of the current and the last window
// every 15 s until ctx ends, keeping the highest count seen of each: the
// table deletes a counter once its time to live (a window past its own)
// has passed, so a long row cannot read its first windows at the end.
func (h *harness) watchCounters(ctx context.Context, seen map[string]int64) {
	ddb := dynamodb.NewFromConfig(h.s.AWS)
	read := func() {
		now := time.Now().Truncate(time.Minute)
		for _, w := range []time.Time{now.Add(-time.Minute), now} {
			for pk := range h.counterKeys(w.Unix()) {
				if n, err := h.counter(context.WithoutCancel(ctx), ddb, pk); err == nil && n > seen[pk] {
					seen[pk] = n
				}
			}
		}
	}
	for {
		read()
		if wait(ctx, 15*time.Second) != nil {
			read()
			return
		}
	}
}

// counter reads a rate-limit counter straight from the emulator (not
// through the fault proxy); 0 when there is none.
func (h *harness) counter(ctx context.Context, ddb *dynamodb.Client, key string) (int64, error) {
	out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.s.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: key}}})
	if err != nil {
		return 0, err
	}
	n, ok := out.Item[statetable.CounterAttr].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(n.Value, 10, 64)
}

// checkAdmission counts what the limits admitted against the counters in
// the table: the fail-closed search limit admits nothing it did not count,
// and no counter exceeds its limit; the fail-open per-IP limit admits beyond
// its counter at most its floor per instance and minute of the fault.
func (h *harness) checkAdmission(ctx context.Context, ddb *dynamodb.Client, rr *RowResult) string {
	admitted := map[string]int64{}
	for _, r := range rr.Results {
		if r.Status == 200 && r.Caller != "" {
			admitted[r.Caller]++
		}
	}
	var problems []string
	wins := windows(rr.Start, rr.End)
	sum := func(prefix string, limit int64) (int64, error) {
		var total int64
		for _, w := range wins {
			n := rr.counters[prefix+strconv.FormatInt(w, 10)]
			if n > limit {
				problems = append(problems, fmt.Sprintf("counter %s%d is %d, over its limit %d", prefix, w, n, limit))
			}
			total += n
		}
		return total, nil
	}
	for name, key := range h.s.APIKeys {
		id := apikey.Hash(key)[:16]
		counted, err := sum("rl#search#"+id+"#", searchLimit)
		if err != nil {
			return "cannot read the counters: " + err.Error()
		}
		// The counters also count requests admitted before this row began
		// in the same minutes, so admitted ≤ counted holds exactly only as
		// an upper bound: over-admission is admitted beyond it.
		if admitted[name] > counted {
			problems = append(problems, fmt.Sprintf("search, key %s: %d admitted, %d counted: the fail-closed limit admitted %d it did not count", name, admitted[name], counted, admitted[name]-counted))
		}
	}
	counted, err := sum("rl#ip#"+HotIP+"#", ipLimit)
	if err != nil {
		return "cannot read the counters: " + err.Error()
	}
	faultWins := int64(len(windows(rr.FaultStart, rr.FaultEnd.Add(grace)))) - 2
	instances := int64(max(h.instances(ctx, rr.Start, rr.End), 1))
	if bound := counted + faultWins*instances*ipFloor; admitted[HotIP] > bound {
		problems = append(problems, fmt.Sprintf("per-IP, %s: %d admitted, %d counted, %d instances × %d floor × %d minutes of fault allowed beyond: %d over",
			HotIP, admitted[HotIP], counted, instances, ipFloor, faultWins, admitted[HotIP]-bound))
	}
	rr.Notes = append(rr.Notes, fmt.Sprintf("admitted over its limit by the hot IP: %d answered 200, %d counted in the table (%d instances seen)", admitted[HotIP], counted, instances))
	return strings.Join(problems, "; ")
}

// checkCache reads every cached answer in the table and checks that it is
// one the load could have stored, under its own key: the products route's
// answer for that very path, whole.
func (h *harness) checkCache(ctx context.Context, ddb *dynamodb.Client) string {
	expect := map[string]string{} // key → the path the backend must have answered
	for i := range 20 {
		path := fmt.Sprintf("/api/v1/products/p-%d", i)
		expect[productsKey(path)] = strings.TrimPrefix(path, "/api/v1")
	}
	var problems []string
	var start map[string]ddbtypes.AttributeValue
	seen := 0
	for {
		out, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(h.s.Table), ExclusiveStartKey: start,
			FilterExpression:          aws.String("begins_with(#pk, :p)"),
			ExpressionAttributeNames:  map[string]string{"#pk": statetable.KeyAttr},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: statetable.CachePrefix}}})
		if err != nil {
			return "cannot scan the cache: " + err.Error()
		}
		for _, item := range out.Items {
			seen++
			if p := cacheProblem(item, expect); p != "" {
				problems = append(problems, p)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if seen == 0 {
		return "no cached answer in the table: the check showed nothing"
	}
	return strings.Join(problems, "; ")
}

// productsKey is the cache key of the load's request for path on the
// products route (terraform/reliability: 30 s, varying on Accept-Encoding).
func productsKey(path string) string {
	return cache.Key(cache.Policy{TTL: cacheTTL, Vary: []string{"Accept-Encoding"}},
		cache.Request{Route: "products", Service: "product-service", Method: "GET", Path: path, Header: http.Header{"Accept-Encoding": {productsEncoding}}})
}

func cacheProblem(item map[string]ddbtypes.AttributeValue, expect map[string]string) string {
	pk, _ := item[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS)
	if pk == nil {
		return "an item without a key"
	}
	path, ok := expect[pk.Value]
	if !ok {
		return pk.Value + ": belongs to no request of the load"
	}
	st, _ := item[statetable.CacheStatusAttr].(*ddbtypes.AttributeValueMemberN)
	body, _ := item[statetable.CacheBodyAttr].(*ddbtypes.AttributeValueMemberB)
	if st == nil || st.Value != "200" || body == nil {
		return pk.Value + ": no status 200 or no body"
	}
	zr, err := gzip.NewReader(bytes.NewReader(body.Value))
	if err != nil {
		return pk.Value + ": body is not gzip: " + err.Error()
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return pk.Value + ": body is cut: " + err.Error()
	}
	var answer struct{ Service, Path string }
	if err := json.Unmarshal(raw, &answer); err != nil {
		return pk.Value + ": body is not JSON: " + err.Error()
	}
	if answer.Service != "product-service" || answer.Path != path {
		return fmt.Sprintf("%s: holds %s's answer for %s, want product-service's for %s", pk.Value, answer.Service, answer.Path, path)
	}
	return ""
}

// samples reads the aggregator's runtime metrics lines logged from from to
// to (straight from the emulator's CloudWatch Logs).
func (h *harness) samples(ctx context.Context, from, to time.Time) ([]aggregator.RuntimeSample, error) {
	logs := cloudwatchlogs.NewFromConfig(h.s.AWS)
	var out []aggregator.RuntimeSample
	var token *string
	for {
		page, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String("/aws/lambda/" + h.s.Aggregator), StartTime: aws.Int64(from.UnixMilli()), EndTime: aws.Int64(to.UnixMilli()),
			FilterPattern: aws.String(`"` + aggregator.RuntimeNamespace + `"`), NextToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			if s, ok := aggregator.ParseRuntimeSample(aws.ToString(e.Message)); ok {
				out = append(out, s)
			}
		}
		if page.NextToken == nil || aws.ToString(page.NextToken) == aws.ToString(token) {
			break
		}
		token = page.NextToken
	}
	slices.SortFunc(out, func(a, b aggregator.RuntimeSample) int { return a.Timestamp.Compare(b.Timestamp) })
	return out, nil
}

// instances counts the aggregator instances that logged between from and to.
func (h *harness) instances(ctx context.Context, from, to time.Time) int {
	samples, err := h.samples(ctx, from, to.Add(30*time.Second))
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, s := range samples {
		seen[s.Instance] = true
	}
	return len(seen)
}

// Leak thresholds: an instance that gained this many goroutines, or whose
// heap doubled and grew by this much, from before the fault to after its
// recovery, leaks.
const (
	leakGoroutines = 25
	leakHeap       = 16 << 20
)

// checkRuntime compares each aggregator instance's goroutines and heap
// before the fault with after the recovery.
func (h *harness) checkRuntime(ctx context.Context, rr *RowResult) (string, []string) {
	// Wait for the instances' next samples after the row.
	wait(ctx, 20*time.Second)
	samples, err := h.samples(ctx, rr.Start.Add(-time.Minute), time.Now())
	if err != nil {
		return "cannot read the runtime samples: " + err.Error(), nil
	}
	// Each instance's last sample before the fault, and its last one.
	type span struct{ first, last *aggregator.RuntimeSample }
	by := map[string]*span{}
	for i := range samples {
		s := &samples[i]
		sp := by[s.Instance]
		if sp == nil {
			sp = &span{}
			by[s.Instance] = sp
		}
		if !s.Timestamp.After(rr.FaultStart) {
			sp.first = s
		}
		sp.last = s
	}
	var problems, notes []string
	compared := 0
	for id, sp := range by {
		if sp.first == nil || sp.last.Timestamp.Before(rr.FaultEnd) {
			continue
		}
		compared++
		dg, dh := sp.last.Goroutines-sp.first.Goroutines, sp.last.HeapInuse-sp.first.HeapInuse
		notes = append(notes, fmt.Sprintf("instance %s: %d → %d goroutines, heap %d → %d KiB, RSS %d → %d KiB",
			id, sp.first.Goroutines, sp.last.Goroutines, sp.first.HeapInuse>>10, sp.last.HeapInuse>>10, sp.first.RSS>>10, sp.last.RSS>>10))
		if dg > leakGoroutines {
			problems = append(problems, fmt.Sprintf("instance %s gained %d goroutines", id, dg))
		}
		if sp.last.HeapInuse > 2*sp.first.HeapInuse && dh > leakHeap {
			problems = append(problems, fmt.Sprintf("instance %s's heap grew from %d to %d KiB", id, sp.first.HeapInuse>>10, sp.last.HeapInuse>>10))
		}
	}
	if compared == 0 {
		notes = append(notes, "no instance lived through the whole row (cold starts): leaks not compared")
	}
	slices.Sort(notes)
	return strings.Join(problems, "; "), notes
}

// processes are the aggregator's processes on this machine (MiniStack runs
// each function instance as a local process): their resident memory, from
// /proc.
func processes(function string) map[int]int64 {
	out := map[int]int64{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, []byte("AWS_LAMBDA_FUNCTION_NAME="+function+"\x00")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		status, _ := os.ReadFile(filepath.Join(d, "status"))
		for line := range strings.SplitSeq(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				out[pid] = kb << 10
			}
		}
	}
	return out
}
