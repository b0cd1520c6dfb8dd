//go:build e2e

package coldstart

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/internal/aggregator"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// need returns the environment variable k, failing without it.
func need(tb testing.TB, k string) string {
	tb.Helper()
	v := os.Getenv(k)
	if v == "" {
		tb.Fatalf("%s is not set (run the benchmarks with make bench-lambda)", k)
	}
	return v
}

// stack is what a run sets up in the emulator: the state table with a
// route to user-service, a Cloud Map namespace with one instance of it (a
// local HTTP backend), and a proxy in front of the emulator that counts and
// times the AWS calls.
type stack struct {
	cfg       aws.Config // through the proxy
	proxy     *awsProxy
	table     string
	namespace string
	fnEnv     map[string]string // the aggregator's environment
}

const (
	routes = `{"version":1,"revision":"coldstart","routes":[
  {"id":"users","match":{"pathPrefix":"/api/v1/users"},"service":"user-service","stripPrefix":"/api/v1"}]}`
	// A per-IP limit high enough for the warm run, leased as a busy
	// function would lease it: one counter write per 100 requests.
	limits = `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":100000000,"window":"1h","lease":100,"failMode":"open"}]}`
)

func setUp(tb testing.TB) *stack {
	tb.Helper()
	endpoint, ca := need(tb, "PORTICO_ENDPOINT"), os.Getenv("PORTICO_CA_CERT")
	ctx := context.Background()
	direct, err := awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: endpoint, CABundle: ca})
	if err != nil {
		tb.Fatal(err)
	}
	s := &stack{
		proxy:     startProxy(tb, endpoint, ca),
		table:     fmt.Sprintf("coldstart-%d", time.Now().UnixNano()),
		namespace: fmt.Sprintf("coldstart-%d.local", time.Now().UnixNano()),
	}
	if s.cfg, err = awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: s.proxy.url}); err != nil {
		tb.Fatal(err)
	}

	ddb := dynamodb.NewFromConfig(direct)
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(s.table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(statetable.KeyAttr), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(statetable.KeyAttr), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(s.table)})
	})
	for k, doc := range map[string]string{statetable.RoutesKey: routes, statetable.LimitsKey: limits} {
		if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]ddbtypes.AttributeValue{
			statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: k}, statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: doc},
		}}); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.RevisionKey}, statetable.RevisionAttr: &ddbtypes.AttributeValueMemberN{Value: "1"},
	}}); err != nil {
		tb.Fatal(err)
	}

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1","name":"Demo User","path":"`+r.URL.Path+`"}`)
	}))
	tb.Cleanup(backend.Close)
	registerBackend(tb, direct, s.namespace, backend.Listener.Addr().String())

	s.fnEnv = map[string]string{
		"PORTICO_NAMESPACE": s.namespace, "PORTICO_TABLE": s.table, "PORTICO_STORE_TIMEOUT": "2s",
		"AWS_ENDPOINT_URL": s.proxy.url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
		"AWS_LAMBDA_FUNCTION_NAME": "coldstart", "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
	}
	return s
}

// registerBackend makes namespace with user-service, one instance at addr.
func registerBackend(tb testing.TB, cfg aws.Config, namespace, addr string) {
	tb.Helper()
	ctx := context.Background()
	sd := servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
	})
	wait := func(op *string) map[string]string {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			out, err := sd.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: op})
			if err != nil {
				tb.Fatal(err)
			}
			switch out.Operation.Status {
			case sdtypes.OperationStatusSuccess:
				return out.Operation.Targets
			case sdtypes.OperationStatusFail:
				tb.Fatalf("operation %s failed: %s", aws.ToString(op), aws.ToString(out.Operation.ErrorMessage))
			}
		}
		tb.Fatalf("operation %s did not finish", aws.ToString(op))
		return nil
	}
	ns, err := sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String(namespace), CreatorRequestId: aws.String(namespace)})
	if err != nil {
		tb.Fatal(err)
	}
	nsID := wait(ns.OperationId)[string(sdtypes.OperationTargetTypeNamespace)]
	svc, err := sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String("user-service"), NamespaceId: aws.String(nsID), CreatorRequestId: aws.String(namespace + "-svc")})
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	reg, err := sd.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
		ServiceId: svc.Service.Id, InstanceId: aws.String("user-1"), CreatorRequestId: aws.String(namespace + "-inst"),
		Attributes: map[string]string{cloudmap.AttrIPv4: host, cloudmap.AttrPort: port},
	})
	if err != nil {
		tb.Fatal(err)
	}
	wait(reg.OperationId)
	tb.Cleanup(func() {
		ctx := context.Background()
		sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("user-1")})
		sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: svc.Service.Id})
		sd.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(nsID)})
	})
}

// awsCall is one AWS API call that went through the proxy.
type awsCall struct {
	target string // X-Amz-Target: DynamoDB_20120810.GetItem, Route53AutoNaming_v20170314.DiscoverInstances, ...
	at     time.Time
	took   time.Duration
}

// awsProxy forwards plain HTTP to the emulator and records every call.
type awsProxy struct {
	url   string
	mu    sync.Mutex
	calls []awsCall
}

func startProxy(tb testing.TB, endpoint, ca string) *awsProxy {
	tb.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		tb.Fatal(err)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			tb.Fatal(err)
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		tlsConfig.RootCAs.AppendCertsFromPEM(pem)
	}
	p := &awsProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 16, ForceAttemptHTTP2: false},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rp.ServeHTTP(w, r)
		p.mu.Lock()
		p.calls = append(p.calls, awsCall{target: r.Header.Get("X-Amz-Target"), at: start, took: time.Since(start)})
		p.mu.Unlock()
	}))
	tb.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// take returns the calls recorded since the last take.
func (p *awsProxy) take() []awsCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	calls := p.calls
	p.calls = nil
	return calls
}

// bootstraps returns the aggregator's bootstrap (built by make lambdas) and
// the bare function's, built here with the same flags.
func bootstraps(tb testing.TB) (agg, bare string) {
	tb.Helper()
	agg = filepath.Join(strings.TrimSuffix(need(tb, "PORTICO_AGGREGATOR_ZIP"), ".zip"), "bootstrap")
	if _, err := os.Stat(agg); err != nil {
		tb.Fatalf("the aggregator's bootstrap: %v (make lambdas builds it)", err)
	}
	bare = filepath.Join(tb.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc,nethttpomithttp2", "-ldflags=-s -w", "-o", bare, "./barefn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build barefn: %v\n%s", err, out)
	}
	return agg, bare
}

// event is the request every invoke carries: GET /api/v1/users/1 from an
// authorised caller.
func event() events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Path: "/api/v1/users/1",
		MultiValueHeaders: map[string][]string{"Accept": {"application/json"}, "User-Agent": {"coldstart"}},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  "coldstart",
			Identity:   events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
			Authorizer: map[string]any{"userId": "user-1", "roles": "reader", "exp": float64(time.Now().Add(24 * time.Hour).Unix())},
		},
	}
}

// rie is one execution environment under the Runtime Interface Emulator.
type rie struct {
	cmd    *exec.Cmd
	url    string
	log    *lineLog
	client *http.Client
}

// lineLog keeps the emulator's output and notes, as they arrive, when the
// runtime's first invoke started and how long its init took.
type lineLog struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	partial     []byte
	invokeStart time.Time
	initMs      float64
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

func (l *lineLog) Write(p []byte) (int, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if strings.Contains(line, "INVOKE START") && l.invokeStart.IsZero() {
			l.invokeStart = now
		}
		if m := initReport.FindStringSubmatch(line); m != nil {
			l.initMs, _ = strconv.ParseFloat(m[1], 64)
		}
	}
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startRIE(tb testing.TB, bootstrap string, env map[string]string) *rie {
	tb.Helper()
	addr, api := freeAddr(tb), freeAddr(tb)
	r := &rie{
		url: "http://" + addr + "/2015-03-31/functions/function/invocations", log: &lineLog{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}},
	}
	r.cmd = exec.Command(need(tb, "PORTICO_RIE"), "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, "--log-level", "info", bootstrap)
	r.cmd.Env = os.Environ()
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return r
}

func (r *rie) stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// invoke posts ev until the emulator answers, and returns the proxy
// response.
func (r *rie) invoke(tb testing.TB, ev []byte) events.APIGatewayProxyResponse {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := r.client.Post(r.url, "application/json", bytes.NewReader(ev))
		if err != nil {
			if time.Now().After(deadline) {
				tb.Fatalf("the emulator did not answer: %v\n%s", err, r.log)
			}
			time.Sleep(time.Millisecond)
			continue
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		var resp events.APIGatewayProxyResponse
		if err != nil || res.StatusCode != 200 || json.Unmarshal(body, &resp) != nil || resp.StatusCode != 200 {
			tb.Fatalf("got %d %s (%v), want a 200 answer\n%s", res.StatusCode, body, err, r.log)
		}
		return resp
	}
}

// BenchmarkColdStart measures, in rounds, a cold start of the bare function
// and one of the aggregator, in rotating order: from starting the emulator
// to the first answer (ms/cold-*), and the runtime's init alone as the
// emulator reports it (ms/init-*); for the aggregator, the AWS calls made
// before the first invoke started (calls/init), during it (calls/invoke),
// and the median time of one AWS call through the proxy (ms/aws-call).
// It fails if a Cloud Map call comes before the first invoke.
func BenchmarkColdStart(b *testing.B) {
	s := setUp(b)
	agg, bare := bootstraps(b)
	ev, _ := json.Marshal(event())
	variants := []struct{ name, bootstrap string }{{"bare", bare}, {"aggregator", agg}}
	cold := map[string][]time.Duration{}
	initMs := map[string][]float64{}
	var initCalls, invokeCalls []float64
	var took []time.Duration
	var first []string
	round := 0
	for b.Loop() {
		for i := range variants {
			v := variants[(i+round)%len(variants)]
			s.proxy.take()
			start := time.Now()
			r := startRIE(b, v.bootstrap, s.fnEnv)
			resp := r.invoke(b, ev)
			elapsed := time.Since(start)
			r.stop()
			if v.name == "aggregator" && !strings.Contains(resp.Body, "/users/1") {
				b.Fatalf("got %s, want user-service's answer", resp.Body)
			}
			cold[v.name] = append(cold[v.name], elapsed)
			initMs[v.name] = append(initMs[v.name], r.log.initMs)
			calls := s.proxy.take()
			if v.name != "aggregator" {
				continue
			}
			before, after := 0, 0
			var names []string
			for _, c := range calls {
				names = append(names, strings.TrimPrefix(c.target[strings.IndexByte(c.target, '.')+1:], "."))
				took = append(took, c.took)
				if c.at.Before(r.log.invokeStart) {
					before++
					if strings.HasPrefix(c.target, "Route53AutoNaming") {
						b.Fatalf("got Cloud Map call %s before the first invoke, want none", c.target)
					}
				} else {
					after++
				}
			}
			if first == nil {
				first = names
			}
			initCalls, invokeCalls = append(initCalls, float64(before)), append(invokeCalls, float64(after))
		}
		round++
	}
	for _, v := range variants {
		b.ReportMetric(msMedian(cold[v.name]), "ms/cold-"+v.name)
		b.ReportMetric(median(initMs[v.name]), "ms/init-"+v.name)
	}
	b.ReportMetric(median(initCalls), "calls/init")
	b.ReportMetric(median(invokeCalls), "calls/invoke")
	b.ReportMetric(msMedian(took), "ms/aws-call")
	b.Logf("the aggregator's AWS calls in its first cold start, in order: %s", strings.Join(first, ", "))
}

// BenchmarkWarm sends 10,000 requests each, in alternating blocks of 500, to
// the aggregator warm under the emulator, to the same handler in process
// (aggregator.Build with the same environment), and to the bare function
// under the emulator, and reports each one's p50 and p99 (µs/p50-*,
// µs/p99-*): the emulator's and runtime's own share is the difference
// between the first two, and the bare function's figures are that share on
// its own.
func BenchmarkWarm(b *testing.B) {
	s := setUp(b)
	agg, bare := bootstraps(b)
	ev := event()
	evJSON, _ := json.Marshal(ev)
	env := aggregator.Env{Namespace: s.namespace, Table: s.table, Refresh: 30 * time.Second, LimitPerIPPerMinute: 100, StoreTimeout: 2 * time.Second, Name: "coldstart"}
	h, err := aggregator.Build(context.Background(), env, s.cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	fn := startRIE(b, agg, s.fnEnv)
	defer fn.stop()
	base := startRIE(b, bare, s.fnEnv)
	defer base.stop()
	ctx := context.Background()
	series := []struct {
		name string
		call func()
	}{
		{"rie", func() { fn.invoke(b, evJSON) }},
		{"inprocess", func() {
			if resp, _ := h.Handle(ctx, ev); resp.StatusCode != 200 {
				b.Fatalf("in process: got %d %s, want 200", resp.StatusCode, resp.Body)
			}
		}},
		{"bare", func() { base.invoke(b, evJSON) }},
	}
	const total, block = 10000, 500
	for _, sr := range series { // warm up: discovery, connections, leases
		for range 200 {
			sr.call()
		}
	}
	lat := map[string][]time.Duration{}
	for b.Loop() {
		for n := 0; n < total; n += block {
			for i := range series {
				sr := series[(i+n/block)%len(series)]
				for range block {
					start := time.Now()
					sr.call()
					lat[sr.name] = append(lat[sr.name], time.Since(start))
				}
			}
		}
	}
	for _, sr := range series {
		d := lat[sr.name]
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "µs/p50-"+sr.name)
		b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds())/1e3, "µs/p99-"+sr.name)
	}
	if calls := s.proxy.take(); len(calls) > 0 {
		b.Logf("%d AWS calls during the run (counter leases and revision checks)", len(calls))
	}
}

func msMedian(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
