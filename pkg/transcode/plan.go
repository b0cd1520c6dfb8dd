package transcode

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A Transcoder translates JSON straight to the protobuf wire format and
// back, with the method's descriptors, without building a dynamic message
// in between (jsonwire.go, wirejson.go). A plan is what that needs to know of
// a message type, worked out once per type when the Transcoder is built.
//
// The semantics are protojson's (lowerCamel or proto names, enums by name
// or number, the well-known types, the same errors), and the wire format is
// read as proto.Unmarshal reads it (last value wins, messages merge,
// unknown fields ignored); the differential tests (wire_test.go) hold the
// two paths to that. A message type the direct path does not handle —
// groups, extensions, google.protobuf.Any (which needs a type registry) or
// proto1 message sets, anywhere beneath it — takes the dynamic-message path
// (see binding).

// wkt names the well-known types with a JSON form of their own.
type wkt uint8

const (
	wktNone wkt = iota
	wktTimestamp
	wktDuration
	wktWrapper
	wktStruct
	wktValue
	wktListValue
	wktFieldMask
	wktEmpty
	wktAny
)

func wktOf(md protoreflect.MessageDescriptor) wkt {
	if md.FullName().Parent() != "google.protobuf" {
		return wktNone
	}
	switch md.Name() {
	case "Timestamp":
		return wktTimestamp
	case "Duration":
		return wktDuration
	case "BoolValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value", "FloatValue", "DoubleValue", "StringValue", "BytesValue":
		return wktWrapper
	case "Struct":
		return wktStruct
	case "Value":
		return wktValue
	case "ListValue":
		return wktListValue
	case "FieldMask":
		return wktFieldMask
	case "Empty":
		return wktEmpty
	case "Any":
		return wktAny
	}
	return wktNone
}

// msgPlan is a message type as the direct path reads and writes it.
type msgPlan struct {
	md     protoreflect.MessageDescriptor
	wkt    wkt
	fields []*fieldPlan          // in declaration order, as protojson writes them
	byName map[string]*fieldPlan // JSON names over proto names, as protojson looks them up
	byNum  map[protowire.Number]*fieldPlan
	// direct: this type and every type beneath it can take the direct path.
	direct bool
	// oneofs is the number of real (not synthetic) oneofs.
	oneofs int
}

// fieldPlan is a field of a msgPlan.
type fieldPlan struct {
	fd        protoreflect.FieldDescriptor
	index     int // in msgPlan.fields
	num       protowire.Number
	kind      protoreflect.Kind
	list      bool
	isMap     bool
	packed    bool // a repeated scalar written packed
	presence  bool // fd.HasPresence
	utf8      bool // a string field whose values must be valid UTF-8
	oneof     int  // index of its real oneof, or -1
	jsonName  string
	protoName string
	msg       *msgPlan                    // message fields: the message's plan
	enum      protoreflect.EnumDescriptor // enum fields
	nullValue bool                        // an enum field of google.protobuf.NullValue
	keepNull  bool                        // JSON null is a value, not "unset" (Value and NullValue fields)
	key, val  *fieldPlan                  // map fields: the entry's key and value
	inOneof   bool                        // in a oneof, synthetic (proto3 optional) or not
	enumNames map[string]int32            // enum fields: numbers by name
	// jsonKey and protoKey are `"name":` as written, by JSON or proto name.
	jsonKey, protoKey []byte
}

// planner builds the plans of message types, once each.
type planner map[protoreflect.FullName]*msgPlan

// plan returns md's plan, building it and the plans of the types beneath it.
func (p planner) plan(md protoreflect.MessageDescriptor) *msgPlan {
	if mp, ok := p[md.FullName()]; ok {
		return mp
	}
	mp := &msgPlan{md: md, wkt: wktOf(md), byName: map[string]*fieldPlan{}, byNum: map[protowire.Number]*fieldPlan{}, direct: true}
	p[md.FullName()] = mp
	if mp.wkt == wktAny || md.ExtensionRanges().Len() > 0 || isMessageSet(md) {
		mp.direct = false
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fp := p.field(fields.Get(i))
		fp.index = i
		mp.fields = append(mp.fields, fp)
		mp.byNum[fp.num] = fp
		mp.byName[fp.protoName] = fp
	}
	for _, fp := range mp.fields {
		mp.byName[fp.jsonName] = fp
	}
	for i := range md.Oneofs().Len() {
		if !md.Oneofs().Get(i).IsSynthetic() {
			mp.oneofs++
		}
	}
	return mp
}

func (p planner) field(fd protoreflect.FieldDescriptor) *fieldPlan {
	fp := &fieldPlan{
		fd: fd, num: fd.Number(), kind: fd.Kind(), list: fd.IsList(), isMap: fd.IsMap(),
		packed: fd.IsPacked(), presence: fd.HasPresence(), utf8: fd.Kind() == protoreflect.StringKind && enforceUTF8(fd),
		oneof: -1, jsonName: fd.JSONName(), protoName: fd.TextName(),
	}
	if od := fd.ContainingOneof(); od != nil {
		fp.inOneof = true
		if !od.IsSynthetic() {
			fp.oneof = realOneofIndex(od)
		}
	}
	fp.jsonKey, _ = appendJSONString(nil, fp.jsonName)
	fp.jsonKey = append(fp.jsonKey, ':')
	fp.protoKey, _ = appendJSONString(nil, fp.protoName)
	fp.protoKey = append(fp.protoKey, ':')
	switch fd.Kind() {
	case protoreflect.MessageKind:
		if fd.IsMap() {
			fp.key, fp.val = p.field(fd.MapKey()), p.field(fd.MapValue())
		} else {
			fp.msg = p.plan(fd.Message())
		}
	case protoreflect.EnumKind:
		fp.enum = fd.Enum()
		fp.nullValue = fd.Enum().FullName() == "google.protobuf.NullValue"
		fp.enumNames = map[string]int32{}
		values := fd.Enum().Values()
		for i := range values.Len() {
			fp.enumNames[string(values.Get(i).Name())] = int32(values.Get(i).Number())
		}
	}
	md := fd.Message()
	fp.keepNull = fp.nullValue || md != nil && md.FullName() == "google.protobuf.Value"
	return fp
}

// realOneofIndex is od's index among its message's real oneofs.
func realOneofIndex(od protoreflect.OneofDescriptor) int {
	n := 0
	oneofs := od.Parent().(protoreflect.MessageDescriptor).Oneofs()
	for i := range od.Index() {
		if !oneofs.Get(i).IsSynthetic() {
			n++
		}
	}
	return n
}

// settle marks every plan that reaches a type the direct path does not take
// (a group field, or a message type marked so) as not direct itself.
func (p planner) settle() {
	for changed := true; changed; {
		changed = false
		for _, mp := range p {
			if !mp.direct {
				continue
			}
			for _, fp := range mp.fields {
				if !fp.directField() {
					mp.direct, changed = false, true
					break
				}
			}
		}
	}
}

func (fp *fieldPlan) directField() bool {
	switch {
	case fp.kind == protoreflect.GroupKind:
		return false
	case fp.isMap:
		return fp.key.directField() && fp.val.directField()
	case fp.msg != nil:
		return fp.msg.direct
	}
	return true
}

func isMessageSet(md protoreflect.MessageDescriptor) bool {
	ms, ok := md.(interface{ IsMessageSet() bool })
	return ok && ms.IsMessageSet()
}

// enforceUTF8 reports whether proto.Unmarshal checks fd's strings are
// valid UTF-8, as protobuf-go decides it.
func enforceUTF8(fd protoreflect.FieldDescriptor) bool {
	if fd.Syntax() == protoreflect.Editions {
		if e, ok := fd.(interface{ EnforceUTF8() bool }); ok {
			return e.EnforceUTF8()
		}
	}
	return fd.Syntax() == protoreflect.Proto3
}

// wireType is the wire type fp's values (or, packed, its elements) have.
func (fp *fieldPlan) wireType() protowire.Type {
	switch fp.kind {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.BytesType
}

// packable reports whether fp's elements can be packed (scalars and enums).
func (fp *fieldPlan) packable() bool {
	return fp.list && fp.wireType() != protowire.BytesType && fp.wireType() != protowire.StartGroupType
}
