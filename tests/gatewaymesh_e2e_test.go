//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	"github.com/portico-gw/portico/pkg/trace"
)

// The gateway is the mesh's first client (issue 12): its calls follow each
// service's policy from the configuration (mutual TLS, canary weights, header
// routes, fault injection) and are traced.

// Every demo service requires mutual TLS and accepts only the gateway: an
// answer names the verified caller.
func TestGatewayCallsOverMutualTLS(t *testing.T) {
	a := call(t, "GET", "/api/v1/users/1", bearer(token(t, devtoken.Claims{Subject: "user-m1"})))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	if got := jsonBody[backend.Answer](t, a); got.Peer != "spiffe://portico/gateway" {
		t.Fatalf("got peer %q, want the gateway's verified identity spiffe://portico/gateway", got.Peer)
	}
	d := jsonBody[map[string]json.RawMessage](t, call(t, "GET", "/user-dashboard", bearer(token(t, devtoken.Claims{Subject: "user-m1"}))))
	for _, k := range []string{"user", "orders", "notifications"} {
		var got backend.Answer
		if err := json.Unmarshal(d[k], &got); err != nil || got.Peer != "spiffe://portico/gateway" {
			t.Errorf("dashboard %s: got %s, want an answer over mutual TLS to the gateway", k, d[k])
		}
	}
}

// A service whose instance presents another service's certificate is refused:
// the gateway checks the identity it expects (spiffe://portico/<service>).
func TestGatewayRefusesAnotherIdentity(t *testing.T) {
	ctx := context.Background()
	// An "impostor-service" instance serving with order-service's certificate.
	src, err := mtlssm.New(awssm.NewFromConfig(stack.aws), stack.name+"/mesh/order-service")
	if err != nil {
		t.Fatal(err)
	}
	orderCreds, err := mtls.New(ctx, mtls.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bindAddress(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: backend.Versioned("order-service", "v1"), TLSConfig: orderCreds.ServerConfig(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	registerService(t, "impostor-service", ln.Addr().(*net.TCPAddr).Port)
	putPolicy(t, "impostor-service", `{"mtls":true}`)
	put, original := swapDocument(t, statetable.RoutesKey, "the original route table", func() bool {
		return call(t, "GET", "/api/v1/impostor", bearer(token(t, devtoken.Claims{Subject: "user-m2"}))).status == http.StatusNotFound
	})
	var doc map[string]any
	json.Unmarshal([]byte(original), &doc)
	doc["routes"] = append(doc["routes"].([]any), map[string]any{"id": "impostor", "match": map[string]any{"pathPrefix": "/api/v1/impostor"}, "service": "impostor-service"})
	b, _ := json.Marshal(doc)
	put(string(b))
	var last answer
	waitFor(t, "the impostor route", func() bool {
		last = call(t, "GET", "/api/v1/impostor", bearer(token(t, devtoken.Claims{Subject: "user-m2"})))
		return last.status != http.StatusNotFound
	})
	if last.status != http.StatusBadGateway || strings.Contains(string(last.body), "order-service") {
		t.Fatalf("got %d %s, want 502 and no answer from the impostor", last.status, last.body)
	}
}

// user-service runs a 90/10 canary: the gateway's calls split between the
// versions by the policy's weights.
func TestGatewayCanarySplit(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-m3", Roles: []string{"reader"}}))
	h["X-Forwarded-For"] = "198.51.100.240" // a per-IP budget of its own
	const n = 140
	versions := map[string]int{}
	for i := range n {
		a := call(t, "GET", fmt.Sprintf("/api/v1/users/%d", i), h)
		if a.status != http.StatusOK {
			t.Fatalf("call %d: got %d %s", i, a.status, a.body)
		}
		versions[jsonBody[backend.Answer](t, a).Version]++
	}
	// Binomial(140, 0.1): mean 14, standard deviation 3.5; 3 to 30 is
	// outside four standard deviations on either side.
	if versions["v2"] < 3 || versions["v2"] > 30 || versions["v1"]+versions["v2"] != n {
		t.Fatalf("got %v over %d calls, want about 10 %% v2", versions, n)
	}
	t.Logf("canary split over %d calls: %v", n, versions)
}

// Header routes are the gateway's decision: a tester's X-Test-User: true
// reaches v2 every time; anyone else's copy is removed before the call.
func TestGatewayTestUserRoute(t *testing.T) {
	tester := bearer(token(t, devtoken.Claims{Subject: "user-m4", Roles: []string{"tester"}}))
	tester["X-Test-User"] = "true"
	for i := range 10 {
		if got := jsonBody[backend.Answer](t, call(t, "GET", "/api/v1/users/4", tester)); got.Version != "v2" {
			t.Fatalf("tester call %d: got version %q, want v2", i, got.Version)
		}
	}
	reader := bearer(token(t, devtoken.Claims{Subject: "user-m5", Roles: []string{"reader"}}))
	reader["X-Test-User"] = "true"
	v1 := 0
	for range 20 {
		got := jsonBody[backend.Answer](t, call(t, "GET", "/api/v1/users/5", reader))
		if _, ok := got.Headers["X-Test-User"]; ok {
			t.Fatalf("a reader's X-Test-User reached the backend: %v", got.Headers["X-Test-User"])
		}
		if got.Version == "v1" {
			v1++
		}
	}
	if v1 == 0 {
		t.Fatal("a reader with X-Test-User: true got v2 on every one of 20 calls, want the canary split")
	}
}

// A fault-injection policy written to the configuration applies to the
// gateway's calls within a refresh, without a redeploy; putting the policy
// back ends it.
func TestGatewayFaultInjectionPolicy(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-m6", Roles: []string{"reader"}}))
	dashboard := func() map[string]json.RawMessage {
		return jsonBody[map[string]json.RawMessage](t, call(t, "GET", "/user-dashboard", h))
	}
	put, _ := swapDocument(t, statetable.PolicyKey("notification-service"), "the original notification-service policy", func() bool {
		return string(dashboard()["notifications"]) != "null"
	})
	put(`{"mtls":true,"fault":{"abortPercent":100,"abortStatus":503}}`)
	waitFor(t, "the fault policy", func() bool {
		d := dashboard()
		var meta map[string]struct{ Status int }
		json.Unmarshal(d["_meta"], &meta)
		return string(d["notifications"]) == "null" && meta["notifications"].Status == 503
	})
}

// A policy that fails validation never replaces the configuration in use:
// the gateway keeps serving with the last good snapshot.
func TestGatewayInvalidPolicyKeepsLastGood(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-m7", Roles: []string{"reader"}}))
	put, _ := swapDocument(t, statetable.PolicyKey("user-service"), "the original user-service policy", func() bool {
		return call(t, "GET", "/api/v1/users/7", h).status == http.StatusOK
	})
	put(`{"mtls":true,"versions":[{"version":"v1","weight":50}]}`) // weights must sum to 100
	time.Sleep(7 * time.Second)                                    // past config_refresh (5 s): read and refused
	for range 5 {
		a := call(t, "GET", "/api/v1/users/7", h)
		if a.status != http.StatusOK || jsonBody[backend.Answer](t, a).Peer == "" {
			t.Fatalf("got %d %s, want the last good configuration still serving over mutual TLS", a.status, a.body)
		}
	}
}

// A permission added to the route table applies without a redeploy.
func TestPermissionChangeWithoutRedeploy(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-m8", Roles: []string{"reader"}}))
	put, original := swapDocument(t, statetable.RoutesKey, "the original route table", func() bool {
		return call(t, "GET", "/api/v1/products/8", h).status == http.StatusOK
	})
	var doc map[string]any
	json.Unmarshal([]byte(original), &doc)
	doc["permissions"] = append(doc["permissions"].([]any), map[string]any{"path": "/api/v1/products", "methods": []string{"GET"}, "anyRole": []string{"buyer"}})
	b, _ := json.Marshal(doc)
	put(string(b))
	waitFor(t, "the new permission", func() bool {
		a := call(t, "GET", "/api/v1/products/8", h)
		return a.status == http.StatusForbidden && strings.Contains(string(a.body), "buyer")
	})
}

// One trace from the gateway through a composite route: the gateway's segment
// (continuing the client's trace header), a subsegment per call, and each
// service's own segment under its call.
func TestTraceThroughCompositeRoute(t *testing.T) {
	root := trace.NewTraceID(time.Now())
	h := bearer(token(t, devtoken.Claims{Subject: "user-m9", Roles: []string{"reader"}}))
	h[trace.HeaderName] = trace.Header{Root: root, Sampled: trace.Sampled}.String()
	if a := call(t, "GET", "/user-dashboard", h); a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	segs, err := stack.traces.Wait(ctx, root, 7)
	if err != nil {
		all, _ := stack.traces.Segments()
		t.Fatalf("got %v waiting for 7 segments of trace %s; the collector holds %d in all", err, root, len(all))
	}
	byID := map[string]trace.Segment{}
	var gateway *trace.Segment
	for i, s := range segs {
		byID[s.ID] = s
		if s.ParentID == "" {
			gateway = &segs[i]
		}
	}
	if gateway == nil {
		t.Fatalf("got segments %v, want the gateway's as the root", segs)
	}
	calls, served := map[string]bool{}, map[string]bool{}
	for _, s := range segs {
		switch {
		case s.Type == "subsegment" && s.ParentID == gateway.ID:
			calls[s.Name] = true
		case s.Type == "" && s.ParentID != "" && byID[s.ParentID].Type == "subsegment":
			served[s.Name] = true
		}
	}
	for _, svc := range []string{"user-service", "order-service", "notification-service"} {
		if !calls[svc] || !served[svc] {
			t.Errorf("%s: got call %v and segment %v, want a call under the gateway and the service's segment under it", svc, calls[svc], served[svc])
		}
	}
}

// bindAddress is where the tests' own servers listen.
func bindAddress() string {
	return envOr("PORTICO_BACKEND_BIND", "127.0.0.1")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// registerService creates a Cloud Map service in the stack's namespace with
// one instance at port on the backend host, removed when the test ends.
func registerService(t *testing.T, name string, port int) {
	t.Helper()
	ctx := context.Background()
	sd := servicediscovery.NewFromConfig(stack.aws, func(o *servicediscovery.Options) {
		o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
	})
	out, err := sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String(name), NamespaceId: aws.String(stack.namespaceID)})
	if err != nil {
		t.Fatalf("create service %s: %v", name, err)
	}
	id := out.Service.Id
	if _, err := sd.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{ServiceId: id, InstanceId: aws.String(name + "-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": stack.backend, "AWS_INSTANCE_PORT": fmt.Sprint(port)}}); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	t.Cleanup(func() {
		sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: id, InstanceId: aws.String(name + "-1")})
		sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: id})
	})
}

// putPolicy writes service's policy to the configuration (as portico_service
// with table_name does), removed when the test ends.
func putPolicy(t *testing.T, service, policy string) {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(stack.aws)
	key := map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.PolicyKey(service)}}
	item := map[string]ddbtypes.AttributeValue{statetable.KeyAttr: key[statetable.KeyAttr], statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: policy}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(stack.table), Item: item}); err != nil {
		t.Fatal(err)
	}
	bumpRevision(t)
	t.Cleanup(func() {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(stack.table), Key: key}); err != nil {
			t.Errorf("remove the policy of %s: %v", service, err)
		}
		bumpRevision(t)
	})
}
