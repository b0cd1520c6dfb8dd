//go:build e2e

package tests

import (
	"context"
	"github.com/portico-gw/portico/internal/statetable"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// The design chapter's routing and aggregation scenarios, one test each,
// through API Gateway, the authorizer and the aggregator with the route table
// terraform/local writes (portico_route_table.routes).

func reader(t *testing.T, sub string) map[string]string {
	return bearer(token(t, devtoken.Claims{Subject: sub, Roles: []string{"reader"}}))
}

func with(h map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// wantBackend checks that a reached service with method and path.
func wantBackend(t *testing.T, a answer, service, method, path string) backend.Answer {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200 from %s", a.status, a.body, service)
	}
	got := jsonBody[backend.Answer](t, a)
	if got.Service != service || got.Method != method || got.Path != path {
		t.Fatalf("got %s %s %s, want %s %s %s", got.Service, got.Method, got.Path, service, method, path)
	}
	return got
}

// /api/v1/users/... goes to user-service with /api/v1 stripped.
func TestRouteUsersStripsPrefix(t *testing.T) {
	wantBackend(t, call(t, "GET", "/api/v1/users/123", reader(t, "user-1")), "user-service", "GET", "/users/123")
	wantBackend(t, call(t, "GET", "/api/v1/users", reader(t, "user-1")), "user-service", "GET", "/users")
}

// GET /api/v1/products goes to product-service; other methods are 405 with Allow.
func TestRouteProductsGetOnly(t *testing.T) {
	wantBackend(t, call(t, "GET", "/api/v1/products/456", reader(t, "user-2")), "product-service", "GET", "/products/456")
	a := call(t, "POST", "/api/v1/products", reader(t, "user-2"))
	if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET" {
		t.Fatalf("POST: got %d Allow %q body %s, want 405 with Allow: GET", a.status, a.header.Get("Allow"), a.body)
	}
	if body := jsonBody[map[string]any](t, a); body["message"] == nil || body["requestId"] == nil {
		t.Fatalf("POST: got %s, want a JSON message and requestId", a.body)
	}
}

// /api/v1/orders has a 30 s timeout: a 12 s answer (beyond the mesh's 2 s
// per-try default and the 10 s default route timeout) gets through, while a
// route without a timeout gives up on a 3 s answer (504).
func TestRouteOrdersThirtySecondTimeout(t *testing.T) {
	start := time.Now()
	a := call(t, "GET", "/api/v1/orders/789", with(reader(t, "user-3"), backend.DelayHeader, "order-service=12s"))
	wantBackend(t, a, "order-service", "GET", "/orders/789")
	if took := time.Since(start); took < 12*time.Second {
		t.Fatalf("answered in %s, want the 12 s delay to have happened", took)
	}
	// (notifications: products is a cached route, whose backend sees only the
	// headers in its cache key, so it would not see the delay header.)
	a = call(t, "GET", "/api/v1/notifications", with(reader(t, "user-3"), backend.DelayHeader, "notification-service=3s"))
	if a.status != http.StatusGatewayTimeout {
		t.Fatalf("notifications with a 3 s delay: got %d %s, want 504 (mesh per-try timeout 2 s)", a.status, a.body)
	}
}

// /api/v2/... goes to api-v2-service with /api/v2 stripped.
func TestRouteAPIv2ByPath(t *testing.T) {
	got := wantBackend(t, call(t, "GET", "/api/v2/users/123", reader(t, "user-4")), "api-v2-service", "GET", "/users/123")
	if got.APIVersion != 2 {
		t.Fatalf("got apiVersion %d, want 2", got.APIVersion)
	}
}

// Accept-Language: fr sends product requests to french-content-service.
func TestRouteAcceptLanguageFrench(t *testing.T) {
	got := wantBackend(t, call(t, "GET", "/api/v1/products/456", with(reader(t, "user-5"), "Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")),
		"french-content-service", "GET", "/products/456")
	if got.Language != "fr" {
		t.Fatalf("got language %q, want fr", got.Language)
	}
	wantBackend(t, call(t, "GET", "/api/v1/products/456", with(reader(t, "user-5"), "Accept-Language", "en-GB")), "product-service", "GET", "/products/456")
}

// X-API-Version: 2 sends user requests to api-v2-service.
func TestRouteAPIVersionHeader(t *testing.T) {
	got := wantBackend(t, call(t, "GET", "/api/v1/users/123", with(reader(t, "user-6"), "X-API-Version", "2")), "api-v2-service", "GET", "/users/123")
	if got.APIVersion != 2 || got.Headers["X-Api-Version"][0] != "2" {
		t.Fatalf("got %+v, want api-v2-service with the version header passed on", got)
	}
}

type dashboard struct {
	User          *backend.Answer `json:"user"`
	Orders        *backend.Answer `json:"orders"`
	Notifications *backend.Answer `json:"notifications"`
	Meta          map[string]struct {
		Service   string   `json:"service"`
		Status    int      `json:"status"`
		LatencyMs *float64 `json:"latencyMs"`
		Error     string   `json:"error"`
	} `json:"_meta"`
}

// GET /user-dashboard calls three services in parallel and merges them, with
// each call's status and latency under _meta; a client's UUID request ID is
// kept on this route.
func TestDashboardAggregation(t *testing.T) {
	const clientID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	a := call(t, "GET", "/user-dashboard", with(reader(t, "user-42"), "X-Request-ID", clientID))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	d := jsonBody[dashboard](t, a)
	if d.User == nil || d.User.Service != "user-service" || d.User.User["id"] != "user-42" {
		t.Errorf("user: got %+v, want user-service's user-42", d.User)
	}
	if d.Orders == nil || d.Orders.Service != "order-service" || d.Orders.Query != "userId=user-42&limit=5" {
		t.Errorf("orders: got %+v, want order-service asked for user-42's last 5", d.Orders)
	}
	if d.Notifications == nil || d.Notifications.Service != "notification-service" {
		t.Errorf("notifications: got %+v, want notification-service's", d.Notifications)
	}
	for _, k := range []string{"user", "orders", "notifications"} {
		if m := d.Meta[k]; m.Status != 200 || m.LatencyMs == nil || m.Error != "" {
			t.Errorf("_meta.%s: got %+v, want status 200 with a latency", k, m)
		}
	}
	if a.header.Get("X-Request-Id") != clientID || d.User.Headers["X-Request-Id"][0] != clientID {
		t.Errorf("got request ID %q (backend %q), want the client's %s", a.header.Get("X-Request-Id"), d.User.Headers["X-Request-Id"], clientID)
	}
}

// An optional backend that fails gives null and a _meta entry; the rest of
// the answer stands.
func TestDashboardOptionalBackendDown(t *testing.T) {
	a := call(t, "GET", "/user-dashboard", with(reader(t, "user-43"), backend.FailHeader, "notification-service"))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200 (partial)", a.status, a.body)
	}
	if !strings.Contains(string(a.body), `"notifications":null`) {
		t.Errorf("got %s, want notifications: null", a.body)
	}
	d := jsonBody[dashboard](t, a)
	if m := d.Meta["notifications"]; m.Status != http.StatusServiceUnavailable || m.Error == "" || m.LatencyMs == nil {
		t.Errorf("_meta.notifications: got %+v, want status 503 with an error and a latency", m)
	}
	if d.User == nil || d.Orders == nil || d.User.User["id"] != "user-43" {
		t.Errorf("got user %+v orders %+v, want both answered", d.User, d.Orders)
	}
}

// A required backend that fails makes the answer 502, naming the call.
func TestDashboardRequiredBackendDown(t *testing.T) {
	a := call(t, "GET", "/user-dashboard", with(reader(t, "user-44"), backend.FailHeader, "user-service"))
	if a.status != http.StatusBadGateway {
		t.Fatalf("got %d %s, want 502", a.status, a.body)
	}
	body := jsonBody[map[string]any](t, a)
	if body["call"] != "user" || body["service"] != "user-service" || body["requestId"] == nil {
		t.Fatalf("got %s, want a JSON error naming the call user of user-service", a.body)
	}
}

// The route table is data: a new document in the item is picked up without a
// redeploy, and an invalid one is refused while the last good table serves.
func TestRouteTableRefresh(t *testing.T) {
	// The tests after this one need the original table in force, not only stored.
	put, _ := swapDocument(t, "config#routes", "the original route table", func() bool {
		return call(t, "GET", "/api/v1/users/1", reader(t, "user-9")).status == http.StatusOK
	})
	h := reader(t, "user-9")
	if a := call(t, "GET", "/api/v9/things", h); a.status != http.StatusNotFound {
		t.Fatalf("before: got %d %s, want 404", a.status, a.body)
	}
	put(`{"version":1,"revision":"e2e","routes":[{"id":"things","match":{"pathPrefix":"/api/v9"},"service":"product-service","stripPrefix":"/api/v9"}]}`)
	waitFor(t, "the new route", func() bool { return call(t, "GET", "/api/v9/things", h).status == http.StatusOK })
	wantBackend(t, call(t, "GET", "/api/v9/things", h), "product-service", "GET", "/things")

	put(`{"version":1,"routes":[{"id":"broken","match":{"pathPrefix":"/api/v9"},"service":"a b"}]}`)
	time.Sleep(7 * time.Second) // past config_refresh (5 s): the aggregator read it and refused it
	wantBackend(t, call(t, "GET", "/api/v9/things", h), "product-service", "GET", "/things")
}

// swapDocument lets a test write documents to the state table's item pk (the
// route table, the limits) and returns put and the item's current document.
// When the test ends it puts back exactly what Terraform wrote, so the plan
// stays empty, and waits until restored holds.
func swapDocument(t *testing.T, pk, what string, restored func() bool) (put func(doc string), original string) {
	t.Helper()
	db := dynamodb.NewFromConfig(stack.aws)
	ctx := context.Background()
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(stack.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("read the item %s: %v %v", pk, out, err)
	}
	item := out.Item
	doc, ok := item["document"].(*ddbtypes.AttributeValueMemberS)
	if !ok {
		t.Fatalf("item %s has no string document: %v", pk, item)
	}
	t.Cleanup(func() {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(stack.table), Item: item}); err != nil {
			t.Errorf("restore the item %s: %v", pk, err)
			return
		}
		bumpRevision(t)
		waitFor(t, what, restored)
	})
	return func(doc string) {
		t.Helper()
		next := map[string]ddbtypes.AttributeValue{"pk": key["pk"], "document": &ddbtypes.AttributeValueMemberS{Value: doc}}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(stack.table), Item: next}); err != nil {
			t.Fatal(err)
		}
		bumpRevision(t)
	}, doc.Value
}

// bumpRevision increments the configuration revision, as the provider does
// after every write of a configuration document: the aggregator reads the
// documents again only when it moved.
func bumpRevision(t *testing.T) {
	t.Helper()
	_, err := dynamodb.NewFromConfig(stack.aws).UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(stack.table),
		Key:                       map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.RevisionKey}},
		UpdateExpression:          aws.String("ADD #rev :one"),
		ExpressionAttributeNames:  map[string]string{"#rev": statetable.RevisionAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": &ddbtypes.AttributeValueMemberN{Value: "1"}},
	})
	if err != nil {
		t.Fatalf("bump the configuration revision: %v", err)
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 20 s for %s", what)
}
