package dynamohttp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// fakeTable answers GetItem from items, as DynamoDB's JSON API does, and
// keeps the requests it got.
type fakeTable struct {
	mu       sync.Mutex
	items    map[string]map[string]any
	requests []captured
	fail     string // an error code to answer with
}

type captured struct {
	header http.Header
	body   map[string]any
}

func (f *fakeTable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var in map[string]any
	json.Unmarshal(b, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, captured{r.Header.Clone(), in})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if f.fail != "" {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + f.fail, "message": "Requested resource not found"})
		return
	}
	pk := in["Key"].(map[string]any)[statetable.KeyAttr].(map[string]any)["S"].(string)
	item, ok := f.items[pk]
	if !ok {
		w.Write([]byte(`{}`))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"Item": item})
}

func creds() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}, nil
	})
}

var signingTime = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func newSource(t *testing.T, f *fakeTable) *Source {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s, err := New(Config{Table: "portico-state", Region: "eu-west-1", Endpoint: srv.URL, Credentials: creds(), Now: func() time.Time { return signingTime }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Source reads what config.Watch needs: the revision, then documents
// (string or binary), leaving out missing ones.
func TestSourceReads(t *testing.T) {
	f := &fakeTable{items: map[string]map[string]any{
		statetable.RevisionKey: {statetable.KeyAttr: map[string]string{"S": statetable.RevisionKey}, statetable.RevisionAttr: map[string]string{"N": "42"}},
		statetable.AuthKey:     {statetable.KeyAttr: map[string]string{"S": statetable.AuthKey}, statetable.DocumentAttr: map[string]string{"S": `{"issuers":[]}`}},
		"config#descriptors#p": {statetable.KeyAttr: map[string]string{"S": "config#descriptors#p"}, statetable.DescriptorsAttr: map[string]string{"B": "AAEC"}},
	}}
	s := newSource(t, f)
	rev, err := s.Revision(context.Background())
	if err != nil || rev != 42 {
		t.Fatalf("Revision: got %d %v, want 42", rev, err)
	}
	docs, err := s.Documents(context.Background(), []string{statetable.AuthKey, "config#descriptors#p", "config#missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{statetable.AuthKey: []byte(`{"issuers":[]}`), "config#descriptors#p": {0, 1, 2}}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("Documents: got %q, want %q", docs, want)
	}
	for i, r := range f.requests {
		if r.body["ConsistentRead"] != true || r.body["TableName"] != "portico-state" {
			t.Errorf("request %d: got %v, want a consistent read of portico-state", i, r.body)
		}
	}
	if got := f.requests[0].body["ProjectionExpression"]; got != "#r" {
		t.Errorf("revision read: got projection %v, want only the revision attribute", got)
	}
}

// Without a revision item the revision is 0 (nothing was ever written), as
// config/dynamo reports it.
func TestSourceNoRevision(t *testing.T) {
	s := newSource(t, &fakeTable{items: map[string]map[string]any{}})
	if rev, err := s.Revision(context.Background()); err != nil || rev != 0 {
		t.Fatalf("got %d %v, want 0 and no error", rev, err)
	}
}

// DynamoDB's error answers become errors naming the code; an item of the
// wrong shape is an error, not an empty document.
func TestSourceErrors(t *testing.T) {
	s := newSource(t, &fakeTable{fail: "ResourceNotFoundException"})
	_, err := s.Revision(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Code != "ResourceNotFoundException" || e.Status != 400 {
		t.Fatalf("got %v, want a ResourceNotFoundException error", err)
	}
	s = newSource(t, &fakeTable{items: map[string]map[string]any{
		statetable.AuthKey: {statetable.KeyAttr: map[string]string{"S": statetable.AuthKey}, statetable.DocumentAttr: map[string]string{"N": "1"}},
	}})
	if _, err := s.Documents(context.Background(), []string{statetable.AuthKey}); err == nil || !strings.Contains(err.Error(), "neither a string") {
		t.Fatalf("got %v, want an error about the item's shape", err)
	}
}

// The requests are what the AWS SDK's own DynamoDB client sends for the same
// GetItem: target, content type, signed headers and credential scope, and an
// equal JSON body, so that whatever AWS accepts from the SDK it accepts from
// this Source. (The signature itself differs only through the body bytes and
// the SDK's extra headers, and comes from the SDK's signer in both.)
func TestSourceSpeaksAsTheSDK(t *testing.T) {
	f := &fakeTable{items: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s, err := New(Config{Table: "portico-state", Region: "eu-west-1", Endpoint: srv.URL, Credentials: creds(), Now: func() time.Time { return signingTime }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Documents(context.Background(), []string{statetable.AuthKey}); err != nil {
		t.Fatal(err)
	}
	sdk := dynamodb.New(dynamodb.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds()})
	if _, err := sdk.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String("portico-state"),
		Key:            map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.AuthKey}},
		ConsistentRead: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	ours, theirs := f.requests[0], f.requests[1]
	for _, h := range []string{"X-Amz-Target", "Content-Type", "X-Amz-Security-Token"} {
		if ours.header.Get(h) != theirs.header.Get(h) {
			t.Errorf("%s: got %q, want the SDK's %q", h, ours.header.Get(h), theirs.header.Get(h))
		}
	}
	if !reflect.DeepEqual(ours.body, theirs.body) {
		t.Errorf("body: got %v, want the SDK's %v", ours.body, theirs.body)
	}
	scope := func(h http.Header) string {
		a := h.Get("Authorization")
		i, j := strings.Index(a, "Credential="), strings.Index(a, ", SignedHeaders=")
		if i < 0 || j < 0 {
			return a
		}
		cred := a[i+len("Credential=") : j]
		return cred[strings.Index(cred, "/"):][10:] // less the key id and the date
	}
	if scope(ours.header) != scope(theirs.header) {
		t.Errorf("credential scope: got %q, want the SDK's %q", scope(ours.header), scope(theirs.header))
	}
	signed := func(h http.Header) []string {
		a := h.Get("Authorization")
		i := strings.Index(a, "SignedHeaders=")
		list := strings.Split(strings.SplitN(a[i+len("SignedHeaders="):], ",", 2)[0], ";")
		return list
	}
	for _, want := range []string{"host", "x-amz-date", "x-amz-security-token", "x-amz-target", "content-type"} {
		found := false
		for _, h := range signed(ours.header) {
			found = found || h == want
		}
		if !found {
			t.Errorf("signed headers: got %v, want %s among them (the SDK signs %v)", signed(ours.header), want, signed(theirs.header))
		}
	}
	if !strings.HasPrefix(ours.header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/eu-west-1/dynamodb/aws4_request") {
		t.Errorf("Authorization: got %q, want SigV4 for dynamodb in eu-west-1", ours.header.Get("Authorization"))
	}
}

// The environment Lambda gives a function is enough; missing pieces are
// named.
func TestFromEnv(t *testing.T) {
	env := map[string]string{"AWS_REGION": "cn-north-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}
	cfg, err := FromEnv(func(k string) string { return env[k] }, "t")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.url != "https://dynamodb.cn-north-1.amazonaws.com.cn/" {
		t.Errorf("endpoint: got %s, want China's", s.url)
	}
	env["AWS_ENDPOINT_URL"] = "https://localhost:4566"
	cfg, _ = FromEnv(func(k string) string { return env[k] }, "t")
	if s, _ := New(cfg); s.url != "https://localhost:4566/" {
		t.Errorf("endpoint: got %s, want AWS_ENDPOINT_URL's", s.url)
	}
	delete(env, "AWS_SECRET_ACCESS_KEY")
	cfg, _ = FromEnv(func(k string) string { return env[k] }, "t")
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil {
		t.Error("credentials without a secret key: got no error, want one")
	}
	delete(env, "AWS_REGION")
	cfg, _ = FromEnv(func(k string) string { return env[k] }, "t")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("no region: got %v, want an error naming AWS_REGION", err)
	}
	env["AWS_REGION"], env["AWS_CA_BUNDLE"] = "eu-west-1", "/nonexistent/ca.pem"
	if _, err := FromEnv(func(k string) string { return env[k] }, "t"); err == nil {
		t.Error("a CA bundle that cannot be read: got no error, want one")
	}
}

// A Watch on the Source follows the revision, as it does on config/dynamo.
func TestSourceUnderAWatch(t *testing.T) {
	f := &fakeTable{items: map[string]map[string]any{
		statetable.RevisionKey: {statetable.KeyAttr: map[string]string{"S": statetable.RevisionKey}, statetable.RevisionAttr: map[string]string{"N": "1"}},
		statetable.AuthKey:     {statetable.KeyAttr: map[string]string{"S": statetable.AuthKey}, statetable.DocumentAttr: map[string]string{"S": "one"}},
	}}
	w, err := live.NewWatch(live.Config{Source: newSource(t, f)}, func(ctx context.Context, src live.Source, _ int64, _ string) (string, error) {
		docs, err := src.Documents(ctx, []string{statetable.AuthKey})
		return string(docs[statetable.AuthKey]), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := w.Current(context.Background()); !ok || v != "one" {
		t.Fatalf("got %q %v, want one", v, ok)
	}
}
