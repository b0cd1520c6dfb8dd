//go:build e2e

package meshproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/localstack/polyglot"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// BenchmarkColdStart measures, under the Runtime Interface Emulator, what
// portico-mesh adds to a cold start of the Python function (whose INIT the
// emulator runs at the first invoke, as Lambda does). Three variants:
//
//   - function: no extension (the baseline);
//   - extension: portico-mesh with nothing to fetch at INIT;
//   - warm: portico-mesh reading its certificate from Secrets Manager and
//     discovering one service in Cloud Map (the emulator's, on this host)
//     before INIT ends.
//
// Each iteration is one round: a fresh execution environment per variant,
// in rotating order, one invoke each (the function makes no call). The
// metrics are medians over the rounds: ms/invoke-<variant>, from posting
// the invoke to its answer; ms/port-<variant>, from posting it to the
// extension's port accepting connections; ms/ready-<variant>, the
// extension's own time from its start to the end of its INIT work, as it
// logs it. ns/op includes starting and stopping the emulators.
//
//	go test -tags e2e -run '^$' -bench ColdStart -benchtime 20x -count 5 ./tests/meshproxy/
func BenchmarkColdStart(b *testing.B) {
	rie, bin := need(b, "PORTICO_RIE"), need(b, "PORTICO_MESH_BIN")
	dir, err := polyglot.Write(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	variants := []struct {
		name      string
		extension bool
		env       map[string]string
	}{
		{"function", false, nil},
		{"extension", true, map[string]string{"PORTICO_MESH_NAMESPACE": "coldstart.local", "AWS_REGION": "us-east-1", "PORTICO_MESH_METRICS_INTERVAL": "off"}},
		{"warm", true, warmSetUp(b)},
	}
	invoke := map[string][]time.Duration{}
	port := map[string][]time.Duration{}
	ready := map[string][]time.Duration{}
	round := 0
	for b.Loop() {
		for i := range variants {
			v := variants[(i+round)%len(variants)]
			inv, prt, rdy := coldStart(b, rie, bin, dir, v.extension, v.env)
			invoke[v.name] = append(invoke[v.name], inv)
			if v.extension {
				port[v.name] = append(port[v.name], prt)
				ready[v.name] = append(ready[v.name], rdy)
			}
		}
		round++
	}
	for _, v := range variants {
		b.ReportMetric(median(invoke[v.name]), "ms/invoke-"+v.name)
		if v.extension {
			b.ReportMetric(median(port[v.name]), "ms/port-"+v.name)
			b.ReportMetric(median(ready[v.name]), "ms/ready-"+v.name)
		}
	}
}

// coldStart starts an execution environment, invokes it once and stops it.
// It returns the time to the answer and, with the extension, the time to
// its port accepting and the extension's own start-to-ready time.
func coldStart(b *testing.B, rie, bin, dir string, extension bool, extra map[string]string) (invoke, port, ready time.Duration) {
	listen, _ := polyglot.FreeAddr()
	env := map[string]string{"PORTICO_MESH_LISTEN": listen}
	for k, val := range extra {
		env[k] = val
	}
	cfg := polyglot.LambdaConfig{RIE: rie, Bootstrap: dir + "/bootstrap", Env: env}
	if extension {
		cfg.Extensions = map[string]string{"portico-mesh": bin}
	}
	fn, err := polyglot.StartLambda(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := fn.Stop(5 * time.Second); err != nil {
			b.Fatal(err)
		}
	}()
	readyAt := make(chan time.Time, 1)
	start := time.Now()
	if extension {
		go func() {
			for time.Since(start) < 10*time.Second {
				if c, err := net.Dial("tcp", listen); err == nil {
					readyAt <- time.Now()
					c.Close()
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
			readyAt <- time.Time{}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fn.Invoke(ctx, map[string]any{"calls": 0}, nil); err != nil {
		b.Fatalf("%v\n%s", err, tail(fn.Output(), 3000))
	}
	invoke = time.Since(start)
	if !extension {
		return invoke, 0, 0
	}
	at := <-readyAt
	if at.IsZero() {
		b.Fatalf("the extension's port never accepted:\n%s", tail(fn.Output(), 3000))
	}
	if ready, err = readyAfter(fn.Output()); err != nil {
		b.Fatal(err)
	}
	return invoke, at.Sub(start), ready
}

// warmSetUp makes the emulator's Cloud Map namespace, service and secret
// for the extension+warm variant, and returns its environment.
func warmSetUp(b *testing.B) map[string]string {
	b.Helper()
	env := map[string]string{}
	for k, v := range awsEnv(b) {
		env[k] = v
	}
	cm := newCloudMap(b)
	cm.service("inventory", nil)
	cm.register("inventory", "inventory-1", "127.0.0.1:9", "")
	now := time.Now()
	ca := newCA(b)
	m, _ := ca.Issue("orders", now.Add(-time.Hour), now.Add(24*time.Hour))
	value, _ := secretsmanager.Encode(m)
	sm := awssm.NewFromConfig(awsConfig(b))
	secret := fmt.Sprintf("e2e/mesh/coldstart-%d", now.UnixNano())
	if _, err := sm.CreateSecret(context.Background(), &awssm.CreateSecretInput{Name: aws.String(secret), SecretString: aws.String(value)}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		sm.DeleteSecret(context.Background(), &awssm.DeleteSecretInput{SecretId: aws.String(secret), ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	env["PORTICO_MESH_NAMESPACE"], env["PORTICO_MESH_SERVICES"], env["PORTICO_MESH_TLS_SECRET"] = cm.name, "inventory", secret
	env["PORTICO_MESH_METRICS_INTERVAL"] = "off"
	return env
}

// readyAfter returns the time from the extension's start to the end of
// its INIT work, as it logs it ("portico-mesh: ready", sinceStartMs).
func readyAfter(out string) (time.Duration, error) {
	for _, line := range strings.Split(out, "\n") {
		i := strings.Index(line, "{")
		if i < 0 || !strings.Contains(line, `"portico-mesh: ready"`) {
			continue
		}
		var l struct{ SinceStartMs float64 }
		if err := json.Unmarshal([]byte(line[i:]), &l); err != nil {
			return 0, err
		}
		return time.Duration(l.SinceStartMs * float64(time.Millisecond)), nil
	}
	return 0, fmt.Errorf("no ready line in the output:\n%s", tail(out, 2000))
}

// median returns the median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}
