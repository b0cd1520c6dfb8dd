//go:build e2e

package meshproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/localstack/polyglot"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/trace"
)

// need returns the environment variable k, failing the test without it.
func need(t testing.TB, k string) string {
	t.Helper()
	v := os.Getenv(k)
	if v == "" {
		t.Fatalf("%s is not set (run the tests with make e2e)", k)
	}
	return v
}

func awsConfig(t testing.TB) aws.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: need(t, "PORTICO_ENDPOINT"), CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// awsEnv is the environment that points portico-mesh at the emulator.
func awsEnv(t testing.TB) map[string]string {
	env := map[string]string{"AWS_ENDPOINT_URL": need(t, "PORTICO_ENDPOINT"), "AWS_REGION": "us-east-1"}
	if ca := os.Getenv("PORTICO_CA_CERT"); ca != "" {
		env["AWS_CA_BUNDLE"] = ca
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = os.Getenv(k)
		if env[k] == "" {
			env[k] = "test" // the emulator takes any
		}
	}
	return env
}

// cloudMap is a namespace of the test's own, deleted when it ends.
type cloudMap struct {
	t         testing.TB
	sd        *servicediscovery.Client
	name, id  string
	services  map[string]string   // name → ID
	instances map[string][]string // service ID → instance IDs
}

func newCloudMap(t testing.TB) *cloudMap {
	t.Helper()
	cfg := awsConfig(t)
	c := &cloudMap{
		t: t, services: map[string]string{}, instances: map[string][]string{},
		name: fmt.Sprintf("e2e-%s-%d.local", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano()),
		sd: servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}),
	}
	ctx := context.Background()
	out, err := c.sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String(c.name), CreatorRequestId: aws.String(randomID())})
	if err != nil {
		t.Fatal(err)
	}
	op := c.wait(aws.ToString(out.OperationId))
	c.id = op.Targets[string(sdtypes.OperationTargetTypeNamespace)]
	t.Cleanup(c.delete)
	return c
}

func randomID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

func (c *cloudMap) wait(id string) *sdtypes.Operation {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		out, err := c.sd.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: aws.String(id)})
		if err != nil {
			c.t.Fatal(err)
		}
		switch out.Operation.Status {
		case sdtypes.OperationStatusSuccess:
			return out.Operation
		case sdtypes.OperationStatusFail:
			c.t.Fatalf("operation %s failed: %s", id, aws.ToString(out.Operation.ErrorMessage))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// service creates a service, with policy as its portico.policy attribute
// (as portico_service writes it) when not nil.
func (c *cloudMap) service(name string, policy *mesh.Policy) {
	c.t.Helper()
	ctx := context.Background()
	out, err := c.sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String(name), NamespaceId: aws.String(c.id), CreatorRequestId: aws.String(randomID())})
	if err != nil {
		c.t.Fatal(err)
	}
	c.services[name] = aws.ToString(out.Service.Id)
	if policy != nil {
		attrs, err := cloudmap.EncodePolicy(*policy)
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := c.sd.UpdateServiceAttributes(ctx, &servicediscovery.UpdateServiceAttributesInput{ServiceId: out.Service.Id, Attributes: attrs}); err != nil {
			c.t.Fatal(err)
		}
	}
}

// register registers instance id of service at addr (host:port).
func (c *cloudMap) register(service, id, addr, version string) {
	c.t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	attrs := map[string]string{cloudmap.AttrIPv4: host, cloudmap.AttrPort: port}
	if version != "" {
		attrs[mesh.AttrVersion] = version
	}
	svc := c.services[service]
	out, err := c.sd.RegisterInstance(context.Background(), &servicediscovery.RegisterInstanceInput{
		ServiceId: aws.String(svc), InstanceId: aws.String(id), CreatorRequestId: aws.String(randomID()), Attributes: attrs,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.instances[svc] = append(c.instances[svc], id)
	c.wait(aws.ToString(out.OperationId))
}

func (c *cloudMap) delete() {
	ctx := context.Background()
	for svc, ids := range c.instances {
		for _, id := range ids {
			if _, err := c.sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: aws.String(svc), InstanceId: aws.String(id)}); err != nil {
				c.t.Errorf("deregister %s: %v", id, err)
			}
		}
	}
	for name, id := range c.services {
		if _, err := c.sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: aws.String(id)}); err != nil {
			c.t.Errorf("delete service %s: %v", name, err)
		}
	}
	if _, err := c.sd.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(c.id)}); err != nil {
		c.t.Errorf("delete namespace %s: %v", c.name, err)
	}
}

// newCA returns a development CA.
func newCA(t testing.TB) *mtls.CA {
	t.Helper()
	now := time.Now()
	ca, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// certFiles writes service's certificate, key and the CA bundle into dir
// and returns the portico-mesh variables that name them.
func certFiles(t testing.TB, ca *mtls.CA, service, dir string) map[string]string {
	t.Helper()
	now := time.Now()
	m, err := ca.Issue(service, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range map[string][]byte{"PORTICO_MESH_TLS_CERT": m.CertPEM, "PORTICO_MESH_TLS_KEY": m.KeyPEM, "PORTICO_MESH_TLS_CA": m.CAPEM} {
		p := filepath.Join(dir, service+"-"+strings.ToLower(strings.TrimPrefix(k, "PORTICO_MESH_TLS_"))+".pem")
		if err := os.WriteFile(p, v, 0o600); err != nil {
			t.Fatal(err)
		}
		env[k] = p
	}
	return env
}

// clientTLS is what a caller with service's certificate presents.
func clientTLS(t testing.TB, ca *mtls.CA, service, callee string) *http.Client {
	t.Helper()
	now := time.Now()
	m, _ := ca.Issue(service, now.Add(-time.Hour), now.Add(time.Hour))
	src := &mtls.Memory{}
	src.Set(m)
	creds, err := mtls.New(context.Background(), mtls.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: creds.ClientConfig(callee), Proxy: nil}, Timeout: 10 * time.Second}
}

// udpSender sends segments to addr until the test ends.
func udpSender(t testing.TB, addr string) *trace.UDP {
	t.Helper()
	s, err := trace.DialUDP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// freeAddr returns a free loopback address.
func freeAddr(t testing.TB) string {
	t.Helper()
	a, err := polyglot.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sidecar starts portico-mesh with env and waits for its ports.
func sidecar(t *testing.T, name string, env map[string]string, ports ...string) *polyglot.Process {
	t.Helper()
	bin := need(t, "PORTICO_MESH_BIN")
	for k, v := range awsEnv(t) {
		env[k] = v
	}
	env["PORTICO_MESH_MODE"] = "sidecar"
	p, err := polyglot.Start(bin, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(5 * time.Second); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tail(p.Output(), 4000))
		}
	})
	for _, port := range ports {
		if err := p.WaitPort(port, 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// emfRows returns the embedded-metric-format lines in a process's output.
func emfRows(out string) []map[string]any {
	var rows []map[string]any
	for _, line := range strings.Split(out, "\n") {
		i := strings.Index(line, `{`)
		if i < 0 || !strings.Contains(line, `"_aws"`) {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line[i:]), &m) == nil {
			rows = append(rows, m)
		}
	}
	return rows
}

// sumMetric adds metric over the rows of service (and instance, when not
// empty; the service rows otherwise).
func sumMetric(rows []map[string]any, service, instance, metric string) float64 {
	total := 0.0
	for _, r := range rows {
		inst, _ := r["Instance"].(string)
		_, hasVersion := r["Version"]
		if r["Service"] != service || inst != instance || (instance == "" && hasVersion) {
			continue
		}
		v, _ := r[metric].(float64)
		total += v
	}
	return total
}
