// Package dynamohttp is a live.Source on the state table for a function
// that must stay small: the authorizer. It speaks DynamoDB's JSON API over
// net/http, signs with the AWS SDK's Signature Version 4 signer, and takes
// its credentials from the environment Lambda sets, so it adds the SDK's
// core module to a binary and not its DynamoDB client (several megabytes).
//
// It makes the reads package config needs and no other: one consistent
// GetItem of the revision item per refresh, and one consistent GetItem per
// document when the revision moved. The aggregator, which has the whole SDK
// anyway, uses package config/dynamo.
package dynamohttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// Config configures a Source.
type Config struct {
	// Table is the state table. Required.
	Table string
	// Region is the table's region. Required.
	Region string
	// Endpoint is DynamoDB's URL; empty means the region's public endpoint,
	// https://dynamodb.<region>.amazonaws.com (.com.cn in China).
	Endpoint string
	// Credentials signs the requests. Required.
	Credentials aws.CredentialsProvider
	// HTTPClient sends them; nil means one with a 5 s timeout.
	HTTPClient *http.Client
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// FromEnv is the Config a Lambda function's environment gives for table:
// AWS_REGION, the credentials AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (read at each request, as Lambda may set them anew), and,
// against an emulator, AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL and the
// CA bundle AWS_CA_BUNDLE, as the AWS SDKs read them.
func FromEnv(getenv func(string) string, table string) (Config, error) {
	cfg := Config{
		Table:       table,
		Region:      getenv("AWS_REGION"),
		Endpoint:    getenv("AWS_ENDPOINT_URL_DYNAMODB"),
		Credentials: envCredentials(getenv),
	}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if bundle := getenv("AWS_CA_BUNDLE"); bundle != "" {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return Config{}, fmt.Errorf("dynamohttp: AWS_CA_BUNDLE: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return Config{}, fmt.Errorf("dynamohttp: AWS_CA_BUNDLE %s holds no PEM certificate", bundle)
		}
		// An emulator gets HTTP/1.1, as internal/awsconfig gives it: MiniStack's
		// HTTP/2 drops streams under load.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	return cfg, nil
}

// envCredentials reads the function's credentials from its environment.
type envCredentials func(string) string

func (e envCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	c := aws.Credentials{
		AccessKeyID:     e("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: e("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    e("AWS_SESSION_TOKEN"),
		Source:          "environment",
	}
	if !c.HasKeys() {
		return aws.Credentials{}, errors.New("dynamohttp: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	return c, nil
}

// Source implements live.Source.
type Source struct {
	cfg    Config
	url    string
	host   string
	signer *v4.Signer
}

var _ live.Source = (*Source)(nil)

// New returns a Source for cfg.
func New(cfg Config) (*Source, error) {
	switch {
	case cfg.Table == "":
		return nil, errors.New("dynamohttp: Table is required")
	case cfg.Region == "":
		return nil, errors.New("dynamohttp: Region is required (AWS_REGION)")
	case cfg.Credentials == nil:
		return nil, errors.New("dynamohttp: Credentials are required")
	}
	if cfg.Endpoint == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		cfg.Endpoint = "https://dynamodb." + cfg.Region + "." + suffix
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("dynamohttp: endpoint %q: want an http(s) URL", cfg.Endpoint)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u.Path = "/"
	return &Source{cfg: cfg, url: u.String(), host: u.Host, signer: v4.NewSigner()}, nil
}

// attr is a DynamoDB attribute value, the members this package reads.
type attr struct {
	S *string `json:"S,omitempty"`
	N *string `json:"N,omitempty"`
	B []byte  `json:"B,omitempty"` // base64 in JSON, as DynamoDB sends it
}

type getItemInput struct {
	TableName                string            `json:"TableName"`
	Key                      map[string]attr   `json:"Key"`
	ConsistentRead           bool              `json:"ConsistentRead"`
	ProjectionExpression     string            `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
}

type getItemOutput struct {
	Item map[string]attr `json:"Item"`
}

// Revision implements live.Source: the revision item's number, 0 when
// there is none.
func (s *Source) Revision(ctx context.Context) (int64, error) {
	item, err := s.getItem(ctx, getItemInput{
		Key:                      key(statetable.RevisionKey),
		ProjectionExpression:     "#r",
		ExpressionAttributeNames: map[string]string{"#r": statetable.RevisionAttr},
	})
	if err != nil {
		return 0, fmt.Errorf("dynamohttp: read the revision: %w", err)
	}
	n := item[statetable.RevisionAttr].N
	if n == nil {
		return 0, nil
	}
	rev, err := strconv.ParseInt(*n, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("dynamohttp: revision %q is not a whole number", *n)
	}
	return rev, nil
}

// Documents implements live.Source, one GetItem per key: a document is a
// string DocumentAttr or a binary DescriptorsAttr.
func (s *Source) Documents(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, k := range keys {
		item, err := s.getItem(ctx, getItemInput{Key: key(k)})
		if err != nil {
			return nil, fmt.Errorf("dynamohttp: read %s: %w", k, err)
		}
		switch {
		case item == nil:
		case item[statetable.DocumentAttr].S != nil:
			out[k] = []byte(*item[statetable.DocumentAttr].S)
		case item[statetable.DescriptorsAttr].B != nil:
			out[k] = item[statetable.DescriptorsAttr].B
		default:
			return nil, fmt.Errorf("dynamohttp: item %s has neither a string %s nor a binary %s", k, statetable.DocumentAttr, statetable.DescriptorsAttr)
		}
	}
	return out, nil
}

func key(k string) map[string]attr {
	return map[string]attr{statetable.KeyAttr: {S: &k}}
}

// maxAnswer bounds an answer read: an item is at most 400 KB, base64 and
// JSON make it larger.
const maxAnswer = 1 << 20

// getItem makes one consistent GetItem; a missing item is nil.
func (s *Source) getItem(ctx context.Context, in getItemInput) (map[string]attr, error) {
	in.TableName, in.ConsistentRead = s.cfg.Table, true
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	creds, err := s.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	if err := s.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "dynamodb", s.cfg.Region, s.cfg.Now()); err != nil {
		return nil, err
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAnswer {
		return nil, fmt.Errorf("GetItem: the answer is over %d bytes", maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, awsError(resp.StatusCode, b)
	}
	var out getItemOutput
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("GetItem: the answer does not decode: %w", err)
	}
	return out.Item, nil
}

// Error is an error answer of DynamoDB.
type Error struct {
	Status  int
	Code    string // such as ResourceNotFoundException
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("GetItem: %s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// awsError decodes an error answer of the JSON protocol:
// {"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": "..."}.
func awsError(status int, body []byte) error {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code := e.Type
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = "UnknownError"
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	return &Error{Status: status, Code: code, Message: msg}
}
