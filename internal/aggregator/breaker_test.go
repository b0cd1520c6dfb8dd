package aggregator

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/awsconfig"
)

// When DynamoDB stops answering, a warm instance's first requests wait out
// the store timeouts (250 ms each: the limits, the configuration's refresh);
// once the state table's breaker has opened, requests are answered at once,
// the fail-open per-IP limit admitting them. RELIABILITY.md's DynamoDB rows
// found the wait adding up to the function's deadline without the breaker.
func TestHangingTableFailsFast(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
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
	var logs bytes.Buffer
	h, err := Build(context.Background(), Env{Namespace: "ns", Table: "state", Refresh: 200 * time.Millisecond, LimitPerIPPerMinute: 100, StoreTimeout: 250 * time.Millisecond, Name: "gw"},
		cfg, slog.New(slog.NewJSONHandler(&logs, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	req := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/api/v1/users/7", RequestContext: events.APIGatewayProxyRequestContext{
		Identity:   events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
		Authorizer: map[string]any{"userId": "u-7", "exp": float64(time.Now().Add(time.Hour).Unix())},
	}}
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != 200 {
		t.Fatalf("healthy: got %d %s, want 200\n%s", resp.StatusCode, resp.Body, logs.String())
	}
	fake.hang.Store(true)
	var took []time.Duration
	for range 12 {
		start := time.Now()
		resp, _ := h.Handle(context.Background(), req)
		took = append(took, time.Since(start))
		if resp.StatusCode != 200 {
			t.Fatalf("DynamoDB hanging: got %d %s, want 200 (the per-IP limit fails open)", resp.StatusCode, resp.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, d := range took[len(took)-4:] {
		if d > 100*time.Millisecond {
			t.Fatalf("request %d of the last four took %s, want an answer at once once the breaker is open (all: %v)", i+1, d, took)
		}
	}
	if took[0] < 200*time.Millisecond {
		t.Fatalf("the first request took %s, want it to wait out the store timeout (250 ms): the test showed nothing", took[0])
	}
}
