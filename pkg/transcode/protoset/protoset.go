// Package protoset compiles .proto sources into a binary FileDescriptorSet
// (the format of protoc --descriptor_set_out --include_imports) in pure Go,
// so that descriptor sets for package transcode can be produced and checked
// without protoc.
//
// Imports of the well-known types (google/protobuf/*.proto) and of the
// google.api HTTP annotations (google/api/annotations.proto, http.proto) are
// satisfied without sources; every other import must be found in the source
// file system.
package protoset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/bufbuild/protocompile"
	_ "google.golang.org/genproto/googleapis/api/annotations" // registers google/api/annotations.proto and http.proto
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Compile compiles files, paths relative to the root of src, and returns the
// deterministic binary encoding of a FileDescriptorSet holding them and all
// their imports, dependencies first. Source code info is not included.
func Compile(ctx context.Context, src fs.FS, files ...string) ([]byte, error) {
	if len(files) == 0 {
		return nil, errors.New("protoset: no files to compile")
	}
	sources := &protocompile.SourceResolver{Accessor: func(path string) (io.ReadCloser, error) {
		return src.Open(path)
	}}
	resolver := protocompile.WithStandardImports(protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		res, err := sources.FindFileByPath(path)
		if err == nil {
			return res, nil
		}
		if fd, gerr := protoregistry.GlobalFiles.FindFileByPath(path); gerr == nil && !isStandard(path) {
			return protocompile.SearchResult{Proto: protodesc.ToFileDescriptorProto(fd)}, nil
		}
		return res, err
	}))
	c := protocompile.Compiler{Resolver: resolver, MaxParallelism: 1}
	compiled, err := c.Compile(ctx, files...)
	if err != nil {
		return nil, fmt.Errorf("protoset: compile: %w", err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	for _, fd := range compiled {
		add(fd)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("protoset: marshal descriptor set: %w", err)
	}
	return b, nil
}

// isStandard reports whether path is one of the well-known type files that
// protocompile.WithStandardImports provides itself.
func isStandard(path string) bool {
	return strings.HasPrefix(path, "google/protobuf/")
}
