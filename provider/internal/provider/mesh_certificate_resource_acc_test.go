//go:build e2e

package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// accCheckCertSecret checks that the certificate secret loads as
// mtls.Credentials with identity spiffe://portico/<service>, issued by the
// CA in state, with the CA's bundle.
func accCheckCertSecret(clients *Clients, secret, service string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ca, ok := s.RootModule().Resources["portico_mesh_ca.mesh"]
		if !ok {
			return fmt.Errorf("portico_mesh_ca.mesh: not in state")
		}
		v, err := accSecretValue(clients, secret)
		if err != nil {
			return err
		}
		got, err := parseIssued(v)
		if err != nil {
			return fmt.Errorf("certificate secret: %w", err)
		}
		if !samePEMCertificate(encodeCertificate(got.issuer), ca.Primary.Attributes["cert_pem"]) {
			return fmt.Errorf("certificate secret: issued by %s, want the current CA", got.issuer.SerialNumber)
		}
		m, _ := mtlssm.Decode(v)
		if string(m.CAPEM) != ca.Primary.Attributes["ca_bundle_pem"] {
			return fmt.Errorf("certificate secret: got a bundle other than the CA's")
		}
		src := &mtls.Memory{}
		src.Set(m)
		creds, err := mtls.New(context.Background(), mtls.Config{Source: src})
		if err != nil {
			return fmt.Errorf("certificate secret: mtls.New: %w", err)
		}
		if want := "spiffe://portico/" + service; creds.Identity() != want {
			return fmt.Errorf("certificate secret: got identity %s, want %s", creds.Identity(), want)
		}
		return nil
	}
}

func TestAccMeshCertificate(t *testing.T) {
	caName, certName := accName("mesh-ca"), accName("mesh-payment")
	clients := accClients(t)
	config := func(rotate, dns string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_mesh_ca" "mesh" {
  name   = %q
  rotate = %q
}

resource "portico_mesh_certificate" "payment" {
  name        = %q
  ca_secret   = portico_mesh_ca.mesh.name
  ca_cert_pem = portico_mesh_ca.mesh.cert_pem
  service     = "payment"
  dns_names   = [%q]
}
`, caName, rotate, certName, dns)
	}
	put := func(name, value string) {
		_, err := clients.SecretsManager.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
		if err != nil {
			t.Fatal(err)
		}
	}
	update := plancheck.ResourceActionUpdate
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			accCheckGone("portico_mesh_certificate", accSecretGone(clients)),
			accCheckGone("portico_mesh_ca", accSecretGone(clients)),
		),
		Steps: []resource.TestStep{
			{
				Config: config("1", "payment.internal"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_mesh_certificate.payment", "id", certName),
					resource.TestCheckResourceAttr("portico_mesh_certificate.payment", "service", "payment"),
					resource.TestCheckResourceAttr("portico_mesh_certificate.payment", "dns_names.0", "payment.internal"),
					resource.TestCheckResourceAttr("portico_mesh_certificate.payment", "validity_hours", "720"),
					resource.TestCheckResourceAttrWith("portico_mesh_certificate.payment", "not_after", func(v string) error {
						got, err := time.Parse(time.RFC3339, v)
						if err != nil || got.Before(time.Now().Add(29*24*time.Hour)) {
							return fmt.Errorf("got not_after %s, want about 30 days ahead", v)
						}
						return nil
					}),
					accCheckCertSecret(clients, certName, "payment"),
				),
			},
			accImportCommand("portico_mesh_certificate.payment", certName),
			accImportBlock("portico_mesh_certificate.payment", certName),
			{
				// A new DNS name re-issues in place; the CA stays.
				Config: config("1", "pay.internal"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("portico_mesh_ca.mesh", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("portico_mesh_certificate.payment", update),
						plancheck.ExpectUnknownValue("portico_mesh_certificate.payment", tfjsonpath.New("cert_pem")),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_mesh_certificate.payment", "dns_names.0", "pay.internal"),
					accCheckCertSecret(clients, certName, "payment"),
				),
			},
			{
				// The CA rotates: the certificate is re-issued by the new CA in
				// the same apply, with both CAs in its bundle.
				Config: config("2", "pay.internal"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("portico_mesh_ca.mesh", update),
						plancheck.ExpectResourceAction("portico_mesh_certificate.payment", update),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					accCheckCASecret(clients, "portico_mesh_ca.mesh", caName, 2),
					accCheckCertSecret(clients, certName, "payment"),
				),
			},
			{
				// Drift: the secret now holds another service's certificate;
				// the plan re-issues ours.
				PreConfig: func() {
					v, err := accSecretValue(clients, caName)
					if err != nil {
						t.Fatal(err)
					}
					m, _ := mtlssm.Decode(v)
					ca, err := mtls.ParseCA(m.CertPEM, m.KeyPEM)
					if err != nil {
						t.Fatal(err)
					}
					fraud, err := ca.Issue("fraud", time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
					if err != nil {
						t.Fatal(err)
					}
					value, _ := mtlssm.Encode(fraud)
					put(certName, value)
				},
				Config: config("2", "pay.internal"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_mesh_certificate.payment", update)},
				},
				Check: accCheckCertSecret(clients, certName, "payment"),
			},
			{
				// Drift: the secret is deleted; the plan creates it.
				PreConfig: func() {
					_, err := clients.SecretsManager.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(certName), ForceDeleteWithoutRecovery: aws.Bool(true)})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: config("2", "pay.internal"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_mesh_certificate.payment", plancheck.ResourceActionCreate)},
				},
				Check: accCheckCertSecret(clients, certName, "payment"),
			},
		},
	})
}
