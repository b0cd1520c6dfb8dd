package mesh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

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

// A canary policy as the Terraform provider writes it: 95 % to v1, 5 % to v2,
// and testers (X-Test-User: true) always to v2.
func ExamplePolicy() {
	var p mesh.Policy
	err := json.Unmarshal([]byte(`{
		"versions": [{"version": "v1", "weight": 95}, {"version": "v2", "weight": 5}],
		"routes": [{"header": "X-Test-User", "value": "true", "version": "v2"}],
		"retry": {"attempts": 3, "perTryTimeout": "2s"}
	}`), &p)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Validate())
	p.Versions[1].Weight = 10
	fmt.Println(p.Validate())
	// Output:
	// <nil>
	// mesh: invalid policy: versions: weights sum to 105, want 100
}

// A header route sends testers to the new version, whatever the weights.
func Example_headerRoute() {
	v1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v1") }))
	defer v1.Close()
	v2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v2") }))
	defer v2.Close()
	at := func(srv *httptest.Server, id, version string) mesh.Instance {
		host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		p, _ := strconv.Atoi(port)
		return mesh.Instance{ID: id, Address: host, Port: p, Attributes: map[string]string{"version": version}}
	}
	client, err := mesh.New(mesh.Config{
		Discoverer: staticDiscoverer{"payment": {at(v1, "p1", "v1"), at(v2, "p2", "v2")}},
		Policies: map[string]mesh.Policy{"payment": {
			Versions: []mesh.Weighted{{Version: "v1", Weight: 100}, {Version: "v2", Weight: 0}},
			Routes:   []mesh.Route{{Header: "X-Test-User", Value: "true", Version: "v2"}},
		}},
	})
	if err != nil {
		panic(err)
	}
	for _, tester := range []string{"false", "true"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://payment/charge", nil)
		req.Header.Set("X-Test-User", tester)
		resp, err := client.HTTPClient().Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("X-Test-User: %s → %s\n", tester, body)
	}
	// Output:
	// X-Test-User: false → v1
	// X-Test-User: true → v2
}

// Metrics go to CloudWatch as Embedded Metric Format lines on stdout, which
// Lambda forwards to CloudWatch Logs.
func ExampleWriteEMF() {
	s := mesh.Snapshot{Time: time.UnixMilli(0), Rows: []mesh.Stats{{Service: "payment", Requests: 2, Status2xx: 2}}}
	if err := mesh.WriteEMF(os.Stdout, s, "Portico/Mesh"); err != nil {
		panic(err)
	}
	// Output:
	// {"Active":0,"Ejections":0,"Errors":0,"LatencyP50":0,"LatencyP95":0,"LatencyP99":0,"Requests":2,"Retries":0,"Service":"payment","Status2xx":2,"Status4xx":0,"Status5xx":0,"_aws":{"CloudWatchMetrics":[{"Namespace":"Portico/Mesh","Dimensions":[["Service"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Status2xx","Unit":"Count"},{"Name":"Status4xx","Unit":"Count"},{"Name":"Status5xx","Unit":"Count"},{"Name":"Errors","Unit":"Count"},{"Name":"Retries","Unit":"Count"},{"Name":"Ejections","Unit":"Count"},{"Name":"Active","Unit":"Count"},{"Name":"LatencyP50","Unit":"Milliseconds"},{"Name":"LatencyP95","Unit":"Milliseconds"},{"Name":"LatencyP99","Unit":"Milliseconds"}]}],"Timestamp":0}}
}
