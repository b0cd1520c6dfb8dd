//go:build e2e

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// accSecretGone is the exists function of accCheckGone for secrets.
func accSecretGone(clients *Clients) func(ctx context.Context, id string, _ map[string]string) (bool, error) {
	return func(ctx context.Context, id string, _ map[string]string) (bool, error) {
		d, err := clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err == nil && d.DeletedDate != nil {
			return false, nil
		}
		return accGone(err)
	}
}

// accSecretValue returns a secret's current value.
func accSecretValue(clients *Clients, name string) (string, error) {
	out, err := clients.SecretsManager.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.SecretString), nil
}

// accCheckCASecret checks that the CA secret holds the CA of state's
// cert_pem with its key, and a bundle of bundleLen CAs equal to state's.
func accCheckCASecret(clients *Clients, resourceName, secret string, bundleLen int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[resourceName]
		if !ok {
			return fmt.Errorf("%s: not in state", resourceName)
		}
		v, err := accSecretValue(clients, secret)
		if err != nil {
			return err
		}
		m, err := mtlssm.Decode(v)
		if err != nil {
			return err
		}
		ca, err := mtls.ParseCA(m.CertPEM, m.KeyPEM)
		if err != nil {
			return fmt.Errorf("CA secret: %w", err)
		}
		if string(ca.CertPEM) != rs.Primary.Attributes["cert_pem"] || string(m.CAPEM) != rs.Primary.Attributes["ca_bundle_pem"] {
			return fmt.Errorf("CA secret: got a CA or bundle other than the state's")
		}
		if certs, err := parseCertificates(m.CAPEM); err != nil || len(certs) != bundleLen {
			return fmt.Errorf("CA secret: got %d CAs in the bundle (%v), want %d", len(certs), err, bundleLen)
		}
		return nil
	}
}

func TestAccMeshCA(t *testing.T) {
	name := accName("mesh-ca")
	clients := accClients(t)
	config := func(rotate string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_mesh_ca" "test" {
  name               = %q
  validity_hours     = 48
  renew_before_hours = 12
  rotate             = %q
}
`, name, rotate)
	}
	var first string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             accCheckGone("portico_mesh_ca", accSecretGone(clients)),
		Steps: []resource.TestStep{
			{
				Config: config("a"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_mesh_ca.test", "id", name),
					resource.TestCheckResourceAttr("portico_mesh_ca.test", "trust_domain", "portico"),
					resource.TestMatchResourceAttr("portico_mesh_ca.test", "arn", regexpMust(`^arn:aws:secretsmanager:`)),
					resource.TestMatchResourceAttr("portico_mesh_ca.test", "cert_pem", regexpMust(`^-----BEGIN CERTIFICATE-----`)),
					accCheckCASecret(clients, "portico_mesh_ca.test", name, 1),
					resource.TestCheckResourceAttrWith("portico_mesh_ca.test", "cert_pem", func(v string) error { first = v; return nil }),
				),
			},
			// rotate and renew_before_hours come back from the secret: the
			// import plans no rotation.
			accImportCommand("portico_mesh_ca.test", name),
			accImportBlock("portico_mesh_ca.test", name),
			{
				// rotate changes: a new CA in place, the previous one kept in the bundle.
				Config: config("b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("portico_mesh_ca.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("portico_mesh_ca.test", tfjsonpath.New("cert_pem")),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					accCheckCASecret(clients, "portico_mesh_ca.test", name, 2),
					resource.TestCheckResourceAttrWith("portico_mesh_ca.test", "ca_bundle_pem", func(v string) error {
						if !samePEMCertificate(mustSecondPEM(v), first) {
							return fmt.Errorf("got a bundle without the previous CA")
						}
						return nil
					}),
				),
			},
			{
				// Drift: the secret is overwritten; the plan rotates the CA.
				PreConfig: func() {
					_, err := clients.SecretsManager.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(`{"cert":"x","key":"y"}`)})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: config("b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_mesh_ca.test", plancheck.ResourceActionUpdate)},
				},
				Check: accCheckCASecret(clients, "portico_mesh_ca.test", name, 1),
			},
			{
				// Drift: the secret is deleted; the plan creates it again.
				PreConfig: func() {
					_, err := clients.SecretsManager.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: config("b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_mesh_ca.test", plancheck.ResourceActionCreate)},
				},
				Check: accCheckCASecret(clients, "portico_mesh_ca.test", name, 1),
			},
		},
	})
}

// mustSecondPEM returns the second certificate of a PEM bundle, or "".
func mustSecondPEM(bundle string) string {
	certs, err := parseCertificates([]byte(bundle))
	if err != nil || len(certs) < 2 {
		return ""
	}
	return encodeCertificate(certs[1])
}
