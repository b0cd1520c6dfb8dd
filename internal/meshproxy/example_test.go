package meshproxy_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/portico-gw/portico/internal/meshproxy"
	"github.com/portico-gw/portico/pkg/mesh"
)

// oneInstance discovers the same instance for every service.
type oneInstance struct{ inst mesh.Instance }

func (o oneInstance) Discover(context.Context, string) ([]mesh.Instance, error) {
	return []mesh.Instance{o.inst}, nil
}

// The outbound handler in front of a mesh client: the caller names the
// service in the path and knows nothing else. (portico-mesh builds the
// client on Cloud Map with meshproxy.BuildAWS and serves the handler on
// 127.0.0.1:9911.)
func Example() {
	payment := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "payment got %s %s", r.Method, r.URL.RequestURI())
	}))
	defer payment.Close()
	host, port, _ := net.SplitHostPort(payment.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	client, err := mesh.New(mesh.Config{Discoverer: oneInstance{mesh.Instance{ID: "payment-1", Address: host, Port: p}}})
	if err != nil {
		log.Fatal(err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := meshproxy.Config{
		Namespace: "portico.local", Listen: ln.Addr().String(), MaxServices: meshproxy.DefaultMaxServices,
		TrustDomain: meshproxy.DefaultTrustDomain, Refresh: meshproxy.DefaultRefresh,
		MaxRequestBytes: meshproxy.DefaultMaxRequestBytes, MaxResponseBytes: meshproxy.DefaultMaxResponseBytes,
	}
	proxy, err := meshproxy.New(cfg, meshproxy.Dependencies{Mesh: client})
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: proxy.Outbound()}
	go srv.Serve(ln)
	defer srv.Close()

	resp, err := http.Get("http://" + ln.Addr().String() + "/payment/charges/42?currency=EUR")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: payment got GET /charges/42?currency=EUR
}
