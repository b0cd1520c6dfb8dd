//go:build e2e

package meshproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/localstack/polyglot"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// inventory runs instances of the inventory service: HTTPS servers that
// admit the orders function only and say who they are and who called.
type inventory struct {
	mu      sync.Mutex
	counts  map[string]int
	failing map[string]bool
}

func (inv *inventory) serve(t *testing.T, ca *mtls.CA, id string) string {
	t.Helper()
	now := time.Now()
	m, _ := ca.Issue("inventory", now.Add(-time.Hour), now.Add(24*time.Hour))
	src := &mtls.Memory{}
	src.Set(m)
	creds, err := mtls.New(context.Background(), mtls.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		TLSConfig: creds.ServerConfig("orders"), ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inv.mu.Lock()
			inv.counts[id]++
			failing := inv.failing[id]
			inv.mu.Unlock()
			if failing {
				http.Error(w, id+" is failing", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"instance": id, "caller": mtls.PeerIdentity(r.TLS), "path": r.URL.Path})
		}),
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func (inv *inventory) count(id string) int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.counts[id]
}

// result is one call the function made, as it reports it.
type result struct {
	Status int `json:"status"`
	Body   struct {
		Instance string `json:"instance"`
		Caller   string `json:"caller"`
		Message  string `json:"message"`
	} `json:"body"`
	MeshError string `json:"meshError"`
}

// A Python function with portico-mesh as its extension, and no mesh code,
// calls the inventory service through localhost: under the Runtime Interface
// Emulator, with the instances in the emulator's Cloud Map and the
// function's certificate in its Secrets Manager.
func TestLambdaExtension(t *testing.T) {
	rie, bin := need(t, "PORTICO_RIE"), need(t, "PORTICO_MESH_BIN")
	ca := newCA(t)
	cm := newCloudMap(t)
	cm.service("inventory", &mesh.Policy{Retry: mesh.Retry{Attempts: 3, BackoffBase: mesh.Duration(5 * time.Millisecond)}})
	inv := &inventory{counts: map[string]int{}, failing: map[string]bool{"inventory-3": true}}
	for _, id := range []string{"inventory-1", "inventory-2", "inventory-3"} {
		cm.register("inventory", id, inv.serve(t, ca, id), "")
	}

	// The function's certificate, as portico_mesh_certificate stores it.
	now := time.Now()
	material, _ := ca.Issue("orders", now.Add(-time.Hour), now.Add(24*time.Hour))
	value, err := secretsmanager.Encode(material)
	if err != nil {
		t.Fatal(err)
	}
	sm := awssm.NewFromConfig(awsConfig(t))
	secret := fmt.Sprintf("e2e/mesh/orders-%d", time.Now().UnixNano())
	if _, err := sm.CreateSecret(context.Background(), &awssm.CreateSecretInput{Name: aws.String(secret), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sm.DeleteSecret(context.Background(), &awssm.DeleteSecretInput{SecretId: aws.String(secret), ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()

	dir, err := polyglot.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	env := awsEnv(t)
	for k, v := range map[string]string{
		"PORTICO_MESH_NAMESPACE": cm.name, "PORTICO_MESH_SERVICE": "orders", "PORTICO_MESH_SERVICES": "inventory",
		"PORTICO_MESH_TLS_SECRET": secret, "PORTICO_MESH_LISTEN": listen, "PORTICO_MESH_XRAY_DAEMON": col.Addr(),
		"PORTICO_MESH_METRICS_INTERVAL": "0s", "MESH_URL": "http://" + listen,
	} {
		env[k] = v
	}
	fn, err := polyglot.StartLambda(polyglot.LambdaConfig{RIE: rie, Bootstrap: dir + "/bootstrap", Extensions: map[string]string{"portico-mesh": bin}, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			fn.Stop(5 * time.Second)
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", tail(fn.Output(), 6000))
		}
	})

	invoke := func(event map[string]any) []result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out struct{ Results []result }
		if err := fn.Invoke(ctx, event, &out); err != nil {
			t.Fatal(err)
		}
		return out.Results
	}

	// Cold: INIT starts the extension, which reads its certificate and
	// discovers inventory before the function runs.
	first := invoke(map[string]any{"service": "inventory", "path": "/items/1", "calls": 30})
	served := map[string]int{}
	for i, r := range first {
		if r.Status != 200 || r.Body.Caller != "spiffe://portico/orders" {
			t.Fatalf("call %d: got %d (%s) from %q with caller %q, want 200 over mutual TLS as orders", i, r.Status, r.MeshError, r.Body.Instance, r.Body.Caller)
		}
		served[r.Body.Instance]++
	}
	if len(first) != 30 || served["inventory-1"] < 8 || served["inventory-2"] < 8 || served["inventory-3"] != 0 {
		t.Fatalf("got %v over %d calls, want them balanced over inventory-1 and -2", served, len(first))
	}
	if n := inv.count("inventory-3"); n != 5 {
		t.Fatalf("got %d calls to the failing inventory-3, want 5 (each retried elsewhere, then ejected)", n)
	}

	// Warm: the same environment keeps the instances and the ejection.
	second := invoke(map[string]any{"service": "inventory", "path": "/items/2", "calls": 10})
	for i, r := range second {
		if r.Status != 200 {
			t.Fatalf("warm call %d: got %d, want 200", i, r.Status)
		}
	}
	if n := inv.count("inventory-3"); n != 5 {
		t.Fatalf("got %d calls to inventory-3 after the ejection, want still 5", n)
	}

	// Only the services listed may be called.
	refused := invoke(map[string]any{"service": "billing", "path": "/", "calls": 1})
	if refused[0].Status != 403 || refused[0].MeshError != "not_allowed" {
		t.Fatalf("got %+v, want 403 not_allowed", refused[0])
	}

	// Every call is a subsegment of its own trace, sent over UDP.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	for ctx.Err() == nil {
		segs, _ := col.Segments()
		calls = 0
		for _, s := range segs {
			if s.Type == "subsegment" && s.Name == "inventory" && s.Namespace == "remote" {
				calls++
			}
		}
		if calls >= 40 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if calls != 40 {
		t.Fatalf("got %d call subsegments, want 40", calls)
	}

	// SHUTDOWN: the emulator stops the environment; the extension writes
	// its metrics (45 attempts: 40 answered, 5 failed) before it exits.
	if err := fn.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	stopped = true
	out := fn.Output()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "portico-mesh: ready") || strings.Contains(line, "INIT REPORT") {
			t.Log(line)
		}
	}
	rows := emfRows(out)
	if got := sumMetric(rows, "inventory", "", "Requests"); got != 45 {
		t.Fatalf("got %v requests in the metrics written at shutdown, want 45\n%s", got, tail(out, 3000))
	}
	if got := sumMetric(rows, "inventory", "inventory-3", "Ejections"); got != 1 {
		t.Fatalf("got %v ejections of inventory-3 in the metrics, want 1", got)
	}
	if !strings.Contains(out, `"msg":"portico-mesh: stopped"`) || !strings.Contains(out, `"drained":true`) {
		t.Fatalf("no drained stop in the output:\n%s", tail(out, 3000))
	}
}
