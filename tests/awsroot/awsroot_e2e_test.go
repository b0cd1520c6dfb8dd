//go:build e2e

package awsroot

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	apikeydynamo "github.com/portico-gw/portico/internal/apikey/dynamo"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/faultproxy"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

const (
	issuer   = "https://portico.awsroot"
	audience = "portico-awsroot"
)

func mustEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set (run the tests with make test)", name)
	}
	return v
}

// root runs Terraform on terraform/aws with its own state and variables, and
// AWS_ENDPOINT_URL/AWS_CA_BUNDLE in its environment.
type root struct {
	t     *testing.T
	state string
	vars  []string
	env   []string
}

func (r *root) run(args ...string) (string, error) {
	full := append([]string{"-chdir=../../terraform/aws"}, args...)
	c := exec.Command(mustEnv(r.t, "PORTICO_TERRAFORM"), full...)
	c.Env = append(os.Environ(), r.env...)
	out, err := c.CombinedOutput()
	return string(out), err
}

func (r *root) change(cmd string, extra ...string) (string, error) {
	args := append([]string{cmd, "-input=false", "-no-color", "-state=" + r.state}, extra...)
	return r.run(append(args, r.vars...)...)
}

func (r *root) output(name string) string {
	r.t.Helper()
	out, err := r.run("output", "-no-color", "-state="+r.state, "-raw", name)
	if err != nil {
		r.t.Fatalf("terraform output %s: %v\n%s", name, err, out)
	}
	return out
}

func TestAWSRootOnTheEmulator(t *testing.T) {
	endpoint := mustEnv(t, "PORTICO_ENDPOINT")
	caCert := os.Getenv("PORTICO_CA_CERT")
	ctx := context.Background()
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := "aws" + hex.EncodeToString(suffix)
	dir := t.TempDir()

	priv, pub, err := devtoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "jwt.pub.pem")
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &root{t: t, state: filepath.Join(dir, "aws.tfstate"),
		vars: []string{
			"-var", "name=" + name,
			"-var", "region=us-east-1",
			"-var", "namespace=" + name + ".internal",
			"-var", "architecture=" + mustEnv(t, "PORTICO_LAMBDA_ARCH"),
			"-var", "authorizer_zip=" + mustEnv(t, "PORTICO_AUTHORIZER_ZIP"),
			"-var", "aggregator_zip=" + mustEnv(t, "PORTICO_AGGREGATOR_ZIP"),
			"-var", "jwt_public_key=" + pubPath,
			"-var", "jwt_issuer=" + issuer,
			"-var", "jwt_audience=" + audience,
			// So high that a rule of the document is the tightest, which
			// the default without a document lacks.
			"-var", "limit_per_ip_per_minute=1000000",
		},
		env: []string{"AWS_ENDPOINT_URL=" + endpoint},
	}
	if caCert != "" {
		r.env = append(r.env, "AWS_CA_BUNDLE="+caCert)
	}
	// Each function reaches DynamoDB through a proxy of its own that records
	// every operation and item: the emulator enforces no IAM, so the calls the
	// code makes are checked against the role policies here.
	bind, host := os.Getenv("PORTICO_BACKEND_BIND"), os.Getenv("PORTICO_BACKEND_HOST")
	if bind == "" {
		bind = "127.0.0.1"
	}
	if host == "" {
		host = "127.0.0.1"
	}
	authorizerDB, authorizerURL := recorder(t, endpoint, caCert, bind, host)
	aggregatorDB, aggregatorURL := recorder(t, endpoint, caCert, bind, host)
	r.vars = append(r.vars,
		"-var", fmt.Sprintf(`authorizer_environment={AWS_ENDPOINT_URL_DYNAMODB=%q}`, authorizerURL),
		"-var", fmt.Sprintf(`aggregator_environment={AWS_ENDPOINT_URL_DYNAMODB=%q}`, aggregatorURL))
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			if out, err := r.change("destroy", "-auto-approve"); err != nil {
				t.Errorf("clean-up: terraform destroy: %v\n%s", err, out)
			}
		}
	})
	if out, err := r.change("apply", "-auto-approve"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	url, namespaceID, namespace, table := r.output("invoke_url"), r.output("namespace_id"), r.output("namespace_name"), r.output("table_name")
	checkAggregatorWrites(t, r)

	// A user-service instance, registered as a user of this root would.
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: endpoint, CABundle: caCert})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: backend.Handler("user-service"), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	deregister := register(t, servicediscovery.NewFromConfig(cfg), namespaceID, "user-service", host, ln.Addr().(*net.TCPAddr).Port)

	client := httpsClient(t, caCert)
	get := func(path, bearer string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", url+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	if status, body, _ := get("/api/v1/users/7", ""); status != http.StatusUnauthorized {
		t.Fatalf("without a token: got %d %s, want 401", status, body)
	}
	tok, err := devtoken.Mint(priv, devtoken.Claims{Subject: "user-7", Issuer: issuer, Audience: audience, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// routes.json: /api/v1/users → user-service, prefix /api/v1 stripped.
	status, body, header := get("/api/v1/users/7", tok)
	if status != http.StatusOK {
		t.Fatalf("with a token: got %d %s, want 200 from user-service (namespace %s)", status, body, namespace)
	}
	var got backend.Answer
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Service != "user-service" || got.Path != "/users/7" {
		t.Fatalf("got %s (%v), want user-service answering /users/7", body, err)
	}
	// The limits document of main.tf is the one the aggregator applies: the
	// token names no tier and the request carries no key, so the free tier
	// (100 per hour) counts per subject and is the tightest.
	if got := header.Get("RateLimit-Limit"); got != "100" {
		t.Errorf("got RateLimit-Limit %q, want 100 from the document's free tier", got)
	}

	checkCallsAllowed(t, r, "portico_lambda_role.authorizer", authorizerDB,
		access("GetItem", statetable.RevisionKey), access("GetItem", statetable.AuthKey))
	checkCallsAllowed(t, r, "portico_lambda_role.aggregator", aggregatorDB,
		access("GetItem", statetable.RevisionKey), access("BatchGetItem", statetable.RoutesKey))

	if out, err := r.change("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan after apply: want no changes, got %v\n%s", err, out)
	}
	deregister()
	if out, err := r.change("destroy", "-auto-approve"); err != nil {
		t.Fatalf("terraform destroy: %v\n%s", err, out)
	}
	destroyed = true
	if _, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err == nil {
		t.Errorf("table %s still exists after destroy", table)
	}
}

// checkAggregatorWrites holds the functions' roles' DynamoDB statements, as
// applied, to the items the code writes and reads: counters and cached
// responses may be written, the configuration and API keys may not; the
// authorizer reads its settings only (the emulator enforces no
// IAM, so the policy is evaluated here, with IAM's rules for Allow
// statements, ForAllValues:StringLike and dynamodb:LeadingKeys).
func checkAggregatorWrites(t *testing.T, r *root) {
	t.Helper()
	policy := rolePolicy(t, r, "portico_lambda_role.aggregator")
	counter := ratelimitdynamo.KeyPrefix + "ip#203.0.113.7#1764547200"
	cached := cache.Key(cache.Policy{TTL: time.Minute}, cache.Request{Route: "products", Method: "GET", Path: "/api/v1/products"})
	tests := []struct {
		action, key string
		want        bool
	}{
		{"dynamodb:UpdateItem", counter, true},
		{"dynamodb:UpdateItem", statetable.UsageKey(1764547200, "key", "0123456789abcdef"), true},
		{"dynamodb:UpdateItem", statetable.UsageIndexKey(1764547200), true},
		{"dynamodb:PutItem", cached, true},
		{"dynamodb:UpdateItem", statetable.DiscoveryPrefix + "payment", true},
		{"dynamodb:GetItem", statetable.DiscoveryPrefix + "payment", true},
		{"dynamodb:GetItem", statetable.RevisionKey, true},
		{"dynamodb:BatchGetItem", statetable.RoutesKey, true},
		{"dynamodb:GetItem", apikeydynamo.KeyPrefix + "0123", true},
		{"dynamodb:PutItem", statetable.RoutesKey, false},
		{"dynamodb:UpdateItem", statetable.LimitsKey, false},
		{"dynamodb:PutItem", apikeydynamo.KeyPrefix + "0123", false},
		{"dynamodb:PutItem", statetable.DescriptorsPrefix + "payments", false},
		{"dynamodb:DeleteItem", counter, false},
	}
	for _, tt := range tests {
		if got := policy.allows(tt.action, tt.key); got != tt.want {
			t.Errorf("aggregator role: %s on %q: got allowed=%v, want %v", tt.action, tt.key, got, tt.want)
		}
	}
	// The authorizer reads its settings and the revision, and nothing else.
	authz := rolePolicy(t, r, "portico_lambda_role.authorizer")
	for _, tt := range []struct {
		action, key string
		want        bool
	}{
		{"dynamodb:GetItem", statetable.AuthKey, true},
		{"dynamodb:GetItem", statetable.RevisionKey, true},
		{"dynamodb:GetItem", statetable.RoutesKey, false},
		{"dynamodb:GetItem", apikeydynamo.KeyPrefix + "0123", false},
		{"dynamodb:PutItem", statetable.AuthKey, false},
		{"dynamodb:UpdateItem", statetable.RevisionKey, false},
	} {
		if got := authz.allows(tt.action, tt.key); got != tt.want {
			t.Errorf("authorizer role: %s on %q: got allowed=%v, want %v", tt.action, tt.key, got, tt.want)
		}
	}
}

// rolePolicy is the inline policy of the role at address, as applied.
func rolePolicy(t *testing.T, r *root, address string) iamPolicy {
	t.Helper()
	out, err := r.run("show", "-json", "-no-color", r.state)
	if err != nil {
		t.Fatalf("terraform show: %v\n%s", err, out)
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string
					Values  map[string]any
				}
			} `json:"root_module"`
		}
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, res := range state.Values.RootModule.Resources {
		if res.Address == address {
			doc, _ = res.Values["policy"].(string)
		}
	}
	var policy iamPolicy
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("%s policy %q: %v", address, doc, err)
	}
	return policy
}

// access is one DynamoDB operation on one item, as the proxy records it.
func access(operation, key string) faultproxy.Access {
	return faultproxy.Access{Operation: operation, Key: key}
}

// recorder starts a proxy to the emulator that records the DynamoDB calls
// made through it, at a URL the functions reach.
func recorder(t *testing.T, endpoint, caCert, bind, host string) (*faultproxy.Proxy, string) {
	t.Helper()
	pool, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			t.Fatal(err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	p, err := faultproxy.New(endpoint, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p, "http://" + net.JoinHostPort(host, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
}

// checkCallsAllowed holds every DynamoDB call a function made to the role
// policy at address, as IAM would evaluate it, and checks that the calls
// include want (so that the check has seen the function at work).
func checkCallsAllowed(t *testing.T, r *root, address string, db *faultproxy.Proxy, want ...faultproxy.Access) {
	t.Helper()
	policy := rolePolicy(t, r, address)
	seen := db.Accesses()
	for _, a := range seen {
		if !policy.allows("dynamodb:"+a.Operation, a.Key) {
			t.Errorf("%s: the function called %s on %q, which its policy does not allow", address, a.Operation, a.Key)
		}
	}
	for _, w := range want {
		if !slices.Contains(seen, w) {
			t.Errorf("%s: got calls %v, want %s on %q among them", address, seen, w.Operation, w.Key)
		}
	}
}

// iamPolicy is the part of an IAM policy document checkAggregatorWrites reads.
type iamPolicy struct {
	Statement []struct {
		Effect    string
		Action    stringOrList
		Condition map[string]map[string]stringOrList
	}
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// allows reports whether an Allow statement grants action on the item whose
// partition key is key. It knows the one condition the roles use.
func (p iamPolicy) allows(action, key string) bool {
	for _, st := range p.Statement {
		if st.Effect != "Allow" || !slices.Contains(st.Action, action) {
			continue
		}
		ok := true
		for op, conds := range st.Condition {
			for name, patterns := range conds {
				if op != "ForAllValues:StringLike" || name != "dynamodb:LeadingKeys" {
					ok = false // a condition this check does not know: not granted here
					continue
				}
				ok = ok && slices.ContainsFunc(patterns, func(p string) bool { return stringLike(p, key) })
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// stringLike is IAM's StringLike with '*' (any run) and '?' (one character).
func stringLike(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// register creates service in the namespace with one instance at host:port,
// and returns what removes both (before destroy deletes the namespace).
func register(t *testing.T, sd *servicediscovery.Client, namespaceID, service, host string, port int) func() {
	t.Helper()
	ctx := context.Background()
	svc, err := sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String(service), NamespaceId: aws.String(namespaceID)})
	if err != nil {
		t.Fatalf("create service %s: %v", service, err)
	}
	id := svc.Service.Id
	if _, err := sd.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
		ServiceId:  id,
		InstanceId: aws.String(service + "-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": host, "AWS_INSTANCE_PORT": fmt.Sprint(port)},
	}); err != nil {
		t.Fatalf("register %s: %v", service, err)
	}
	done := false
	remove := func() {
		if done {
			return
		}
		done = true
		var errs []error
		if _, err := sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: id, InstanceId: aws.String(service + "-1")}); err != nil {
			errs = append(errs, err)
		}
		if _, err := sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: id}); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			t.Errorf("remove %s: %v", service, err)
		}
	}
	t.Cleanup(remove)
	return remove
}

func httpsClient(t *testing.T, caCert string) *http.Client {
	t.Helper()
	pool, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			t.Fatal(err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("no certificate in %s", caCert)
		}
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}
