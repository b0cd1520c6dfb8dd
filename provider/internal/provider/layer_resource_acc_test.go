//go:build e2e

package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// accLayerZip writes a layer zip holding extensions/hello (an extension's
// place) that prints body, and returns its path and base64 SHA-256.
func accLayerZip(t *testing.T, body string) (path, sha string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "extensions/hello", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	fmt.Fprintf(w, "#!/bin/sh\necho %q\n", body)
	if err := zw.Close(); err != nil {
		t.Fatalf("zip: %v", err)
	}
	path = filepath.Join(t.TempDir(), "layer-"+body+".zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return path, base64.StdEncoding.EncodeToString(sum[:])
}

// accLayerConfig is a portico_layer from zip and a portico_function that
// attaches it when attach is set.
func accLayerConfig(name, zip, fnZip string, attach bool) string {
	layers := "null"
	if attach {
		layers = "[portico_layer.mesh.arn]"
	}
	return fmt.Sprintf(`
resource "portico_layer" "mesh" {
  name                     = %q
  filename                 = %q
  source_code_hash         = filebase64sha256(%q)
  description              = "portico-mesh extension"
  compatible_architectures = ["x86_64"]
}

resource "portico_function" "fn" {
  name             = %q
  filename         = %q
  source_code_hash = filebase64sha256(%q)
  role_arn         = "arn:aws:iam::000000000000:role/portico-acc"
  layers           = %s
}
`, name, zip, zip, name, fnZip, fnZip, layers)
}

// accFunctionLayers returns the layer ARNs Lambda has for function name.
func accFunctionLayers(clients *Clients, name string) ([]string, error) {
	out, err := clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, l := range out.Configuration.Layers {
		arns = append(arns, aws.ToString(l.Arn))
	}
	return arns, nil
}

// A layer version is published from a zip and attached to a function; a new
// zip publishes a new version (and deletes the old one), which the function
// follows in place; detaching leaves the function without layers.
func TestAccLayer(t *testing.T) {
	name := accName("layer")
	clients := accClients(t)
	v1, sha1 := accLayerZip(t, "v1")
	v2, sha2 := accLayerZip(t, "v2")
	fnZip, _ := accLambdaZip(t, "fn")
	const layer, fn = "portico_layer.mesh", "portico_function.fn"
	var firstARN string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			accCheckFunctionGone(clients),
			accCheckGone("portico_layer", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
				_, err := clients.Lambda.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(id)})
				return accGone(err)
			}),
		),
		Steps: []resource.TestStep{
			{
				Config: accProviderConfig() + accLayerConfig(name, v1, fnZip, true),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(layer, "source_code_hash", sha1),
					resource.TestCheckResourceAttr(layer, "compatible_architectures.0", "x86_64"),
					resource.TestMatchResourceAttr(layer, "arn", regexpMust(`^arn:aws:lambda:[a-z0-9-]+:\d{12}:layer:`+name+`:\d+$`)),
					resource.TestCheckResourceAttrPair(fn, "layers.0", layer, "arn"),
					func(s *terraform.State) error {
						firstARN = s.RootModule().Resources[layer].Primary.Attributes["arn"]
						got, err := accFunctionLayers(clients, name)
						if err != nil {
							return err
						}
						if len(got) != 1 || got[0] != firstARN {
							return fmt.Errorf("layers in Lambda: got %v, want [%s]", got, firstARN)
						}
						return nil
					},
				),
			},
			{
				ResourceName:            layer,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"filename"},
			},
			{
				Config: accProviderConfig() + accLayerConfig(name, v2, fnZip, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(layer, plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectResourceAction(fn, plancheck.ResourceActionUpdate),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(layer, "source_code_hash", sha2),
					func(s *terraform.State) error {
						arn := s.RootModule().Resources[layer].Primary.Attributes["arn"]
						if arn == firstARN {
							return fmt.Errorf("got the same version %s after a new zip, want a new one", arn)
						}
						if _, err := clients.Lambda.GetLayerVersionByArn(context.Background(), &lambda.GetLayerVersionByArnInput{Arn: aws.String(firstARN)}); !isNotFound(err) {
							return fmt.Errorf("the replaced version %s: got %v, want it deleted", firstARN, err)
						}
						got, err := accFunctionLayers(clients, name)
						if err != nil {
							return err
						}
						if len(got) != 1 || got[0] != arn {
							return fmt.Errorf("layers in Lambda: got %v, want [%s]", got, arn)
						}
						return nil
					},
				),
			},
			{
				Config: accProviderConfig() + accLayerConfig(name, v2, fnZip, false),
				Check: func(*terraform.State) error {
					got, err := accFunctionLayers(clients, name)
					if err != nil {
						return err
					}
					if len(got) != 0 {
						return fmt.Errorf("layers in Lambda after detaching: got %v, want none", got)
					}
					return nil
				},
			},
		},
	})
}
