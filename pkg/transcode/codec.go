package transcode

import (
	"errors"
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

// wireMessage is a message already in the wire format: the direct path's
// requests and answers pass through the codec as they are.
type wireMessage []byte

func (codec) Marshal(v any) ([]byte, error) {
	if w, ok := v.(*wireMessage); ok {
		return *w, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("transcode: codec: cannot marshal %T", v)
	}
	return proto.MarshalOptions{AllowPartial: true}.Marshal(m)
}

// errUnmarshalPanic: protobuf-go panicked reading a message. Its
// reflective decoder (the one dynamic messages take, v1.36.11) does so on a
// map entry whose key field comes again with another wire type; a backend
// must not be able to crash the gateway with that.
var errUnmarshalPanic = errors.New("transcode: codec: the protobuf decoder failed on this message")

func (codec) Unmarshal(data []byte, v any) (err error) {
	if w, ok := v.(*wireMessage); ok {
		*w = append((*w)[:0], data...) // gRPC reuses data once Unmarshal returns
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("transcode: codec: cannot unmarshal into %T", v)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errUnmarshalPanic, p)
		}
	}()
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
