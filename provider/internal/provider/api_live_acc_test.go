//go:build e2e

package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// These acceptance tests call the API they build, through the emulator,
// with the echo function of testdata/echofn as authorizer and aggregators.
//
// MiniStack differs from AWS in two ways that matter here: it serves an
// API's live configuration rather than the snapshot its stage's deployment
// took, and it invokes a function whether or not the function's resource
// policy lets API Gateway do so. So these tests show that an update serves
// every request throughout and ends on the new function; that no stage ever
// serves a function without its permission is shown in process against a
// model of AWS (api_update_test.go).

// accEchoZip builds testdata/echofn for the emulator (Linux, this machine's
// architecture: MiniStack runs functions as local processes) and returns the
// zip's path and its Lambda architecture name.
func accEchoZip(t *testing.T) (path, arch string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", bin, "./testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the echo function: %v\n%s", err, out)
	}
	code, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err == nil {
		_, err = w.Write(code)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	path = filepath.Join(dir, "echo.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	arch = "x86_64"
	if runtime.GOARCH == "arm64" {
		arch = "arm64"
	}
	return path, arch
}

// accEchoFunctions are an authorizer and two aggregators answering "a" and
// "b", as portico_function.auth, .agg_a and .agg_b.
func accEchoFunctions(prefix, zipPath, arch string) string {
	fn := func(label, name, role, body string) string {
		return fmt.Sprintf(`
resource "portico_function" %q {
  name             = %q
  filename         = %q
  source_code_hash = filebase64sha256(%q)
  role_arn         = "arn:aws:iam::000000000000:role/portico-acc"
  architecture     = %q
  timeout          = 10
  environment      = { ROLE = %q, BODY = %q }
}
`, label, name, zipPath, zipPath, arch, role, body)
	}
	return fn("auth", prefix+"-auth", "authorizer", "") + fn("agg_a", prefix+"-agg-a", "aggregator", "a") + fn("agg_b", prefix+"-agg-b", "aggregator", "b")
}

// accHTTPClient trusts the emulator's CA and speaks HTTP/1.1 (MiniStack's
// HTTP/2 drops streams under load).
func accHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if ca := os.Getenv("PORTICO_CA_CERT"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			t.Fatal(err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}
}

// accCall makes one authorized GET and returns status and body.
func accCall(client *http.Client, url string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer acceptance-test")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// accWaitFor calls url until it answers 200 with body want, or a minute
// passes (a function's first call starts its process).
func accWaitFor(client *http.Client, url, want string) error {
	deadline := time.Now().Add(time.Minute)
	var last string
	for time.Now().Before(deadline) {
		status, body, err := accCall(client, url)
		if err == nil && status == http.StatusOK && body == want {
			return nil
		}
		last = fmt.Sprintf("status %d, body %q, error %v", status, body, err)
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("GET %s: got %s, want 200 %q within a minute", url, last, want)
}

// accLoad calls a URL from four workers until stopped, and tallies the
// answers: bodies of 200s, and anything else as a failure.
type accLoad struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	bodies   map[string]int
	failures []string
	calls    int
}

func accStartLoad(client *http.Client, url string) *accLoad {
	l := &accLoad{stop: make(chan struct{}), bodies: map[string]int{}}
	for w := 0; w < 4; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				status, body, err := accCall(client, url)
				l.mu.Lock()
				l.calls++
				switch {
				case err != nil:
					l.failures = append(l.failures, "error: "+err.Error())
				case status != http.StatusOK:
					l.failures = append(l.failures, fmt.Sprintf("status %d: %s", status, body))
				default:
					l.bodies[body]++
				}
				l.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return l
}

// seen reports how many 200s had body.
func (l *accLoad) seen(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bodies[body]
}

// finish stops the workers and returns the tally.
func (l *accLoad) finish() (calls int, bodies map[string]int, failures []string) {
	close(l.stop)
	l.wg.Wait()
	return l.calls, l.bodies, l.failures
}

// accWaitSeen waits until the load has seen n answers with body.
func (l *accLoad) waitSeen(body string, n int) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if l.seen(body) >= n {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("load: saw %d answers %q within a minute, want %d", l.seen(body), body, n)
}

// TestAccAPISwapAggregatorWhileServing swaps the aggregator of a live API
// while two clients call it throughout: every call answers 200, first from
// the old function, then from the new one. The API is updated in place,
// never replaced.
func TestAccAPISwapAggregatorWhileServing(t *testing.T) {
	name := accName("swap")
	zipPath, arch := accEchoZip(t)
	client := accHTTPClient(t)
	const addr = "portico_api.test"
	config := func(aggregator string) string {
		return accProviderConfig() + accEchoFunctions(name, zipPath, arch) + fmt.Sprintf(`
resource "portico_api" "test" {
  name                    = %q
  authorizer_function_arn = portico_function.auth.arn
  aggregator_function_arn = portico_function.%s.arn
  authorizer_ttl          = 0
}
`, name, aggregator)
	}
	var url, apiID string
	var load *accLoad
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{
				Config: config("agg_a"),
				Check: resource.ComposeAggregateTestCheckFunc(
					accCaptureID(addr, &apiID),
					resource.TestCheckResourceAttrWith(addr, "invoke_url", func(v string) error { url = v + "/orders/1"; return nil }),
					func(*terraform.State) error { return accWaitFor(client, url, "a") },
				),
			},
			{
				PreConfig: func() {
					load = accStartLoad(client, url)
					if err := load.waitSeen("a", 10); err != nil {
						t.Fatal(err)
					}
				},
				Config: config("agg_b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(addr, "id", &apiID),
					func(*terraform.State) error {
						err := load.waitSeen("b", 10)
						calls, bodies, failures := load.finish()
						t.Logf("swap under load: %d calls, answers %v", calls, bodies)
						if err != nil {
							return err
						}
						if len(failures) > 0 {
							sort.Strings(failures)
							return fmt.Errorf("swap under load: got %d failed calls of %d, want none: %s", len(failures), calls, strings.Join(failures[:min(5, len(failures))], "; "))
						}
						if bodies["a"] == 0 || len(bodies) != 2 {
							return fmt.Errorf("swap under load: got answers %v, want only the old (a) then the new (b) aggregator", bodies)
						}
						return nil
					},
					func(s *terraform.State) error {
						// The new aggregator may be invoked; the old one no longer.
						sid := statementID(apiID, "aggregator")
						for label, want := range map[string]bool{"portico_function.agg_a": false, "portico_function.agg_b": true} {
							fn := s.RootModule().Resources[label].Primary.Attributes["arn"]
							got, err := accHasStatement(context.Background(), accClients(t), fn, sid)
							if err != nil || got != want {
								return fmt.Errorf("%s permission %s: got %v, %v; want %v", label, sid, got, err, want)
							}
						}
						return nil
					},
				),
			},
		},
	})
}

// accHasStatement reports whether the function's resource policy has the
// statement sid.
func accHasStatement(ctx context.Context, clients *Clients, fn, sid string) (bool, error) {
	p, err := clients.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return strings.Contains(aws.ToString(p.Policy), `"`+sid+`"`), nil
}

// TestAccAPIAttachedToExistingRESTAPI wires Portico into a REST API created
// outside the provider (as hashicorp/aws's aws_api_gateway_rest_api would),
// whose owner deploys it: the provider deploys nothing, the owner's stage
// serves Portico once deployed, redeployment_trigger changes with the
// aggregator, the old aggregator keeps its permission until the owner has
// redeployed, the wiring imports with an empty plan, and destroying it
// leaves the owner's API.
func TestAccAPIAttachedToExistingRESTAPI(t *testing.T) {
	name := accName("attach")
	clients := accClients(t)
	ctx := context.Background()
	api, err := clients.APIGateway.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name + "-team")})
	if err != nil {
		t.Fatalf("create the team's REST API: %v", err)
	}
	apiID := aws.ToString(api.Id)
	t.Cleanup(func() {
		clients.APIGateway.DeleteRestApi(context.Background(), &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)})
	})
	zipPath, arch := accEchoZip(t)
	client := accHTTPClient(t)
	const addr = "portico_api.test"
	config := func(aggregator string) string {
		return accProviderConfig() + accEchoFunctions(name, zipPath, arch) + fmt.Sprintf(`
resource "portico_api" "test" {
  rest_api_id             = %q
  authorizer_function_arn = portico_function.auth.arn
  aggregator_function_arn = portico_function.%s.arn
  authorizer_ttl          = 0
}
`, apiID, aggregator)
	}
	prodURL := invokeURL(os.Getenv("PORTICO_ENDPOINT"), "us-east-1", apiID, "prod") + "/orders/1"
	ownerDeploys := func() error {
		_, err := clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")})
		return err
	}
	var firstTrigger, aggA string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: func(*terraform.State) error {
			if _, err := clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)}); err != nil {
				return fmt.Errorf("the team's API after destroy: %w, want it kept", err)
			}
			out, err := clients.APIGateway.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: aws.String(apiID)})
			if err != nil {
				return err
			}
			for _, a := range out.Items {
				if aws.ToString(a.Name) == authorizerName {
					return fmt.Errorf("after destroy: the %q authorizer is still in the team's API", authorizerName)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config("agg_a"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "id", apiID),
					resource.TestCheckResourceAttr(addr, "name", name+"-team"),
					resource.TestCheckNoResourceAttr(addr, "stage_name"),
					resource.TestCheckNoResourceAttr(addr, "invoke_url"),
					resource.TestCheckNoResourceAttr(addr, "deployment_id"),
					resource.TestCheckResourceAttrWith(addr, "redeployment_trigger", func(v string) error { firstTrigger = v; return nil }),
					resource.TestCheckResourceAttrWith("portico_function.agg_a", "arn", func(v string) error { aggA = v; return nil }),
					func(*terraform.State) error {
						if err := ownerDeploys(); err != nil {
							return fmt.Errorf("the owner's deployment: %w", err)
						}
						return accWaitFor(client, prodURL, "a")
					},
				),
			},
			accImportCommand(addr, importExistingPrefix+apiID),
			accImportBlock(addr, importExistingPrefix+apiID),
			{
				Config: config("agg_b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					// The old aggregator's permission waits for the owner's
					// redeployment: the next plan is an update that removes it.
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ExpectNonEmptyPlan: true,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith(addr, "redeployment_trigger", func(v string) error {
						if v == firstTrigger {
							return fmt.Errorf("redeployment_trigger: unchanged after the aggregator changed, want a new value")
						}
						return nil
					}),
					func(*terraform.State) error {
						// prod still serves the old deployment: the old
						// aggregator keeps its permission.
						ok, err := accHasStatement(ctx, clients, aggA, statementID(apiID, "aggregator"))
						if err != nil || !ok {
							return fmt.Errorf("old aggregator's permission before the owner redeployed: got %v, %v; want kept", ok, err)
						}
						if err := ownerDeploys(); err != nil {
							return err
						}
						return accWaitFor(client, prodURL, "b")
					},
				),
			},
			{
				// The owner has redeployed: the next apply removes the old
				// aggregator's permission.
				Config: config("agg_b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					ok, err := accHasStatement(ctx, clients, aggA, statementID(apiID, "aggregator"))
					if err != nil || ok {
						return fmt.Errorf("old aggregator's permission after the owner redeployed: got %v, %v; want removed", ok, err)
					}
					return nil
				},
			},
			{Config: config("agg_b"), PlanOnly: true},
		},
	})
}
