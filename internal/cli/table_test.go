package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/statetable"
)

// fakeTable is a hand-written TableAPI: items by pk, scanned in pages of
// two, read back by key.
type fakeTable struct {
	items   map[string]map[string]ddbtypes.AttributeValue
	scans   int
	batches int
	fail    error
}

func (f *fakeTable) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.scans++
	prefix := in.ExpressionAttributeValues[":p"].(*ddbtypes.AttributeValueMemberS).Value
	var keys []string
	for k := range f.items {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	start := 0
	if in.ExclusiveStartKey != nil {
		last := in.ExclusiveStartKey[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
		for i, k := range keys {
			if k == last {
				start = i + 1
			}
		}
	}
	out := &dynamodb.ScanOutput{}
	for i := start; i < len(keys) && i < start+2; i++ {
		out.Items = append(out.Items, f.items[keys[i]])
		if i == start+1 && i < len(keys)-1 {
			out.LastEvaluatedKey = map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: keys[i]}}
		}
	}
	return out, nil
}

func (f *fakeTable) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.batches++
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]ddbtypes.AttributeValue{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 {
			return nil, errors.New("ValidationException: too many keys")
		}
		for _, k := range ka.Keys {
			if item, ok := f.items[k[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS).Value]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func (f *fakeTable) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("the command never writes")
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func str(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: s} }
func num(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: s} }

func tableEnv(f *fakeTable) Env {
	return Env{Table: func(context.Context) (TableAPI, error) { return f, nil }, Getenv: func(k string) string {
		if k == "PORTICO_TABLE" {
			return "state"
		}
		return ""
	}}
}

func TestKeys(t *testing.T) {
	f := &fakeTable{items: map[string]map[string]ddbtypes.AttributeValue{
		"apikey#0123456789abcdef0000": {"pk": str("apikey#0123456789abcdef0000"), "name": str("demo-pro"), "tier": str("pro"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true}},
		"apikey#fedcba98765432100000": {"pk": str("apikey#fedcba98765432100000"), "name": str("demo-free"), "tier": str("free"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: false}},
		"apikey#aaaaaaaaaaaaaaaa0000": {"pk": str("apikey#aaaaaaaaaaaaaaaa0000"), "name": str("demo-enterprise"), "tier": str("enterprise"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true}},
		"rl#ip#1.2.3.4#0":             {"pk": str("rl#ip#1.2.3.4#0"), "n": num("3")},
	}}
	code, out, errOut := run(t, tableEnv(f), "keys")
	if code != ExitOK {
		t.Fatalf("got exit %d: %s", code, errOut)
	}
	want := []string{"demo-enterprise  aaaaaaaaaaaaaaaa  enterprise  true", "demo-free        fedcba9876543210  free        false", "demo-pro         0123456789abcdef  pro         true"}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("got:\n%s\nwant a line %q", out, w)
		}
	}
	if f.scans != 2 || strings.Contains(out, "rl#") {
		t.Errorf("got %d scan pages and output %q, want 2 pages (of two) and only keys", f.scans, out)
	}
	code, out, _ = run(t, tableEnv(f), "keys", "--json")
	if code != ExitOK || !strings.Contains(out, `"name": "demo-pro"`) || !strings.Contains(out, `"enabled": false`) {
		t.Errorf("--json: got %d %s", code, out)
	}
	f.fail = errors.New("AccessDeniedException")
	if code, _, errOut := run(t, tableEnv(f), "keys"); code != ExitInvalid || !strings.Contains(errOut, "AccessDeniedException") {
		t.Errorf("a failing scan: got %d %q, want 1 naming the error", code, errOut)
	}
	if code, _, errOut := run(t, Env{Table: tableEnv(f).Table}, "keys"); code != ExitUsage || !strings.Contains(errOut, "--table") {
		t.Errorf("no table: got %d %q, want 2 asking for --table", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	h1, h2 := "1767225600", "1767229200" // 2026-01-01T00 and T01, UTC
	f := &fakeTable{items: map[string]map[string]ddbtypes.AttributeValue{
		"usage#" + h1: {"pk": str("usage#" + h1), "keys": &ddbtypes.AttributeValueMemberSS{Value: []string{"k1", "k2"}},
			"tenants": &ddbtypes.AttributeValueMemberSS{Value: []string{"acme"}}, "routes": &ddbtypes.AttributeValueMemberSS{Value: []string{"users"}}},
		"usage#" + h2:                  {"pk": str("usage#" + h2), "keys": &ddbtypes.AttributeValueMemberSS{Value: []string{"k1"}}},
		"usage#" + h1 + "#key#k1":      {"pk": str("usage#" + h1 + "#key#k1"), "n": num("5"), "r:users": num("3"), "r:search": num("2"), "ttl": num("1")},
		"usage#" + h1 + "#key#k2":      {"pk": str("usage#" + h1 + "#key#k2"), "n": num("1"), "r:users": num("1")},
		"usage#" + h2 + "#key#k1":      {"pk": str("usage#" + h2 + "#key#k1"), "n": num("4"), "r:users": num("4")},
		"usage#" + h1 + "#tenant#acme": {"pk": str("usage#" + h1 + "#tenant#acme"), "n": num("6"), "r:users": num("6")},
	}}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"every key, summed", nil, []string{"k1   9         search 2, users 7", "k2   1         users 1", "total 10"}},
		{"one key, by hour", []string{"--key", "k1", "--hourly"}, []string{"2026-01-01T00  k1   5", "2026-01-01T01  k1   4", "total 9"}},
		{"tenants", []string{"--by", "tenant"}, []string{"acme    6         users 6", "total 6"}},
		{"json", []string{"--json"}, []string{`"id": "k1"`, `"requests": 9`, `"search": 2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.batches = 0
			args := append([]string{"usage", "--from", "2026-01-01T00", "--to", "2026-01-01T01"}, tt.args...)
			code, out, errOut := run(t, tableEnv(f), args...)
			if code != ExitOK {
				t.Fatalf("got exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("got:\n%s\nwant %q", out, w)
				}
			}
			if f.scans != 0 || f.batches > 2 {
				t.Errorf("got %d scans and %d batch reads, want none and at most two", f.scans, f.batches)
			}
		})
	}
	for _, args := range [][]string{
		{"usage", "--key", "a", "--tenant", "b"},
		{"usage", "--by", "planet"},
		{"usage", "--from", "yesterday"},
		{"usage", "--from", "2026-01-02", "--to", "2026-01-01"},
	} {
		if code, _, errOut := run(t, tableEnv(f), args...); code != ExitUsage {
			t.Errorf("%q: got exit %d (%s), want %d", args, code, errOut, ExitUsage)
		}
	}
}
