package transcode

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Descriptors is a loaded descriptor set: the files of one or more gRPC
// services, their message types, and the google.api.http annotations on
// their methods. It is immutable and safe for concurrent use.
type Descriptors struct {
	files *protoregistry.Files
	types *dynamicpb.Types
}

// Load parses the binary encoding of a google.protobuf.FileDescriptorSet, as
// written by protoc --descriptor_set_out, buf build -o or package protoset.
// Imports missing from the set are taken from the descriptors linked into
// this program, which always include the well-known types and the
// google.api annotations; any other missing import is an error wrapping
// ErrDescriptors.
func Load(set []byte) (*Descriptors, error) {
	var fds descriptorpb.FileDescriptorSet
	// The global types know the google.api.http extension (package
	// annotations is imported), so method options carry it parsed.
	opts := proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}
	if err := opts.Unmarshal(set, &fds); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDescriptors, err)
	}
	protos := make(map[string]*descriptorpb.FileDescriptorProto, len(fds.File))
	for _, f := range fds.File {
		if _, dup := protos[f.GetName()]; dup {
			return nil, fmt.Errorf("%w: file %q appears twice", ErrDescriptors, f.GetName())
		}
		protos[f.GetName()] = f
	}
	files := &protoregistry.Files{}
	var build func(name string, stack []string) error
	build = func(name string, stack []string) error {
		if _, err := files.FindFileByPath(name); err == nil {
			return nil
		}
		f, ok := protos[name]
		if !ok {
			if _, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
				return nil
			}
			return fmt.Errorf("%w: import %q of %q is not in the set", ErrDescriptors, name, stack[len(stack)-1])
		}
		if slices.Contains(stack, name) {
			return fmt.Errorf("%w: import cycle through %q", ErrDescriptors, name)
		}
		for _, dep := range f.GetDependency() {
			if err := build(dep, append(stack, name)); err != nil {
				return err
			}
		}
		fd, err := protodesc.NewFile(f, chain{files, protoregistry.GlobalFiles})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDescriptors, err)
		}
		if err := files.RegisterFile(fd); err != nil {
			return fmt.Errorf("%w: %v", ErrDescriptors, err)
		}
		return nil
	}
	for _, f := range fds.File {
		if err := build(f.GetName(), nil); err != nil {
			return nil, err
		}
	}
	return &Descriptors{files: files, types: dynamicpb.NewTypes(files)}, nil
}

// chain resolves descriptors from the set first, then from the program's.
type chain struct{ local, global *protoregistry.Files }

var _ protodesc.Resolver = chain{}

func (c chain) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	if fd, err := c.local.FindFileByPath(path); err == nil {
		return fd, nil
	}
	return c.global.FindFileByPath(path)
}

func (c chain) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	if d, err := c.local.FindDescriptorByName(name); err == nil {
		return d, nil
	}
	return c.global.FindDescriptorByName(name)
}

// Method finds a method by its full name, written as gRPC does
// ("payments.v1.PaymentService/Charge", with or without a leading slash) or
// as a protobuf full name ("payments.v1.PaymentService.Charge"). It returns
// an error wrapping ErrNoMethod when the set has no such method.
func (d *Descriptors) Method(name string) (protoreflect.MethodDescriptor, error) {
	full := strings.ReplaceAll(strings.TrimPrefix(name, "/"), "/", ".")
	desc, err := d.files.FindDescriptorByName(protoreflect.FullName(full))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrNoMethod, name)
	}
	md, ok := desc.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("%w: %q is a %s, not a method", ErrNoMethod, name, kindOf(desc))
	}
	return md, nil
}

// Services returns the full names of the services in the set, sorted.
func (d *Descriptors) Services() []string {
	var names []string
	d.files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			names = append(names, string(fd.Services().Get(i).FullName()))
		}
		return true
	})
	slices.Sort(names)
	return names
}

// Routes derives routes from the google.api.http annotations of the named
// services' methods (every service in the set when none is named), in
// declaration order, each binding followed by its additional_bindings.
// Methods without an annotation get no route. The routes are checked as
// Check does: an annotated client-streaming or bidirectional method is an
// error wrapping ErrStreaming.
func (d *Descriptors) Routes(services ...string) ([]Route, error) {
	if len(services) == 0 {
		services = d.Services()
	}
	var routes []Route
	for _, name := range services {
		desc, err := d.files.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return nil, fmt.Errorf("%w: service %q", ErrNoMethod, name)
		}
		sd, ok := desc.(protoreflect.ServiceDescriptor)
		if !ok {
			return nil, fmt.Errorf("%w: %q is a %s, not a service", ErrNoMethod, name, kindOf(desc))
		}
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			opts, ok := md.Options().(*descriptorpb.MethodOptions)
			if !ok || opts == nil || !proto.HasExtension(opts, annotations.E_Http) {
				continue
			}
			rule, ok := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
			if !ok {
				continue
			}
			rpc := string(sd.FullName()) + "/" + string(md.Name())
			for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
				route, err := routeOf(rpc, r)
				if err != nil {
					return nil, err
				}
				if err := d.Check(route); err != nil {
					return nil, err
				}
				routes = append(routes, route)
			}
		}
	}
	return routes, nil
}

// routeOf turns one HttpRule into a Route.
func routeOf(rpc string, r *annotations.HttpRule) (Route, error) {
	route := Route{RPC: rpc, Body: r.GetBody(), ResponseBody: r.GetResponseBody()}
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		route.Method, route.Path = "GET", p.Get
	case *annotations.HttpRule_Put:
		route.Method, route.Path = "PUT", p.Put
	case *annotations.HttpRule_Post:
		route.Method, route.Path = "POST", p.Post
	case *annotations.HttpRule_Delete:
		route.Method, route.Path = "DELETE", p.Delete
	case *annotations.HttpRule_Patch:
		route.Method, route.Path = "PATCH", p.Patch
	case *annotations.HttpRule_Custom:
		route.Method, route.Path = strings.ToUpper(p.Custom.GetKind()), p.Custom.GetPath()
	default:
		return Route{}, fmt.Errorf("%w: %s: google.api.http rule has no pattern", ErrRoute, rpc)
	}
	return route, nil
}

func kindOf(d protoreflect.Descriptor) string {
	switch d.(type) {
	case protoreflect.MessageDescriptor:
		return "message"
	case protoreflect.ServiceDescriptor:
		return "service"
	case protoreflect.MethodDescriptor:
		return "method"
	case protoreflect.EnumDescriptor:
		return "enum"
	case protoreflect.FieldDescriptor:
		return "field"
	default:
		return "descriptor"
	}
}
