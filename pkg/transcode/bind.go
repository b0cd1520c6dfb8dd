package transcode

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// scalarWKT are the well-known message types that path and query parameters
// can hold, written as their JSON string form (Timestamp "2024-01-02T03:04:05Z",
// Duration "1.5s", FieldMask "a,b.c") or, for wrappers, as the wrapped value.
var scalarWKT = map[protoreflect.FullName]bool{
	"google.protobuf.Timestamp":   true,
	"google.protobuf.Duration":    true,
	"google.protobuf.FieldMask":   true,
	"google.protobuf.DoubleValue": true,
	"google.protobuf.FloatValue":  true,
	"google.protobuf.Int64Value":  true,
	"google.protobuf.UInt64Value": true,
	"google.protobuf.Int32Value":  true,
	"google.protobuf.UInt32Value": true,
	"google.protobuf.BoolValue":   true,
	"google.protobuf.StringValue": true,
	"google.protobuf.BytesValue":  true,
}

func isScalarWKT(md protoreflect.MessageDescriptor) bool { return scalarWKT[md.FullName()] }

// decodeBody decodes a JSON request body into msg as the binding's Body
// says, with protojson semantics.
func (t *Transcoder) decodeBody(b *binding, msg *dynamicpb.Message, body []byte) error {
	empty := len(bytes.TrimSpace(body)) == 0
	// Required fields are checked once the whole message is built.
	opts := protojson.UnmarshalOptions{DiscardUnknown: b.route.AllowUnknownFields, Resolver: t.types, AllowPartial: true}
	switch {
	case b.route.Body == "":
		if !empty {
			return fmt.Errorf("%s %s takes no request body", b.route.Method, b.route.Path)
		}
		return nil
	case empty:
		return nil
	case b.route.Body == "*":
		if err := opts.Unmarshal(body, msg); err != nil {
			return fmt.Errorf("invalid JSON body: %s", protoErr(err))
		}
		return nil
	case b.body.Kind() == protoreflect.MessageKind && !b.body.IsList() && !b.body.IsMap():
		if err := opts.Unmarshal(body, msg.Mutable(b.body).Message().Interface()); err != nil {
			return fmt.Errorf("invalid JSON body for field %q: %s", b.route.Body, protoErr(err))
		}
		return nil
	default:
		// A scalar, repeated or map field: decode {"field": body} into a
		// scratch message, so that the field gets protojson semantics too.
		wrapped := make([]byte, 0, len(body)+len(b.body.JSONName())+5)
		wrapped = append(wrapped, `{"`...)
		wrapped = append(wrapped, b.body.JSONName()...)
		wrapped = append(wrapped, `":`...)
		wrapped = append(wrapped, body...)
		wrapped = append(wrapped, '}')
		scratch := dynamicpb.NewMessage(msg.Descriptor())
		if err := opts.Unmarshal(wrapped, scratch); err != nil {
			return fmt.Errorf("invalid JSON body for field %q: %s", b.route.Body, protoErr(err))
		}
		if scratch.Has(b.body) {
			msg.Set(b.body, scratch.Get(b.body))
		}
		return nil
	}
}

// bindQuery sets request fields from query parameters, which name fields by
// dotted paths of proto or JSON names. Parameters naming fields bound by the
// path or the body are skipped, and so are unknown ones, as grpc-gateway
// does. With Body "*" the query is not used at all.
func bindQuery(b *binding, msg *dynamicpb.Message, query url.Values) error {
	if b.route.Body == "*" {
		return nil
	}
	for key, values := range query {
		if b.pathBound[key] {
			continue
		}
		fields, err := fieldPath(msg.Descriptor(), key, true)
		if err != nil {
			continue
		}
		if b.body != nil && fields[0] == b.body || b.pathBound[protoPath(fields)] {
			continue
		}
		if err := setField(msg, fields, values); err != nil {
			return fmt.Errorf("query parameter %q: %w", key, err)
		}
	}
	return nil
}

func protoPath(fields []protoreflect.FieldDescriptor) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(f.Name())
	}
	return strings.Join(names, ".")
}

// setField sets the field at the end of fields, creating the messages on
// the way, from one value (or several for a repeated field).
func setField(msg protoreflect.Message, fields []protoreflect.FieldDescriptor, values []string) error {
	for _, fd := range fields[:len(fields)-1] {
		if err := checkOneof(msg, fd); err != nil {
			return err
		}
		msg = msg.Mutable(fd).Message()
	}
	fd := fields[len(fields)-1]
	if err := checkOneof(msg, fd); err != nil {
		return err
	}
	switch {
	case fd.IsMap():
		return fmt.Errorf("map field %s cannot be set from a parameter", fd.Name())
	case fd.IsList():
		list := msg.Mutable(fd).List()
		for _, s := range values {
			v, err := parseValue(fd, s, list.NewElement)
			if err != nil {
				return err
			}
			list.Append(v)
		}
		return nil
	case len(values) != 1:
		return fmt.Errorf("field %s is not repeated but has %d values", fd.Name(), len(values))
	default:
		v, err := parseValue(fd, values[0], func() protoreflect.Value { return msg.NewField(fd) })
		if err != nil {
			return err
		}
		msg.Set(fd, v)
		return nil
	}
}

// checkOneof refuses to set a second member of a oneof.
func checkOneof(msg protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	od := fd.ContainingOneof()
	if od == nil || od.IsSynthetic() {
		return nil
	}
	if set := msg.WhichOneof(od); set != nil && set != fd {
		return fmt.Errorf("field %s and field %s are both members of oneof %s", fd.Name(), set.Name(), od.Name())
	}
	return nil
}

// parseValue parses one parameter value for the (singular or element)
// type of fd; newMsg makes the message for well-known types.
func parseValue(fd protoreflect.FieldDescriptor, s string, newMsg func() protoreflect.Value) (protoreflect.Value, error) {
	bad := func() (protoreflect.Value, error) {
		return protoreflect.Value{}, fmt.Errorf("invalid value %q for %s field %s", s, typeName(fd), fd.Name())
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfBool(v), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfInt32(int32(v)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfInt64(v), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfUint32(uint32(v)), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfUint64(v), nil
	case protoreflect.FloatKind:
		v, err := parseFloat(s, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfFloat32(float32(v)), nil
	case protoreflect.DoubleKind:
		v, err := parseFloat(s, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfFloat64(v), nil
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s), nil
	case protoreflect.BytesKind:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if v, err := enc.DecodeString(s); err == nil {
				return protoreflect.ValueOfBytes(v), nil
			}
		}
		return bad()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByName(protoreflect.Name(s)); ev != nil {
			return protoreflect.ValueOfEnum(ev.Number()), nil
		}
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(v)), nil
	case protoreflect.MessageKind:
		md := fd.Message()
		if !isScalarWKT(md) {
			return protoreflect.Value{}, fmt.Errorf("message field %s cannot be set from a parameter", fd.Name())
		}
		v := newMsg()
		m := v.Message()
		switch md.FullName() {
		case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask":
			if err := protojson.Unmarshal([]byte(strconv.Quote(s)), m.Interface()); err != nil {
				return bad()
			}
		default: // a wrapper: parse the wrapped value
			inner := md.Fields().ByNumber(1)
			iv, err := parseValue(inner, s, nil)
			if err != nil {
				return bad()
			}
			m.Set(inner, iv)
		}
		return v, nil
	default:
		return protoreflect.Value{}, fmt.Errorf("field %s of kind %s cannot be set from a parameter", fd.Name(), fd.Kind())
	}
}

// parseFloat accepts protojson's spellings of the special values too.
func parseFloat(s string, bits int) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, bits)
}

func typeName(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return string(fd.Enum().FullName())
	case protoreflect.MessageKind:
		return string(fd.Message().FullName())
	default:
		return fd.Kind().String()
	}
}

// protoErr returns the message of a protobuf-go error without its "proto:"
// prefix, whose space protobuf-go randomises between a normal and a
// non-breaking one.
func protoErr(err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, "proto:"); ok {
		s = strings.TrimLeft(rest, " \u00a0")
	}
	return s
}
