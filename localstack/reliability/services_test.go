package reliability

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/statetable"
)

// An instance's faults: each answers, or fails to, as documented, and a
// Down instance listens again on the same port once healthy.
func TestInstanceFaults(t *testing.T) {
	in, err := NewInstance("user-service", "u-1", "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	port := in.Port
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() (int, error) {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/users/7", port))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	tests := []struct {
		fault   Fault
		slow    time.Duration
		status  int // 0: an error
		atLeast time.Duration
	}{
		{Healthy, 0, 200, 0},
		{Fail, 0, 503, 0},
		{Slow, 300 * time.Millisecond, 200, 300 * time.Millisecond},
		{Reset, 0, 0, 0},
		{Down, 0, 0, 0},
		{Healthy, 0, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			if err := in.Set(tt.fault, tt.slow); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			status, err := get()
			if status != tt.status || (tt.status == 0) != (err != nil) {
				t.Fatalf("got %d, %v; want %d", status, err, tt.status)
			}
			if took := time.Since(start); took < tt.atLeast {
				t.Fatalf("answered after %s, want at least %s", took, tt.atLeast)
			}
		})
	}
	if in.Port != port {
		t.Fatalf("back from Down on port %d, want %d", in.Port, port)
	}
	t.Run("hang", func(t *testing.T) {
		in.Set(Hang, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
		if _, err := client.Do(req); err == nil {
			t.Fatal("got an answer, want none before the caller gives up")
		}
	})
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// The cache check refuses an entry under a key no request has, one holding
// another path's answer, and a cut body.
func TestCacheProblem(t *testing.T) {
	key := productsKey
	expect := map[string]string{key("/api/v1/products/p-1"): "/products/p-1", key("/api/v1/products/p-2"): "/products/p-2"}
	if key("/api/v1/products/p-1") == cache.Key(cache.Policy{TTL: cacheTTL}, cache.Request{Route: "products", Service: "product-service", Method: "GET", Path: "/api/v1/products/p-1"}) {
		t.Fatal("the key does not depend on the Accept-Encoding the route varies on")
	}
	item := func(k, body string, raw []byte) map[string]ddbtypes.AttributeValue {
		b := raw
		if b == nil {
			b = gz(t, body)
		}
		return map[string]ddbtypes.AttributeValue{
			statetable.KeyAttr:         &ddbtypes.AttributeValueMemberS{Value: k},
			statetable.CacheStatusAttr: &ddbtypes.AttributeValueMemberN{Value: "200"},
			statetable.CacheBodyAttr:   &ddbtypes.AttributeValueMemberB{Value: b},
		}
	}
	good := `{"service":"product-service","path":"/products/p-1"}`
	tests := []struct {
		name string
		item map[string]ddbtypes.AttributeValue
		want string // in the problem; "" for none
	}{
		{"its own answer", item(key("/api/v1/products/p-1"), good, nil), ""},
		{"another path's answer", item(key("/api/v1/products/p-2"), good, nil), "want product-service's for /products/p-2"},
		{"an unknown key", item("cache#00", good, nil), "belongs to no request"},
		{"a cut body", item(key("/api/v1/products/p-1"), "", gz(t, good)[:10]), "cut"},
		{"not gzip", item(key("/api/v1/products/p-1"), "", []byte("plain")), "not gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cacheProblem(tt.item, expect)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
