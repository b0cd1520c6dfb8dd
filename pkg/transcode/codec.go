package transcode

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// codec is the gRPC codec of the Transcoder's calls: protobuf wire format
// for any proto.Message, the dynamic messages included, without the
// required-field walk that proto.Marshal and proto.Unmarshal make on every
// message. That walk is slow on dynamic messages and idle for proto3, which
// has no required fields; for proto2 messages that have some, the
// Transcoder checks them itself (see binding.checkIn).
type codec struct{}

var _ encoding.Codec = codec{}

func (codec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("transcode: codec: cannot marshal %T", v)
	}
	return proto.MarshalOptions{AllowPartial: true}.Marshal(m)
}

func (codec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("transcode: codec: cannot unmarshal into %T", v)
	}
	return proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, m)
}

// Name is the codec's content subtype: application/grpc+proto.
func (codec) Name() string { return "proto" }

// hasRequired reports whether md, or a message it holds, has a proto2
// required field.
func hasRequired(md protoreflect.MessageDescriptor) bool {
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor) bool
	walk = func(md protoreflect.MessageDescriptor) bool {
		if seen[md.FullName()] {
			return false
		}
		seen[md.FullName()] = true
		if md.RequiredNumbers().Len() > 0 {
			return true
		}
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.Message() != nil && walk(fd.Message()) {
				return true
			}
		}
		return false
	}
	return walk(md)
}
