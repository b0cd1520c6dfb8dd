package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/portico-gw/portico/pkg/mesh"
)

// Every JSON attribute of the provider (IAM policies, traffic policies, route
// and limits documents) has the type jsonType, so that they all compare the
// same way: two values are the same document when they are the same JSON
// value, whatever the key order, white space or number spelling. A refresh
// or an apply that gets the same document back from AWS in another spelling
// keeps the state's spelling, so a reformatted document read back is not a
// change. (Terraform itself compares a configured value with state as text:
// documents the provider reads back without a prior spelling, after an
// import, are spelt as jsonencode spells them, sorted and compact, so that a
// configuration written with jsonencode plans nothing.)
//
// A kind refines "the same document" where one meaning has several JSON
// spellings: a mesh traffic policy compares as the policy it parses to, so
// "1m" and "1m0s", or a field left out and the same field at its zero value,
// are the same policy.

// jsonKind says what a JSON attribute holds.
type jsonKind string

const (
	// jsonAny is any JSON document.
	jsonAny jsonKind = "json"
	// jsonMeshPolicy is a mesh.Policy.
	jsonMeshPolicy jsonKind = "mesh-policy"
)

var (
	_ basetypes.StringTypable                    = jsonType{}
	_ basetypes.StringValuableWithSemanticEquals = jsonValue{}
)

// jsonType is the attribute type of JSON documents.
type jsonType struct {
	basetypes.StringType
	kind jsonKind
}

// jsonTypeOf is the attribute type of documents of kind k.
func jsonTypeOf(k jsonKind) jsonType { return jsonType{kind: k} }

func (t jsonType) String() string { return "provider.jsonType[" + string(t.kind) + "]" }

func (t jsonType) Equal(o attr.Type) bool {
	other, ok := o.(jsonType)
	return ok && other.kind == t.kind
}

func (t jsonType) ValueType(context.Context) attr.Value { return jsonValue{kind: t.kind} }

func (t jsonType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return jsonValue{StringValue: in, kind: t.kind}, nil
}

func (t jsonType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return jsonValue{StringValue: s, kind: t.kind}, nil
}

// jsonValue is a JSON document attribute value. Build one with jsonString
// or jsonNull, so that its kind matches the schema's.
type jsonValue struct {
	basetypes.StringValue
	kind jsonKind
}

// jsonString is the document s of kind k.
func jsonString(k jsonKind, s string) jsonValue {
	return jsonValue{StringValue: basetypes.NewStringValue(s), kind: k}
}

// jsonNull is a null document of kind k.
func jsonNull(k jsonKind) jsonValue {
	return jsonValue{StringValue: basetypes.NewStringNull(), kind: k}
}

func (v jsonValue) Type(context.Context) attr.Type { return jsonType{kind: v.kind} }

func (v jsonValue) Equal(o attr.Value) bool {
	other, ok := o.(jsonValue)
	return ok && other.kind == v.kind && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports whether v and the new value are the same
// document of v's kind. Text that is not JSON (or not a valid document of the
// kind) is only the same as identical text.
func (v jsonValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	nv, ok := newValuable.(jsonValue)
	if !ok {
		diags.AddError("Semantic equality check error",
			fmt.Sprintf("Expected a %T, got %T. This is a bug in the provider, please report it.", v, newValuable))
		return false, diags
	}
	return sameDocument(v.kind, v.ValueString(), nv.ValueString()), diags
}

// sameDocument reports whether a and b are the same document of kind k.
func sameDocument(k jsonKind, a, b string) bool {
	if a == b {
		return true
	}
	ca, errA := canonicalDocument(k, a)
	cb, errB := canonicalDocument(k, b)
	return errA == nil && errB == nil && ca == cb
}

// canonicalDocument is the one spelling of doc as a document of kind k:
// compact JSON with sorted keys, after parsing it as its kind when the kind
// has a parser.
func canonicalDocument(k jsonKind, doc string) (string, error) {
	switch k {
	case jsonMeshPolicy:
		p, err := mesh.ParsePolicy([]byte(doc))
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(p)
		if err != nil {
			return "", err
		}
		return canonicalJSON(string(b))
	default:
		return canonicalJSON(doc)
	}
}

// canonicalJSON re-encodes a JSON document with sorted keys and no spaces, as
// Terraform's jsonencode writes it. Numbers compare by value.
func canonicalJSON(doc string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}
