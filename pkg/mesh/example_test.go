package mesh_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/portico-gw/portico/pkg/mesh"
)

// staticDiscoverer serves a fixed instance list; production code uses
// mesh/cloudmap.
type staticDiscoverer map[string][]mesh.Instance

func (s staticDiscoverer) Discover(_ context.Context, service string) ([]mesh.Instance, error) {
	return s[service], nil
}

func Example() {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user-service got %s", r.URL.Path)
	}))
	defer backend.Close()
	host, port, _ := net.SplitHostPort(backend.Listener.Addr().String())
	p, _ := strconv.Atoi(port)

	client, err := mesh.New(mesh.Config{Discoverer: staticDiscoverer{
		"user-service": {{ID: "u1", Address: host, Port: p}},
	}})
	if err != nil {
		panic(err)
	}
	resp, err := client.HTTPClient().Get("http://user-service/users/123")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: user-service got /users/123
}
