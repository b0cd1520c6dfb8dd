package provider

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckPolicyDocument(t *testing.T) {
	tests := []struct {
		doc  string
		want string // substring of the message; "" means valid
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`, ""},
		{`not json`, "not a JSON object"},
		{`{"Statement":[{}]}`, `want "2012-10-17"`},
		{`{"Version":"2012-10-17"}`, "no Statement"},
		{`{"Version":"2012-10-17","Statement":[]}`, "no Statement"},
	}
	for _, tt := range tests {
		got := checkPolicyDocument(tt.doc)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkPolicyDocument(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

func TestDecodePolicyDocument(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}`
	want := `{"Statement":[{"Action":"s3:Get*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	for _, in := range []string{doc, url.QueryEscape(doc)} {
		got, err := decodePolicyDocument(in)
		if err != nil || got != want {
			t.Errorf("decodePolicyDocument(%.30s...) = %q, %v; want %q", in, got, err, want)
		}
	}
	if !sameDocument(jsonAny, doc, want) || sameDocument(jsonAny, doc, `{"Version":"2012-10-17","Statement":[]}`) {
		t.Error("sameDocument: got the wrong verdict")
	}
}

func TestRoleNamePattern(t *testing.T) {
	for name, ok := range map[string]bool{"portico-authorizer": true, "a+b=c,d.e@f_g": true, "bad name": false, "bad/slash": false} {
		if roleNamePattern.MatchString(name) != ok {
			t.Errorf("role name %q: got match %v, want %v", name, !ok, ok)
		}
	}
}
