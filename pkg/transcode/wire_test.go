package transcode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/portico-gw/portico/pkg/transcode/protoset"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The direct path (JSON straight to the wire format and back, plan.go) is
// held to the dynamic path (protojson and dynamicpb) by differential tests:
// on generated messages of every field kind, on hand-picked edge cases, and
// by fuzzing, requests must decode to the same message or fail both ways,
// and answers must be the same JSON (byte for byte once protojson's random
// whitespace is compacted away) or fail both ways.

// proto2Source is a proto2 schema for what the proto3 test service lacks:
// closed enums, explicit presence with defaults, required fields; and, in
// types the direct path leaves to the dynamic one, groups, extensions and
// Any.
const proto2Source = `syntax = "proto2";
package diff.v2;
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
enum Level { UNKNOWN = 0; LOW = 1; HIGH = 2; }
message Leaf { optional string name = 1; optional Level level = 2; }
message Old {
  optional int32 count = 1 [default = 7];
  optional string label = 2 [default = "none"];
  optional Level level = 3;
  repeated Level levels = 4;
  repeated sint64 packed = 5 [packed = true];
  repeated fixed32 unpacked = 6;
  map<string, Level> by_name = 7;
  map<uint32, Leaf> leaves = 8;
  optional bytes blob = 9;
  optional Leaf leaf = 10;
  oneof pick { string word = 11; Leaf node = 12; double real = 13; }
  optional google.protobuf.Value any_value = 14;
  map<bool, sint32> flags = 15;
  map<sfixed64, string> wide = 16;
  optional float ratio = 17;
  optional google.protobuf.NullValue nothing = 18;
}
message WithGroup { optional group G = 1 { optional int32 x = 2; } }
message WithAny { optional google.protobuf.Any payload = 1; }
message Extendable { optional int32 a = 1; extensions 100 to 200; }
extend Extendable { optional string ext = 100; }
message Required { required string id = 1; optional Leaf leaf = 2; }
service Diff {
  rpc Echo(Old) returns (Old);
  rpc Group(WithGroup) returns (WithGroup);
  rpc Any(WithAny) returns (WithAny);
  rpc Ext(Extendable) returns (Extendable);
  rpc Req(Required) returns (Required);
}`

// diffTranscoders builds transcoders over the test service and the proto2
// schema, one per answer option, whose backends are never called.
func diffTranscoders(t testing.TB) []*Transcoder {
	t.Helper()
	set, err := protoset.Compile(context.Background(), fstest.MapFS{"diff.proto": {Data: []byte(proto2Source)}}, "diff.proto")
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Load(set)
	if err != nil {
		t.Fatal(err)
	}
	var trs []*Transcoder
	for _, opts := range []Config{{}, {UseProtoNames: true}, {EmitUnpopulated: true}, {UseProtoNames: true, EmitUnpopulated: true}} {
		cfg := opts
		var extra []Route
		for _, f := range []string{"f_int32", "f_string", "numbers", "items", "counts", "nested", "text", "nested_choice", "maybe", "at", "meta", "value", "w_int64", "colors"} {
			extra = append(extra, Route{Method: "POST", Path: "/rb/" + f, RPC: testService + "/Echo", Body: "*", ResponseBody: f})
		}
		for _, f := range []string{"items", "nested", "f_bytes", "counts", "color", "at", "value", "text", "maybe"} {
			extra = append(extra, Route{Method: "POST", Path: "/body/" + f, RPC: testService + "/Echo", Body: f})
		}
		cfg.Routes = extra
		trs = append(trs, newTestTranscoder(t, cfg))
		routes := []Route{}
		for _, m := range []string{"Echo", "Group", "Any", "Ext", "Req"} {
			routes = append(routes, Route{Method: "POST", Path: "/diff/" + m, RPC: "diff.v2.Diff/" + m, Body: "*"})
		}
		for _, f := range []string{"count", "levels", "by_name", "leaf", "word", "nothing"} {
			routes = append(routes, Route{Method: "POST", Path: "/diff/rb/" + f, RPC: "diff.v2.Diff/Echo", Body: "*", ResponseBody: f})
		}
		cfg.Service, cfg.Descriptors, cfg.Routes = "diff", d2, routes
		cfg.Resolver = ResolverFunc(func(context.Context, string) (string, error) { return "", context.Canceled })
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		trs = append(trs, tr)
	}
	return trs
}

// TestDirectPathTaken: the types the direct path handles take it, the
// others (groups, extensions, Any beneath them) take the dynamic path.
func TestDirectPathTaken(t *testing.T) {
	tr := diffTranscoders(t)[1]
	for path, direct := range map[string]bool{"/diff/Echo": true, "/diff/Group": false, "/diff/Any": false, "/diff/Ext": false, "/diff/Req": true} {
		b, _ := tr.mustMatch(t, "POST", path)
		if (b.in != nil) != direct || (b.out != nil) != direct {
			t.Errorf("%s: got direct request %v, answer %v, want %v", path, b.in != nil, b.out != nil, direct)
		}
	}
	b, _ := diffTranscoders(t)[0].mustMatch(t, "POST", "/v1/echo")
	if b.in == nil || b.out == nil {
		t.Error("/v1/echo: got the dynamic path, want the direct one")
	}
}

// gen makes random messages of any type: edge values of every scalar kind,
// strings needing escapes, known and unknown enum numbers, nested and
// repeated fields, maps, oneofs, and valid values of the well-known types.
type gen struct{ rng *rand.Rand }

func (g gen) message(md protoreflect.MessageDescriptor, depth int) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	if g.wellKnown(m, depth) {
		return m
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if g.rng.IntN(3) == 0 || fd.Kind() == protoreflect.GroupKind {
			continue
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && m.WhichOneof(od) != nil {
			continue
		}
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range g.rng.IntN(4) {
				l.Append(g.value(fd, depth))
			}
		case fd.IsMap():
			mm := m.Mutable(fd).Map()
			for range g.rng.IntN(4) {
				mm.Set(g.value(fd.MapKey(), depth).MapKey(), g.value(fd.MapValue(), depth))
			}
		case fd.Message() != nil && depth <= 0:
		default:
			m.Set(fd, g.value(fd, depth))
		}
	}
	return m
}

func (g gen) value(fd protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	r := g.rng
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32([]int32{0, 1, -1, math.MaxInt32, math.MinInt32, r.Int32()}[r.IntN(6)])
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64([]int64{0, 1, -1, math.MaxInt64, math.MinInt64, r.Int64(), 1 << 53}[r.IntN(7)])
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32([]uint32{0, 1, math.MaxUint32, r.Uint32()}[r.IntN(4)])
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64([]uint64{0, 1, math.MaxUint64, r.Uint64()}[r.IntN(4)])
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32([]float32{0, 1.5, -2.25, float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32,
			math.SmallestNonzeroFloat32, 1e-7, 3.4e20, float32(math.Copysign(0, -1)), r.Float32()}[r.IntN(11)])
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{0, 1.5, -2.25, math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64,
			1e-7, 1e21, 123456789.125, math.Copysign(0, -1), r.NormFloat64() * 1e10}[r.IntN(12)])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString([]string{"", "plain", "quo\"te\\back", "ctl\x00\x01\x1f\x7f", "tab\tnl\n", "héllo ✓ 😀",
			"\u2028\u2029", "<html>&", "\ufffd", strings.Repeat("x", 300)}[r.IntN(10)])
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if fd.Enum().IsClosed() || r.IntN(4) > 0 {
			return protoreflect.ValueOfEnum(values.Get(r.IntN(values.Len())).Number())
		}
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(r.Int32N(100) - 50))
	case protoreflect.MessageKind:
		return protoreflect.ValueOfMessage(g.message(fd.Message(), depth-1))
	}
	panic(fd.Kind())
}

// wellKnown fills a well-known type with a valid value; false for others.
func (g gen) wellKnown(m *dynamicpb.Message, depth int) bool {
	r := g.rng
	md := m.Descriptor()
	fields := md.Fields()
	set := func(name string, v protoreflect.Value) { m.Set(fields.ByName(protoreflect.Name(name)), v) }
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		set("seconds", protoreflect.ValueOfInt64(r.Int64N(maxTimestampSeconds-minTimestampSeconds)+minTimestampSeconds))
		set("nanos", protoreflect.ValueOfInt32([]int32{0, 1, 500000000, 123456000, 999999999}[r.IntN(5)]))
	case "google.protobuf.Duration":
		secs := r.Int64N(2*maxSecondsInDuration) - maxSecondsInDuration
		nanos := []int32{0, 1, 250000000, 999999999}[r.IntN(4)]
		if secs < 0 {
			nanos = -nanos
		}
		set("seconds", protoreflect.ValueOfInt64(secs))
		set("nanos", protoreflect.ValueOfInt32(nanos))
	case "google.protobuf.FieldMask":
		l := m.Mutable(fields.ByName("paths")).List()
		for range r.IntN(3) {
			l.Append(protoreflect.ValueOfString([]string{"a", "f_int32", "nested.name", "a.b_c.d"}[r.IntN(4)]))
		}
	case "google.protobuf.Value":
		switch k := r.IntN(6); {
		case k == 0 || depth <= 0:
			set("null_value", protoreflect.ValueOfEnum(0))
		case k == 1:
			set("number_value", protoreflect.ValueOfFloat64([]float64{0, -1.5, 1e21, 1e-7}[r.IntN(4)]))
		case k == 2:
			set("string_value", g.value(fields.ByName("string_value"), depth))
		case k == 3:
			set("bool_value", protoreflect.ValueOfBool(true))
		case k == 4:
			set("struct_value", protoreflect.ValueOfMessage(g.message(fields.ByName("struct_value").Message(), depth-1)))
		default:
			set("list_value", protoreflect.ValueOfMessage(g.message(fields.ByName("list_value").Message(), depth-1)))
		}
	case "google.protobuf.Struct", "google.protobuf.ListValue":
		return false // as any message: a map or list of Values
	default:
		return false
	}
	return true
}

// directRequest decodes a request through the direct path into a message.
func directRequest(tr *Transcoder, b *binding, req *Request) (*dynamicpb.Message, error) {
	wire, err := tr.request(b, nil, req)
	if err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(b.method.Input())
	return m, proto.Unmarshal(wire, m)
}

// compareRequest decodes body both ways and fails unless both fail or both
// give the same message.
func compareRequest(t *testing.T, tr *Transcoder, b *binding, body []byte) {
	t.Helper()
	req := &Request{Method: b.route.Method, Path: b.route.Path, Body: body}
	want, werr := tr.decode(b, nil, req)
	got, gerr := directRequest(tr, b, req)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("%s %s: got error %v, dynamic path error %v", b.route.Path, body, gerr, werr)
	case werr == nil && !proto.Equal(got, want):
		t.Fatalf("%s %s: got %v, want %v", b.route.Path, body, prototext.Format(got), prototext.Format(want))
	}
}

// compareAnswer writes wire both ways and fails unless both fail or both
// give the same JSON.
func compareAnswer(t *testing.T, tr *Transcoder, b *binding, wire []byte) {
	t.Helper()
	got, gerr := tr.answer(b, wire)
	want, werr := dynamicAnswer(tr, b, wire)
	if errors.Is(werr, errUnmarshalPanic) {
		return // the dynamic path has no answer to compare with (see TestCodecSurvivesDecoderPanic)
	}
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("%s (%+v) %x: got %s error %v, dynamic path error %v", b.route.Path, tr.cfg, wire, got, gerr, werr)
	case werr == nil && !bytes.Equal(compact(t, got), compact(t, want)):
		t.Fatalf("%s (%+v) %x:\ngot  %s\nwant %s", b.route.Path, tr.cfg, wire, got, want)
	}
}

// dynamicAnswer is answer's dynamic path, whatever path the type takes.
func dynamicAnswer(tr *Transcoder, b *binding, wire []byte) ([]byte, error) {
	out := dynamicpb.NewMessage(b.method.Output())
	if err := (codec{}).Unmarshal(wire, out); err != nil {
		return nil, err
	}
	return tr.encode(b, out)
}

func compact(t *testing.T, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("got invalid JSON %s: %v", b, err)
	}
	return buf.Bytes()
}

// directBindings are the bindings of trs whose types take the direct path.
func directBindings(trs []*Transcoder) map[*Transcoder][]*binding {
	all := map[*Transcoder][]*binding{}
	for _, tr := range trs {
		for _, b := range tr.bindings {
			if b.in != nil && b.out != nil && !b.method.IsStreamingServer() && len(b.vars) == 0 {
				all[tr] = append(all[tr], b)
			}
		}
	}
	return all
}

// TestDirectMatchesDynamicGenerated: on thousands of generated messages of
// every type of both schemas, as requests (protojson's JSON of them, with
// either naming) and as answers (their wire format, with every option),
// the direct path gives what the dynamic path gives.
func TestDirectMatchesDynamicGenerated(t *testing.T) {
	trs := diffTranscoders(t)
	g := gen{rand.New(rand.NewPCG(15, 2026))}
	n := 60 // per binding: about 7,700 messages each way
	if testing.Short() {
		n = 6
	}
	for tr, bindings := range directBindings(trs) {
		for _, b := range bindings {
			for range n {
				m := g.message(b.method.Input(), 3)
				for _, names := range []bool{false, true} {
					js, err := protojson.MarshalOptions{UseProtoNames: names}.Marshal(m)
					if err != nil {
						continue // NaN in a Value, say: not a request anyone can send
					}
					body := js
					if b.body != nil {
						body = fieldJSON(t, js, b.body, names)
					}
					compareRequest(t, tr, b, body)
				}
				out := g.message(b.method.Output(), 3)
				wire, err := proto.MarshalOptions{AllowPartial: true}.Marshal(out)
				if err != nil {
					t.Fatal(err)
				}
				compareAnswer(t, tr, b, wire)
			}
		}
	}
}

// fieldJSON picks the JSON of field fd out of a message's JSON, or null.
func fieldJSON(t *testing.T, js []byte, fd protoreflect.FieldDescriptor, protoNames bool) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	name := fd.JSONName()
	if protoNames {
		name = fd.TextName()
	}
	if v, ok := m[name]; ok {
		return v
	}
	return []byte("null")
}

// TestDirectMatchesDynamicMutatedWire: answers whose wire format proto.Marshal
// would never write but a backend may send — fields out of order and
// repeated, a message's parts to merge, oneof members switching, packed and
// unpacked repeated fields, unknown fields and wire types, broken encodings
// — read the same both ways.
func TestDirectMatchesDynamicMutatedWire(t *testing.T) {
	trs := diffTranscoders(t)
	g := gen{rand.New(rand.NewPCG(7, 11))}
	n := 25 // per binding: about 3,200 pairs, 10 mutations each
	if testing.Short() {
		n = 3
	}
	for tr, bindings := range directBindings(trs) {
		for _, b := range bindings {
			for range n {
				a, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(g.message(b.method.Output(), 2))
				c, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(g.message(b.method.Output(), 2))
				for _, wire := range mutations(g.rng, a, c) {
					compareAnswer(t, tr, b, wire)
				}
			}
		}
	}
}

// mutations of two encodings of a message.
func mutations(r *rand.Rand, a, c []byte) [][]byte {
	fields := splitFields(a)
	shuffled := append([][]byte(nil), fields...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	out := [][]byte{
		append(append([]byte(nil), a...), c...), // c merged into a
		bytes.Join(shuffled, nil),
		append(append([]byte(nil), a...), a...),
		protowire.AppendBytes(protowire.AppendTag(append([]byte(nil), a...), 999, protowire.BytesType), []byte("unknown")),
		protowire.AppendVarint(protowire.AppendTag(append([]byte(nil), a...), 1, protowire.VarintType), 5), // field 1 as a varint, whatever it is
		protowire.AppendFixed32(protowire.AppendTag(append([]byte(nil), a...), 3, protowire.Fixed32Type), 7),
		protowire.AppendBytes(protowire.AppendTag(append([]byte(nil), a...), 18, protowire.BytesType), []byte{1, 0x80}), // a broken packed varint
	}
	if len(a) > 0 {
		out = append(out, a[:r.IntN(len(a))]) // truncated
		flip := append([]byte(nil), a...)
		flip[r.IntN(len(flip))] ^= byte(1 << r.IntN(8))
		out = append(out, flip)
	}
	return out
}

// splitFields splits an encoding into its fields (nil when it is broken).
func splitFields(b []byte) [][]byte {
	var fields [][]byte
	for len(b) > 0 {
		_, _, n := protowire.ConsumeField(b)
		if n < 0 {
			return nil
		}
		fields, b = append(fields, b[:n]), b[n:]
	}
	return fields
}

// TestDirectMatchesDynamicEdgeCases: requests protojson refuses or reads in
// a particular way, and answers with values protojson cannot write.
func TestDirectMatchesDynamicEdgeCases(t *testing.T) {
	trs := diffTranscoders(t)
	bodies := []string{
		`{}`, ` { } `, `{"fInt32":1,}`, `{,}`, `{"fInt32" 1}`, `{"fInt32":01}`, `{"fInt32":1.0}`, `{"fInt32":1e2}`, `{"fInt32":-0}`,
		`{"fInt32":"1"}`, `{"fInt32":" 1"}`, `{"fInt32":"1 2"}`, `{"fInt32":"1x"}`, `{"fInt32":"0x10"}`, `{"fInt32":"1e1"}`, `{"fInt32":""}`,
		`{"fInt32":2147483648}`, `{"fInt32":-2147483649}`, `{"fInt64":"9223372036854775808"}`, `{"fUint32":-1}`, `{"fUint64":"18446744073709551615"}`,
		`{"fInt32":1e-2}`, `{"fInt32":100e-2}`, `{"fInt32":1.5e1}`, `{"fInt32":123456789012345678901234567890}`, `{"fInt32":1E+2}`,
		`{"fFloat":3.5e38}`, `{"fFloat":"NaN"}`, `{"fDouble":"-Infinity"}`, `{"fDouble":"1.5"}`, `{"fDouble":" 1.5"}`, `{"fDouble":1e400}`,
		`{"fDouble":-0}`, `{"fFloat":1e-50}`, `{"fDouble":"infinity"}`,
		`{"fBool":true}`, `{"fBool":"true"}`, `{"fBool":1}`, `{"fBool":tru}`, `{"fBool":truex}`, `{"fBool":null}`,
		`{"fString":"\u00e9\ud83d\ude00"}`, `{"fString":"\ud83d"}`, `{"fString":"\udc00\ud800"}`, `{"fString":"a\u0000b"}`, `{"fString":"\x"}`,
		"{\"fString\":\"\t\"}", `{"fString":1}`, `{"fBytes":"AQI"}`, `{"fBytes":"AQI="}`, `{"fBytes":"-_8"}`, `{"fBytes":"A"}`, `{"fBytes":"*"}`,
		`{"fBytes":""}`, `{"color":"COLOR_RED"}`, `{"color":1}`, `{"color":99}`, `{"color":"1"}`, `{"color":1.0}`, `{"color":null}`, `{"color":"nope"}`,
		`{"colors":[1,"COLOR_GREEN","nope"]}`, `{"colors":null}`, `{"colors":[null]}`, `{"numbers":[1,]}`, `{"numbers":[,1]}`, `{"numbers":[]}`,
		`{"numbers":{}}`, `{"counts":{"a":1,"a":2}}`, `{"counts":{"a":null}}`, `{"byId":{"01":{},"1":{}}}`, `{"byId":{"+1":{}}}`, `{"byId":{"x":{}}}`,
		`{"byId":{"1":null}}`, `{"counts":[]}`, `{"nested":{"nested":{}}}`, `{"nested":null,"nested":{}}`, `{"fInt32":1,"f_int32":2}`,
		`{"text":"a","number":"1"}`, `{"text":null,"number":"1"}`, `{"text":"a","nestedChoice":null}`, `{"maybe":""}`, `{"maybe":null}`,
		`{"at":"2024-01-02T03:04:05Z"}`, `{"at":"2024-01-02T03:04:05.1234567891Z"}`, `{"at":"2024-01-02T03:04:05+01:00"}`, `{"at":"0000-01-01T00:00:00Z"}`,
		`{"at":"2024-01-02 03:04:05Z"}`, `{"at":1}`, `{"at":null}`, `{"took":"1s"}`, `{"took":"-.5s"}`, `{"took":"1.s"}`, `{"took":".s"}`,
		`{"took":"1.0000000001s"}`, `{"took":"315576000001s"}`, `{"took":"+1s"}`, `{"took":"1"}`, `{"took":"01s"}`,
		`{"wInt64":"5"}`, `{"wInt64":null}`, `{"wBool":false}`, `{"wString":""}`, `{"wDouble":"NaN"}`, `{"wBool":{}}`,
		`{"meta":{}}`, `{"meta":{"a":null,"b":[1,"x",{"c":true}],"d":1e400}}`, `{"meta":{"a":1,"a":2}}`, `{"meta":null}`, `{"meta":[]}`,
		`{"value":null}`, `{"value":{"a":[]}}`, `{"value":"NaN"}`, `{"value":}`, `{"list":[null,1]}`, `{"list":null}`, `{"list":{}}`,
		`{"mask":""}`, `{"mask":" "}`, `{"mask":"fInt32,nested.name"}`, `{"mask":"f_int32"}`, `{"mask":"a,,b"}`, `{"mask":"1a"}`, `{"mask":"a, b"}`,
		`{"bogus":1}`, `{"[google.api.http]":{}}`, `{"[unknown.ext]":1}`, `{"fInt32":1} x`, `{"fInt32":1}{}`, `[1]`, `"x"`, `null`, `nul`, `{"a`,
		`{"fInt32":1`, `{"fString":"abc`, "\xff", `{"fString":"` + "\xff" + `"}`, `  {"fInt32":1}  `, `{"fInt32":1}` + "\n",
		`{"items":[{"name":"a"},null]}`, `{"items":[{"bogus":1}]}`, `{"nested":{"child":{"child":{"child":{"name":"deep"}}}}}`,
		strings.Repeat(`{"nested":`, 50) + `{}` + strings.Repeat(`}`, 50), strings.Repeat(`{"meta":{"a":`, 3) + `1` + strings.Repeat(`}}`, 3),
	}
	fieldBodies := []string{`[{"name":"a"}]`, `[]`, `null`, `{"name":"n"}`, `"AQI="`, `{"a":1}`, `"COLOR_RED"`, `1`, `"2024-01-02T03:04:05Z"`,
		`{"a":[1]}`, `"t"`, `""`, `["a"],"fInt32":5`, `{"name":"n"},"fInt32":5`, `{"name":"n"} x`, `x`, ``}
	for tr, bindings := range directBindings(trs) {
		for _, b := range bindings {
			list := bodies
			if b.body != nil {
				list = fieldBodies
			}
			for _, body := range list {
				compareRequestSkippingWrapQuirk(t, tr, b, []byte(body))
			}
		}
	}
	// The dynamic path wraps a field's body in {"<field>": ...} for protojson,
	// which let a body like ["a"],"fInt32":5 set other fields; the direct path
	// reads the field's value alone and refuses it.
	tr := trs[0]
	b, _ := tr.mustMatch(t, "POST", "/body/items")
	if _, err := directRequest(tr, b, &Request{Body: []byte(`[{"name":"a"}],"fInt32":5`)}); err == nil {
		t.Error(`got no error for a field body that sets another field, want one`)
	}
}

// compareRequestSkippingWrapQuirk is compareRequest, except for field
// bodies that close the dynamic path's wrapping object (see above).
func compareRequestSkippingWrapQuirk(t *testing.T, tr *Transcoder, b *binding, body []byte) {
	t.Helper()
	if b.body != nil && wrapEscapes(body) {
		return
	}
	compareRequest(t, tr, b, body)
}

// wrapEscapes reports whether a field body read inside {"f": body} is more
// than one value: the dynamic path then reads other members or tokens.
func wrapEscapes(body []byte) bool {
	r := jsonReader{in: body}
	if err := r.skip(recursionLimit); err != nil {
		return true // the dynamic path's error may then differ in kind; both refuse below
	}
	return r.peek() != kindEOF
}

// FuzzDirectRequest: any body, for any route, decodes the same both ways.
//
//	go test -run '^$' -fuzz FuzzDirectRequest -fuzztime 10m ./pkg/transcode
func FuzzDirectRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"fInt32":1,"nested":{"name":"x"},"meta":{"a":[1,null]}}`, `{"counts":{"a":1}}`, `[1]`, `"x"`} {
		for i := range 3 {
			f.Add([]byte(s), uint8(i))
		}
	}
	trs := diffTranscoders(f)
	var all []*binding
	var owners []*Transcoder
	for tr, bs := range directBindings(trs) {
		for _, b := range bs {
			all, owners = append(all, b), append(owners, tr)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, route uint8) {
		i := int(route) % len(all)
		compareRequestSkippingWrapQuirk(t, owners[i], all[i], body)
	})
}

// FuzzDirectAnswer: any bytes from a backend, for any route, answer the
// same JSON both ways, or fail both ways.
//
//	go test -run '^$' -fuzz FuzzDirectAnswer -fuzztime 10m ./pkg/transcode
func FuzzDirectAnswer(f *testing.F) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	trs := diffTranscoders(f)
	var all []*binding
	var owners []*Transcoder
	for tr, bs := range directBindings(trs) {
		for _, b := range bs {
			all, owners = append(all, b), append(owners, tr)
		}
	}
	for i, b := range all {
		if i%5 == 0 {
			wire, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(g.message(b.method.Output(), 2))
			f.Add(wire, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, wire []byte, route uint8) {
		i := int(route) % len(all)
		compareAnswer(t, owners[i], all[i], wire)
	})
}

// TestDirectAnswerErrors: values protojson cannot write are errors on the
// direct path too.
func TestDirectAnswerErrors(t *testing.T) {
	tr := diffTranscoders(t)[0]
	b, _ := tr.mustMatch(t, "POST", "/v1/echo")
	msg := func(s string) []byte {
		m := text(t, b, true, s)
		wire, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return wire
	}
	tests := map[string][]byte{
		"timestamp out of range":    msg(`at{seconds:253402300800}`),
		"timestamp nanos negative":  msg(`at{nanos:-1}`),
		"duration signs differ":     msg(`took{seconds:1 nanos:-1}`),
		"duration out of range":     msg(`took{seconds:315576000001}`),
		"value without kind":        msg(`value{}`),
		"value NaN":                 msg(`value{number_value:nan}`),
		"struct value without kind": msg(`meta{fields{key:"a" value{}}}`),
		"field mask not reversible": msg(`mask{paths:["a_1"]}`),
		"field mask invalid path":   msg(`mask{paths:["a b"]}`),
		"invalid UTF-8 in a string": append(msg(``), protowire.AppendString(protowire.AppendTag(nil, 14, protowire.BytesType), "\xff")...),
	}
	for name, wire := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := tr.answer(b, wire); err == nil {
				t.Fatalf("got no error, want one")
			}
			compareAnswer(t, tr, b, wire)
		})
	}
}

// TestCodecSurvivesDecoderPanic: a map entry whose key comes again with
// another wire type panics protobuf-go's reflective decoder, which the
// dynamic path uses; the codec turns that into an error, and the direct path
// reads the entry as proto.Unmarshal reads any field of the wrong wire type
// (as unknown, so the first key stands).
func TestCodecSurvivesDecoderPanic(t *testing.T) {
	tr := diffTranscoders(t)[0]
	b, _ := tr.mustMatch(t, "POST", "/v1/echo")
	var entry []byte
	entry = protowire.AppendString(protowire.AppendTag(entry, 1, protowire.BytesType), "a")
	entry = protowire.AppendVarint(protowire.AppendTag(entry, 1, protowire.VarintType), 7) // the key again, as a varint
	entry = protowire.AppendVarint(protowire.AppendTag(entry, 2, protowire.VarintType), 3)
	wire := protowire.AppendBytes(protowire.AppendTag(nil, 22, protowire.BytesType), entry) // counts: map<string, int32>
	if _, err := dynamicAnswer(tr, b, wire); !errors.Is(err, errUnmarshalPanic) {
		t.Fatalf("dynamic path: got %v, want an error wrapping errUnmarshalPanic", err)
	}
	got, err := tr.answer(b, wire)
	if err != nil || string(got) != `{"counts":{"a":3}}` {
		t.Fatalf("direct path: got %s, %v, want {\"counts\":{\"a\":3}}", got, err)
	}
}

// TestDirectDeepAndLarge: lengths that need several bytes at every level of
// a deep message, both ways. Requests: nested messages 300 levels deep around
// a 70 KB string, so that every level's length is a fixup laid out once at
// the end. Answers: each level of a 100-level message sent in two
// occurrences, which proto.Unmarshal merges, read as parts rather than
// copied together at every level.
func TestDirectDeepAndLarge(t *testing.T) {
	tr := diffTranscoders(t)[0]
	b, _ := tr.mustMatch(t, "POST", "/v1/echo")
	big := strings.Repeat("é", 35000)
	body := `{"nested":` + strings.Repeat(`{"count":1,"child":`, 300) + `{"name":"` + big + `"}` + strings.Repeat(`}`, 300) + `}`
	compareRequest(t, tr, b, []byte(body))
	got, err := directRequest(tr, b, &Request{Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	m := got.ProtoReflect().Get(b.method.Input().Fields().ByName("nested")).Message()
	for range 300 {
		m = m.Get(m.Descriptor().Fields().ByName("child")).Message()
	}
	if name := m.Get(m.Descriptor().Fields().ByName("name")).String(); name != big {
		t.Fatalf("got a name of %d bytes at the bottom, want %d", len(name), len(big))
	}

	// Nested{name, child} 100 levels deep, each level's child in two parts:
	// the first holds count, the second the rest.
	level := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), strings.Repeat("x", 200))
	for range 100 {
		first := protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 7))
		second := protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), level)
		level = append(first, second...)
	}
	wire := protowire.AppendBytes(protowire.AppendTag(nil, 17, protowire.BytesType), level)
	compareAnswer(t, tr, b, wire)
}
