package secretsmanager_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// oneSecret stands in for the Secrets Manager client
// (awssm.NewFromConfig(cfg) in a real service).
type oneSecret struct{ value string }

func (s *oneSecret) GetSecretValue(_ context.Context, in *awssm.GetSecretValueInput, _ ...func(*awssm.Options)) (*awssm.GetSecretValueOutput, error) {
	return &awssm.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(s.value)}, nil
}

// The payment service's credentials come from its secret, which
// portico_mesh_certificate writes and rotates; the Credentials read it again
// every ReloadInterval, so a rotation needs no restart.
func Example() {
	now := time.Now()
	ca, _ := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(24*time.Hour))
	m, _ := ca.Issue("payment", now.Add(-time.Hour), now.Add(24*time.Hour))
	value, _ := secretsmanager.Encode(m) // what the secret holds
	client := &oneSecret{value: value}

	src, err := secretsmanager.New(client, "portico/mesh/payment")
	if err != nil {
		log.Fatal(err)
	}
	creds, err := mtls.New(context.Background(), mtls.Config{Source: src, ReloadInterval: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	// creds.ServerConfig("order") for the payment server,
	// creds.ClientConfig("fraud") or mesh.Config{TLS: creds} for its calls.
	fmt.Println(creds.Identity())
	// Output: spiffe://portico/payment
}
