package aggregator

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/statetable"
)

func TestParseEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	e, err := ParseEnv(env("PORTICO_NAMESPACE", "ns", "PORTICO_TABLE", "t", "PORTICO_CONFIG_REFRESH", "5s",
		"PORTICO_STORE_TIMEOUT", "1s", "AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000", "PORTICO_USAGE_FLUSH", "3s"))
	if err != nil || e.Refresh != 5*time.Second || e.StoreTimeout != time.Second || e.LimitPerIPPerMinute != 100 || e.Name != "portico-gateway" || e.UsageFlush != 3*time.Second {
		t.Fatalf("got %+v %v, want the settings with their defaults", e, err)
	}
	if e.CORS != nil {
		t.Fatalf("got CORS %+v, want none without PORTICO_CORS", e.CORS)
	}
	e, err = ParseEnv(env("PORTICO_NAMESPACE", "ns", "PORTICO_TABLE", "t", "PORTICO_CORS", `{"allowOrigins":["https://app.portico.local"]}`))
	if err != nil || e.CORS == nil || !e.CORS.Allowed("https://app.portico.local") {
		t.Fatalf("got CORS %+v %v, want the policy of PORTICO_CORS", e.CORS, err)
	}
	_, err = ParseEnv(env("PORTICO_CONFIG_REFRESH", "soon", "PORTICO_LIMIT_PER_IP_PER_MINUTE", "-1", "AWS_XRAY_DAEMON_ADDRESS", "nowhere", "PORTICO_USAGE_FLUSH", "0s",
		"PORTICO_CORS", `{"allowOrigins":["*"],"allowCredentials":true}`))
	for _, want := range []string{"PORTICO_NAMESPACE is required", "PORTICO_TABLE is required", "PORTICO_CONFIG_REFRESH", "PORTICO_LIMIT_PER_IP_PER_MINUTE", "AWS_XRAY_DAEMON_ADDRESS", "PORTICO_USAGE_FLUSH", "PORTICO_CORS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want every problem at once, %q among them", err, want)
		}
	}
}

// fakeAWS answers the DynamoDB and Cloud Map calls a cold start and a request
// make: the configuration (its revision and the route table), the counters,
// and the instances of user-service.
type fakeAWS struct {
	routes  string
	backend *net.TCPAddr
	mu      sync.Mutex
	calls   map[string]int
	// hang makes every DynamoDB call wait for its caller to give up.
	hang atomic.Bool
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
	if f.hang.Load() && strings.HasPrefix(op, "DynamoDB_") {
		// The server notices a caller that gives up once the body is read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return
	}
	var in map[string]any
	json.NewDecoder(r.Body).Decode(&in)
	answer := func(v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
		w.Write(b)
	}
	s := func(v string) map[string]string { return map[string]string{"S": v} }
	switch op {
	case "DynamoDB_20120810.GetItem":
		key := in["Key"].(map[string]any)[statetable.KeyAttr].(map[string]any)["S"]
		if key == statetable.RevisionKey {
			answer(map[string]any{"Item": map[string]any{statetable.RevisionAttr: map[string]string{"N": "7"}}})
			return
		}
		answer(map[string]any{})
	case "DynamoDB_20120810.BatchGetItem":
		var items []map[string]any
		for table, ka := range in["RequestItems"].(map[string]any) {
			_ = table
			for _, k := range ka.(map[string]any)["Keys"].([]any) {
				if k.(map[string]any)[statetable.KeyAttr].(map[string]any)["S"] == statetable.RoutesKey {
					items = append(items, map[string]any{statetable.KeyAttr: s(statetable.RoutesKey), statetable.DocumentAttr: s(f.routes)})
				}
			}
		}
		answer(map[string]any{"Responses": map[string]any{"state": items}})
	case "DynamoDB_20120810.UpdateItem":
		answer(map[string]any{"Attributes": map[string]any{"n": map[string]string{"N": "1"}}})
	case "Route53AutoNaming_v20170314.DiscoverInstances":
		answer(map[string]any{"InstancesRevision": 1, "Instances": []any{map[string]any{
			"InstanceId": "user-1", "HealthStatus": "HEALTHY",
			"Attributes": map[string]string{"AWS_INSTANCE_IPV4": f.backend.IP.String(), "AWS_INSTANCE_PORT": strconv.Itoa(f.backend.Port)},
		}}})
	case "Route53AutoNaming_v20170314.DiscoverInstancesRevision":
		answer(map[string]any{"InstancesRevision": 1})
	default:
		http.Error(w, "unexpected "+op, http.StatusBadRequest)
	}
}

// Build wires a handler that loads the configuration at cold start and
// serves a request through the mesh: the whole path in process, with AWS
// faked at the HTTP level.
func TestBuildServesARequest(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"path":"`+r.URL.Path+`","user":"`+r.Header.Get("X-User-Id")+`"}`)
	}))
	defer backend.Close()
	fake := &fakeAWS{calls: map[string]int{}, backend: backend.Listener.Addr().(*net.TCPAddr),
		routes: `{"version":1,"routes":[{"id":"users","match":{"pathPrefix":"/api/v1/users"},"service":"user-service","stripPrefix":"/api/v1"}]}`}
	aws := httptest.NewServer(fake)
	defer aws.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{Region: "us-east-1", Endpoint: aws.URL})
	if err != nil {
		t.Fatal(err)
	}
	var logs, metrics bytes.Buffer
	h, err := Build(context.Background(), Env{Namespace: "ns", Table: "state", Refresh: time.Minute, LimitPerIPPerMinute: 100, Name: "gw"},
		cfg, slog.New(slog.NewJSONHandler(&logs, nil)), &metrics)
	if err != nil {
		t.Fatal(err)
	}
	// Cold start reads the configuration and nothing else: no Cloud Map call
	// before a request needs one (the first request discovers its service).
	for op := range fake.calls {
		if strings.HasPrefix(op, "Route53AutoNaming") {
			t.Fatalf("got %s during the cold start (calls %v), want no Cloud Map call before the first request", op, fake.calls)
		}
	}
	resp, _ := h.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Path: "/api/v1/users/7",
		RequestContext: events.APIGatewayProxyRequestContext{
			Identity:   events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
			Authorizer: map[string]any{"userId": "u-7", "exp": float64(time.Now().Add(time.Hour).Unix())},
		},
	})
	if resp.StatusCode != 200 || resp.Body != `{"path":"/users/7","user":"u-7"}` {
		t.Fatalf("got %d %s, want user-service's answer\n%s", resp.StatusCode, resp.Body, logs.String())
	}
	// The revision, then the route table and limits, then what the table
	// names (user-service's policy); one counter write of the default per-IP
	// limit; user-service's shared instance list read (none yet), its
	// refresh claimed, Cloud Map asked once (no separate revision check) and
	// the answer stored.
	want := map[string]int{
		"DynamoDB_20120810.GetItem": 2, "DynamoDB_20120810.BatchGetItem": 2, "DynamoDB_20120810.UpdateItem": 3,
		"Route53AutoNaming_v20170314.DiscoverInstances": 1,
	}
	if !maps.Equal(fake.calls, want) || resp.MultiValueHeaders["RateLimit-Limit"][0] != "100" {
		t.Fatalf("got calls %v and RateLimit-Limit %q, want %v and 100", fake.calls, resp.MultiValueHeaders["RateLimit-Limit"], want)
	}
	if !strings.Contains(metrics.String(), `"Route":"users"`) {
		t.Fatalf("got metrics %q, want an EMF line for the users route", metrics.String())
	}
	if fake.calls["Route53AutoNaming_v20170314.DiscoverInstances"] != 1 {
		t.Fatalf("got calls %v, want one DiscoverInstances, for the first request", fake.calls)
	}
	// The access line goes to stdout, as the function's logger writes lines.
	if !strings.Contains(metrics.String(), `"msg":"access","function":"aggregator","xRequestId":`) {
		t.Fatalf("got stdout %q, want the access line with function aggregator", metrics.String())
	}
}
