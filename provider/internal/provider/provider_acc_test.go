//go:build e2e

package provider

// Acceptance tests against the emulator. They run only with the e2e build tag
// and TF_ACC=1, from `make e2e`, which sets:
//
//	PORTICO_ENDPOINT       emulator base URL, for example https://localhost:4566
//	PORTICO_CA_CERT        PEM file of the emulator's CA (empty for a public certificate)
//	TF_ACC_TERRAFORM_PATH  the installed Terraform, so that nothing is downloaded

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/portico-gw/portico/internal/awsconfig"
)

// accProviders serves the provider in-process to the Terraform the tests run.
var accProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"portico": providerserver.NewProtocol6WithError(New("test")()),
}

// accPreCheck stops a test whose environment would send it to real AWS or make
// terraform-plugin-testing download Terraform.
func accPreCheck(t *testing.T) {
	t.Helper()
	for _, name := range []string{"PORTICO_ENDPOINT", "TF_ACC_TERRAFORM_PATH"} {
		if os.Getenv(name) == "" {
			t.Fatalf("%s is not set; run the acceptance tests with make e2e", name)
		}
	}
}

// accProviderConfig is the provider block that points at the emulator.
func accProviderConfig() string {
	ca := "null"
	if v := os.Getenv("PORTICO_CA_CERT"); v != "" {
		ca = strconv.Quote(v)
	}
	return fmt.Sprintf(`
provider "portico" {
  endpoint  = %q
  ca_bundle = %s
}
`, os.Getenv("PORTICO_ENDPOINT"), ca)
}

// accName is a name unique to one test run: portico-acc-<what>-<random>.
func accName(what string) string {
	return acctest.RandomWithPrefix("portico-acc-" + what)
}

// accClients are AWS clients for the emulator, for checks behind Terraform's back.
func accClients(t *testing.T) *Clients {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Endpoint: os.Getenv("PORTICO_ENDPOINT"),
		CABundle: os.Getenv("PORTICO_CA_CERT"),
	})
	if err != nil {
		t.Fatalf("AWS config for the emulator: %v", err)
	}
	return newClients(cfg)
}

// accLambdaZip writes a Lambda deployment package with a bootstrap file that
// prints body, and returns its path and base64 SHA-256 (Lambda's CodeSha256).
func accLambdaZip(t *testing.T, body string) (path, sha string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	if _, err := fmt.Fprintf(w, "#!/bin/sh\necho %q\n", body); err != nil {
		t.Fatalf("zip: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("zip: %v", err)
	}
	path = filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return path, base64.StdEncoding.EncodeToString(sum[:])
}

// accCheckGone is a CheckDestroy that asks AWS, through exists, whether each
// resource of type typ in the state is gone. exists returns false, nil for a
// resource that no longer exists.
func accCheckGone(typ string, exists func(ctx context.Context, id string, attrs map[string]string) (bool, error)) func(*terraform.State) error {
	return func(s *terraform.State) error {
		var errs []error
		for name, rs := range s.RootModule().Resources {
			if rs.Type != typ {
				continue
			}
			ok, err := exists(context.Background(), rs.Primary.ID, rs.Primary.Attributes)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s (%s): %w", name, rs.Primary.ID, err))
			case ok:
				errs = append(errs, fmt.Errorf("%s (%s): still exists after destroy", name, rs.Primary.ID))
			}
		}
		return errors.Join(errs...)
	}
}

// accGone turns the error of a Get call into the answer of an exists function.
func accGone(err error) (bool, error) {
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// accCaptureID is a Check that stores the id of resource name in *id.
func accCaptureID(name string, id *string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[name]
		if !ok {
			return fmt.Errorf("%s: not in state", name)
		}
		*id = rs.Primary.ID
		return nil
	}
}

// regexpMust compiles a pattern for TestMatchResourceAttr.
func regexpMust(pattern string) *regexp.Regexp {
	return regexp.MustCompile(pattern)
}

// accImportCommand and accImportBlock prove that importing addr (by id;
// "" for its state id) plans nothing, both ways Terraform imports: the
// import command, whose state must equal the applied state attribute for
// attribute (nothing ignored), and an import block, whose plan must be
// empty.
func accImportCommand(addr, id string) resource.TestStep {
	return resource.TestStep{ResourceName: addr, ImportState: true, ImportStateId: id, ImportStateVerify: true}
}

func accImportBlock(addr, id string) resource.TestStep {
	return resource.TestStep{
		ResourceName: addr, ImportState: true, ImportStateId: id, ImportStateKind: resource.ImportBlockWithID,
		ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
	}
}

// accImportPolicy imports addr with the import command and checks that its
// policy is, as a policy, the one configured (jsonencode's spelling differs
// from Cloud Map's, which is why accImportCommand's text comparison does
// not apply).
func accImportPolicy(addr, id, want string) resource.TestStep {
	return resource.TestStep{
		ResourceName: addr, ImportState: true, ImportStateId: id,
		ImportStateCheck: func(states []*terraform.InstanceState) error {
			if len(states) != 1 {
				return fmt.Errorf("import: got %d instances, want 1", len(states))
			}
			got := states[0].Attributes["policy"]
			if !sameDocument(jsonMeshPolicy, got, want) {
				return fmt.Errorf("imported policy: got %s, want the same policy as %s", got, want)
			}
			return nil
		},
	}
}
