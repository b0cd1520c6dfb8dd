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
)

// accSecretVersion is the id of a secret's current version.
func accSecretVersion(ctx context.Context, clients *Clients, name string) (version string, deleted bool, tags map[string]string, err error) {
	d, err := clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		return "", false, nil, err
	}
	tags = map[string]string{}
	for _, t := range d.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return currentVersion(d.VersionIdsToStages), d.DeletedDate != nil, tags, nil
}

// TestAccMeshExistingSecrets writes the CA and a certificate as versions of
// secrets created outside the provider (as aws_secretsmanager_secret would,
// with the team's KMS key and policy): nothing is tagged, the state records
// the version written, the imports plan nothing, and destroying leaves both
// secrets.
func TestAccMeshExistingSecrets(t *testing.T) {
	ctx := context.Background()
	clients := accClients(t)
	caName, certName := accName("team-ca"), accName("team-payment")
	for _, name := range []string{caName, certName} {
		if _, err := clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), Description: aws.String("the team's")}); err != nil {
			t.Fatal(err)
		}
		name := name
		t.Cleanup(func() {
			clients.SecretsManager.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
		})
	}
	config := accProviderConfig() + fmt.Sprintf(`
resource "portico_mesh_ca" "mesh" {
  name          = %q
  create_secret = false
}

resource "portico_mesh_certificate" "payment" {
  name          = %q
  create_secret = false
  ca_secret     = portico_mesh_ca.mesh.name
  ca_cert_pem   = portico_mesh_ca.mesh.cert_pem
  service       = "payment"
}
`, caName, certName)
	written := func(addr, name string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			version, deleted, tags, err := accSecretVersion(ctx, clients, name)
			if err != nil || deleted {
				return fmt.Errorf("secret %s: got deleted=%v, %v; want it kept", name, deleted, err)
			}
			if got := s.RootModule().Resources[addr].Primary.Attributes["version_id"]; got != version {
				return fmt.Errorf("%s version_id: got %s, want the current version %s", addr, got, version)
			}
			if len(tags) != 0 {
				return fmt.Errorf("secret %s: got tags %v, want none (versions only)", name, tags)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: func(*terraform.State) error {
			for _, name := range []string{caName, certName} {
				if _, deleted, _, err := accSecretVersion(ctx, clients, name); err != nil || deleted {
					return fmt.Errorf("secret %s after destroy: got deleted=%v, %v; want it left in place", name, deleted, err)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					written("portico_mesh_ca.mesh", caName),
					written("portico_mesh_certificate.payment", certName),
					accCheckCASecret(clients, "portico_mesh_ca.mesh", caName, 1),
					accCheckCertSecret(clients, certName, "payment"),
				),
			},
			accImportCommand("portico_mesh_ca.mesh", caName),
			accImportBlock("portico_mesh_ca.mesh", caName),
			accImportCommand("portico_mesh_certificate.payment", certName),
			accImportBlock("portico_mesh_certificate.payment", certName),
		},
	})
}

// TestAccMeshCARecoveryWindow replaces a CA under the same name (a new
// trust domain): the old secret is deleted with its recovery window, and the
// create restores it and writes the new CA as its current version. Destroying
// leaves the secret scheduled for deletion, restorable.
func TestAccMeshCARecoveryWindow(t *testing.T) {
	ctx := context.Background()
	clients := accClients(t)
	name := accName("mesh-ca-rw")
	t.Cleanup(func() {
		clients.SecretsManager.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	config := func(domain string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_mesh_ca" "test" {
  name         = %q
  trust_domain = %q
}
`, name, domain)
	}
	var firstVersion string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: func(*terraform.State) error {
			_, deleted, _, err := accSecretVersion(ctx, clients, name)
			if err != nil || !deleted {
				return fmt.Errorf("secret after destroy: got deleted=%v, %v; want it scheduled for deletion, still restorable", deleted, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config("portico"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_mesh_ca.test", "recovery_window_in_days", "7"),
					resource.TestCheckResourceAttrWith("portico_mesh_ca.test", "version_id", func(v string) error { firstVersion = v; return nil }),
				),
			},
			{
				Config: config("payments.example"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_mesh_ca.test", plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_mesh_ca.test", "trust_domain", "payments.example"),
					accCheckCASecret(clients, "portico_mesh_ca.test", name, 1),
					func(s *terraform.State) error {
						version, deleted, _, err := accSecretVersion(ctx, clients, name)
						if err != nil || deleted || version == firstVersion {
							return fmt.Errorf("secret after the replacement: got version %s (first %s), deleted=%v, %v; want it restored with a new version", version, firstVersion, deleted, err)
						}
						return nil
					},
				),
			},
		},
	})
}
