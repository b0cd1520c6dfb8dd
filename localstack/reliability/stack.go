package reliability

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/faultproxy"
	"github.com/portico-gw/portico/localstack/grpcpay"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// Config says where the emulator and the tools are; make reliability fills
// it from the same variables as the end-to-end tests.
type Config struct {
	// Endpoint is the emulator's URL; CACert its CA (empty: system roots).
	Endpoint, CACert string
	// Terraform is the terraform binary (with TF_CLI_CONFIG_FILE pointing
	// at the provider); Root is terraform/reliability.
	Terraform, Root string
	// AuthorizerZip and AggregatorZip are the functions; Architecture
	// theirs.
	AuthorizerZip, AggregatorZip, Architecture string
	// Bind is where the harness's services listen; Host how the functions
	// reach them (the same on MiniStack).
	Bind, Host string
	// Name prefixes the stack's resources.
	Name string
}

// Issuer and audience of the load's tokens.
const (
	Issuer   = "https://portico.reliability"
	Audience = "portico-reliability"
)

// Stack is the running stack and everything the harness controls.
type Stack struct {
	cfg Config
	dir string

	URL, Table, Namespace, Aggregator string
	APIKeys                           map[string]string
	// GatewaySecret holds the gateway's mesh certificate.
	GatewaySecret string

	Client *http.Client
	AWS    aws.Config

	Fleet    *Fleet
	Vault    *Vault
	Payments context.CancelFunc
	// AWSFaults stands between the aggregator and DynamoDB, Cloud Map and
	// Secrets Manager; JWKSFaults between the authorizer and the JWKS.
	AWSFaults, JWKSFaults *faultproxy.Proxy
	JWKS                  *JWKS

	// Keys are the signing keys by kid, private PEM; k1 is published at
	// start, k2 and k3 by Rotate.
	Keys map[string][]byte

	pending map[string][]byte // public keys by kid, until Rotate publishes them
	vars    []string
	closers []func()
	// certHours is the gateway certificate's validity, which
	// RotateGatewayCertificate changes.
	certHours int
}

// Rotate publishes the signing key kid beside the others: an identity
// provider's key rotation.
func (s *Stack) Rotate(kid string) error {
	pub, ok := s.pending[kid]
	if !ok {
		return errors.New("reliability: no unpublished key " + kid)
	}
	delete(s.pending, kid)
	return s.JWKS.Publish(kid, pub)
}

// Up starts the services, the JWKS endpoint and the fault proxies, and
// applies the Terraform root. Close destroys it all.
func Up(ctx context.Context, cfg Config) (*Stack, error) {
	s := &Stack{cfg: cfg, Keys: map[string][]byte{}}
	if err := s.up(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) up(ctx context.Context) error {
	var err error
	if s.dir, err = os.MkdirTemp("", "portico-reliability-"); err != nil {
		return err
	}
	s.closers = append(s.closers, func() { os.RemoveAll(s.dir) })
	pool, err := x509.SystemCertPool()
	if err != nil {
		return err
	}
	if s.cfg.CACert != "" {
		pem, err := os.ReadFile(s.cfg.CACert)
		if err != nil {
			return err
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("reliability: no certificate in %s", s.cfg.CACert)
		}
	}
	// HTTP/1.1 with many connections: MiniStack's HTTP/2 drops streams
	// under load.
	s.Client = &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}}, ForceAttemptHTTP2: false,
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}, MaxIdleConnsPerHost: 200, MaxConnsPerHost: 400,
	}}
	if s.AWS, err = awsconfig.Load(ctx, awsconfig.Options{Region: "us-east-1", Endpoint: s.cfg.Endpoint, CABundle: s.cfg.CACert}); err != nil {
		return err
	}

	if s.Fleet, err = StartFleet(s.cfg.Bind); err != nil {
		return err
	}
	s.closers = append(s.closers, s.Fleet.Close)
	payments, err := grpcpay.New(nil)
	if err != nil {
		return err
	}
	grpcLn, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Bind, "0"))
	if err != nil {
		return err
	}
	pctx, stop := context.WithCancel(context.Background())
	go payments.Serve(pctx, grpcLn)
	s.closers = append(s.closers, stop)

	// Signing keys: k1 published, k2 and k3 for rotations.
	s.pending = map[string][]byte{}
	for _, kid := range []string{"k1", "k2", "k3"} {
		priv, pub, err := devtoken.GenerateKey()
		if err != nil {
			return err
		}
		s.Keys[kid] = priv
		if kid != "k1" {
			s.pending[kid] = pub
			continue
		}
		if s.JWKS, err = NewJWKS(s.cfg.Bind); err != nil {
			return err
		}
		s.closers = append(s.closers, func() { s.JWKS.Close() })
		if err := s.JWKS.Publish(kid, pub); err != nil {
			return err
		}
	}

	// The fault proxies.
	if s.AWSFaults, err = faultproxy.New(s.cfg.Endpoint, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}); err != nil {
		return err
	}
	awsFront, err := s.serve(s.AWSFaults)
	if err != nil {
		return err
	}
	if s.JWKSFaults, err = faultproxy.New("http://"+net.JoinHostPort(s.cfg.Bind, strconv.Itoa(s.JWKS.Port)), nil); err != nil {
		return err
	}
	jwksFront, err := s.serve(s.JWKSFaults)
	if err != nil {
		return err
	}

	if s.Vault, err = ListenVault(s.cfg.Bind); err != nil {
		return err
	}
	s.closers = append(s.closers, s.Vault.Close)
	layout := s.Fleet.Ports()
	layout["vault-service"] = map[string]int{"vault-service-1": s.Vault.Port()}
	ports, _ := json.Marshal(layout)
	s.certHours = 720
	via := "http://" + net.JoinHostPort(s.cfg.Host, strconv.Itoa(awsFront))
	extra, _ := json.Marshal(map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": via, "AWS_ENDPOINT_URL_SERVICEDISCOVERY": via, "AWS_ENDPOINT_URL_SECRETS_MANAGER": via,
	})
	s.vars = []string{
		"-var", "name=" + s.cfg.Name,
		"-var", "endpoint=" + s.cfg.Endpoint,
		"-var", "architecture=" + s.cfg.Architecture,
		"-var", "authorizer_zip=" + s.cfg.AuthorizerZip,
		"-var", "aggregator_zip=" + s.cfg.AggregatorZip,
		"-var", "jwt_issuer=" + Issuer,
		"-var", "jwt_audience=" + Audience,
		"-var", "jwks_url=http://" + net.JoinHostPort(s.cfg.Host, strconv.Itoa(jwksFront)) + "/.well-known/jwks.json",
		"-var", "backend_host=" + s.cfg.Host,
		"-var", "instances=" + string(ports),
		"-var", "payment_grpc_port=" + strconv.Itoa(grpcLn.Addr().(*net.TCPAddr).Port),
		"-var", "aggregator_extra_environment=" + string(extra),
	}
	if s.cfg.CACert != "" {
		s.vars = append(s.vars, "-var", "ca_bundle="+s.cfg.CACert)
	}
	s.closers = append(s.closers, func() {
		if out, err := s.terraform(context.Background(), "destroy", "-auto-approve"); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: terraform destroy: %v\n%s\n", err, out)
		}
	})
	if out, err := s.terraform(ctx, "apply", "-auto-approve"); err != nil {
		return fmt.Errorf("reliability: terraform apply: %w\n%s", err, out)
	}
	for name, dst := range map[string]*string{"invoke_url": &s.URL, "table_name": &s.Table, "namespace_name": &s.Namespace, "aggregator_name": &s.Aggregator} {
		if *dst, err = s.output(ctx, name, "-raw"); err != nil {
			return err
		}
	}
	keys, err := s.output(ctx, "api_keys", "-json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(keys), &s.APIKeys); err != nil {
		return err
	}
	vaultSecret, err := s.output(ctx, "vault_secret", "-raw")
	if err != nil {
		return err
	}
	if s.GatewaySecret, err = s.output(ctx, "gateway_secret", "-raw"); err != nil {
		return err
	}
	if err := s.Vault.Serve(ctx, secretsmanager.NewFromConfig(s.AWS), vaultSecret); err != nil {
		return fmt.Errorf("reliability: vault-service: %w", err)
	}
	// vault-service requires mutual TLS: its policy, as a control plane
	// would write it, and the configuration's revision bumped.
	return s.putPolicy(ctx, "vault-service", `{"mtls":true}`)
}

// putPolicy stores service's mesh policy in the state table and bumps the
// configuration's revision, so the aggregator reads it at its next refresh.
func (s *Stack) putPolicy(ctx context.Context, service, doc string) error {
	ddb := dynamodb.NewFromConfig(s.AWS)
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: statetable.PolicyKey(service)},
		statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: doc},
	}}); err != nil {
		return fmt.Errorf("reliability: policy of %s: %w", service, err)
	}
	_, err := ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
		Key:                       map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.RevisionKey}},
		UpdateExpression:          aws.String("ADD #r :one"),
		ExpressionAttributeNames:  map[string]string{"#r": statetable.RevisionAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": &ddbtypes.AttributeValueMemberN{Value: "1"}},
	})
	if err != nil {
		return fmt.Errorf("reliability: bump the revision: %w", err)
	}
	return nil
}

// RotateGatewayCertificate re-issues the gateway's mesh certificate (a new
// version of its secret, written by the provider straight to the emulator)
// and returns the new certificate's serial.
func (s *Stack) RotateGatewayCertificate(ctx context.Context) (string, error) {
	s.certHours++
	if out, err := s.terraform(ctx, "apply", "-auto-approve", "-target=portico_mesh_certificate.gateway"); err != nil {
		return "", fmt.Errorf("reliability: re-issue the gateway's certificate: %w\n%s", err, out)
	}
	out, err := secretsmanager.NewFromConfig(s.AWS).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.GatewaySecret)})
	if err != nil {
		return "", err
	}
	m, err := mtlssm.Decode(aws.ToString(out.SecretString))
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(m.CertPEM)
	if block == nil {
		return "", errors.New("reliability: the gateway's certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	return cert.SerialNumber.String(), nil
}

// serve serves h on a loopback port and returns the port.
func (s *Stack) serve(h http.Handler) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Bind, "0"))
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	s.closers = append(s.closers, func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Stack) terraform(ctx context.Context, cmd string, args ...string) (string, error) {
	full := append([]string{"-chdir=" + s.cfg.Root, cmd, "-input=false", "-no-color", "-state=" + filepath.Join(s.dir, "reliability.tfstate")}, args...)
	full = append(full, s.vars...)
	full = append(full, "-var", "gateway_certificate_hours="+strconv.Itoa(s.certHours))
	out, err := exec.CommandContext(ctx, s.cfg.Terraform, full...).CombinedOutput()
	return string(out), err
}

func (s *Stack) output(ctx context.Context, name, format string) (string, error) {
	out, err := exec.CommandContext(ctx, s.cfg.Terraform, "-chdir="+s.cfg.Root, "output", "-no-color", "-state="+filepath.Join(s.dir, "reliability.tfstate"), format, name).Output()
	if err != nil {
		return "", fmt.Errorf("reliability: terraform output %s: %w", name, err)
	}
	return string(out), nil
}

// Token mints a token for subject signed with the key kid.
func (s *Stack) Token(subject, kid string) (string, error) {
	priv, ok := s.Keys[kid]
	if !ok {
		return "", errors.New("reliability: no key " + kid)
	}
	return devtoken.Mint(priv, devtoken.Claims{Subject: subject, Issuer: Issuer, Audience: Audience, KeyID: kid, Roles: []string{"reader"}, TTL: 3 * time.Hour})
}

// Tokens mints one token per subject load-user-1…n with kid.
func (s *Stack) Tokens(n int, kid string) ([]string, error) {
	var out []string
	for i := range n {
		t, err := s.Token("load-user-"+strconv.Itoa(i+1), kid)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Close destroys the stack and stops what Up started.
func (s *Stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}
