package transcode

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/portico-gw/portico/pkg/transcode/protoset"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

const testService = "portico.transcode.test.v1.TestService"

// newTestTranscoder builds a Transcoder over testdata/test.binpb whose
// backend is never called: these tests exercise decode and encode alone.
func newTestTranscoder(t testing.TB, cfg Config) *Transcoder {
	t.Helper()
	set, err := os.ReadFile("testdata/test.binpb")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(set)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := d.Routes(testService)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Service = "test-service"
	cfg.Descriptors = d
	cfg.Routes = append(routes, cfg.Routes...)
	cfg.Resolver = ResolverFunc(func(context.Context, string) (string, error) {
		t.Error("got a backend call, want none")
		return "", context.Canceled
	})
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// text parses protobuf text format into a new message of the binding's
// request (or response, when out is set) type.
func text(t *testing.T, b *binding, out bool, s string) *dynamicpb.Message {
	t.Helper()
	md := b.method.Input()
	if out {
		md = b.method.Output()
	}
	m := dynamicpb.NewMessage(md)
	if err := prototext.Unmarshal([]byte(s), m); err != nil {
		t.Fatalf("test case: %v", err)
	}
	return m
}

func (tr *Transcoder) mustMatch(t *testing.T, method, path string) (*binding, []string) {
	t.Helper()
	b, values, st := tr.match(method, path)
	if st != nil {
		t.Fatalf("%s %s: got %v, want a route", method, path, st.Err())
	}
	return b, values
}

// TestDecode proves JSON bodies, path variables and query parameters become
// the request message protojson and google.api.http say they should.
func TestDecode(t *testing.T) {
	tr := newTestTranscoder(t, Config{Routes: []Route{
		{Method: "POST", Path: "/v1/lenient", RPC: testService + "/Echo", Body: "*", AllowUnknownFields: true},
		{Method: "POST", Path: "/v1/tags", RPC: testService + "/Echo", Body: "tags"},
		{Method: "POST", Path: "/v1/at", RPC: testService + "/Echo", Body: "at"},
	}})
	tests := []struct {
		name         string
		method, path string
		query        string
		body         string
		want         string // text format
	}{
		{
			name: "scalars by JSON name", method: "POST", path: "/v1/echo",
			body: `{"fDouble":1.5,"fFloat":2.5,"fInt32":-3,"fInt64":"4","fUint32":5,"fUint64":"6","fSint32":-7,"fSint64":"-8",
				"fFixed32":9,"fFixed64":"10","fSfixed32":-11,"fSfixed64":"-12","fBool":true,"fString":"héllo","fBytes":"AQI="}`,
			want: `f_double:1.5 f_float:2.5 f_int32:-3 f_int64:4 f_uint32:5 f_uint64:6 f_sint32:-7 f_sint64:-8
				f_fixed32:9 f_fixed64:10 f_sfixed32:-11 f_sfixed64:-12 f_bool:true f_string:"héllo" f_bytes:"\x01\x02"`,
		},
		{
			name: "proto names, 64-bit integers as numbers", method: "POST", path: "/v1/echo",
			body: `{"f_int32":3,"f_int64":4,"f_string":"x","f_bytes":"_-8"}`,
			want: `f_int32:3 f_int64:4 f_string:"x" f_bytes:"\xff\xef"`,
		},
		{
			name: "special floats", method: "POST", path: "/v1/echo",
			body: `{"fDouble":"Infinity","fFloat":"-Infinity"}`,
			want: `f_double:inf f_float:-inf`,
		},
		{
			name: "enums by name and number", method: "POST", path: "/v1/echo",
			body: `{"color":"COLOR_RED","colors":["COLOR_GREEN",1,7]}`,
			want: `color:COLOR_RED colors:[COLOR_GREEN,COLOR_RED,7]`,
		},
		{
			name: "nested and repeated", method: "POST", path: "/v1/echo",
			body: `{"nested":{"name":"a","child":{"count":2}},"numbers":[1,2,3],"tags":["x","y"],"items":[{"name":"i"},{}]}`,
			want: `nested{name:"a" child{count:2}} numbers:[1,2,3] tags:["x","y"] items:[{name:"i"},{}]`,
		},
		{
			name: "maps", method: "POST", path: "/v1/echo",
			body: `{"counts":{"a":1,"b":2},"byId":{"7":{"name":"seven"},"-1":{}}}`,
			want: `counts{key:"a" value:1} counts{key:"b" value:2} by_id{key:7 value{name:"seven"}} by_id{key:-1 value{}}`,
		},
		{name: "oneof string", method: "POST", path: "/v1/echo", body: `{"text":"t"}`, want: `text:"t"`},
		{name: "oneof message", method: "POST", path: "/v1/echo", body: `{"nestedChoice":{"name":"n"}}`, want: `nested_choice{name:"n"}`},
		{
			name: "well-known types", method: "POST", path: "/v1/echo",
			body: `{"at":"2024-01-02T03:04:05.500Z","took":"1.5s","wInt64":"9","wString":"s","wBool":false,"wDouble":2.5,
				"meta":{"k":[1,"two",null,{"x":true}]},"value":"v","list":[1,"a"],"mask":"fInt32,nested.name"}`,
			want: `at{seconds:1704164645 nanos:500000000} took{seconds:1 nanos:500000000} w_int64{value:9} w_string{value:"s"} w_bool{}
				w_double{value:2.5} meta{fields{key:"k" value{list_value{values:[{number_value:1},{string_value:"two"},{null_value:NULL_VALUE},
				{struct_value{fields{key:"x" value{bool_value:true}}}}]}}}} value{string_value:"v"}
				list{values:[{number_value:1},{string_value:"a"}]} mask{paths:["f_int32","nested.name"]}`,
		},
		{name: "optional set to its zero value", method: "POST", path: "/v1/echo", body: `{"maybe":""}`, want: `maybe:""`},
		{name: "null leaves a field unset", method: "POST", path: "/v1/echo", body: `{"nested":null,"fInt32":null}`, want: ``},
		{name: "empty body", method: "POST", path: "/v1/echo", body: ``, want: ``},
		{name: "unknown fields allowed by the route", method: "POST", path: "/v1/lenient", body: `{"bogus":1,"fInt32":2,"nested":{"nmae":"x"}}`, want: `f_int32:2 nested{}`},
		{name: "query ignored with body *", method: "POST", path: "/v1/echo", query: "fInt32=5", body: `{}`, want: ``},
		{
			name: "path variables", method: "GET", path: "/v1/echo/abc/def",
			want: `f_string:"abc" nested{name:"def"}`,
		},
		{
			name: "path variables percent-decoded", method: "GET", path: "/v1/echo/a%20b/c%2Fd",
			want: `f_string:"a b" nested{name:"c/d"}`,
		},
		{
			name: "multi-segment variable", method: "GET", path: "/v1/shelves/1/books/2",
			want: `name:"shelves/1/books/2"`,
		},
		{
			name: "multi-segment variable keeps %2F", method: "GET", path: "/v1/shelves/1/books/a%2Fb%20c",
			want: `name:"shelves/1/books/a%2Fb c"`,
		},
		{
			name: "query parameters of every kind", method: "GET", path: "/v1/echo/x/y",
			query: "fInt32=5&f_int64=-6&fUint64=7&fBool=true&fDouble=2.5&tags=a&tags=b&color=COLOR_RED&colors=1&colors=COLOR_GREEN" +
				"&nested.count=3&at=2024-01-02T03:04:05Z&took=2s&wInt64=7&w_bool=true&wString=s&mask=fInt32,nested.name&fBytes=AQI&maybe=" +
				"&fString=ignored-path-wins&bogus=ignored",
			want: `f_string:"x" nested{name:"y" count:3} f_int32:5 f_int64:-6 f_uint64:7 f_bool:true f_double:2.5 tags:["a","b"]
				color:COLOR_RED colors:[COLOR_RED,COLOR_GREEN] at{seconds:1704164645} took{seconds:2} w_int64{value:7} w_bool{value:true}
				w_string{value:"s"} mask{paths:["f_int32","nested.name"]} f_bytes:"\x01\x02" maybe:""`,
		},
		{
			name: "query on a route without body", method: "GET", path: "/v1/shelves/1/books/2",
			query: "missing=true", want: `name:"shelves/1/books/2" missing:true`,
		},
		{
			name: "body field repeated, path int64", method: "PUT", path: "/v1/echo/7/items",
			query: "fString=q&items.name=ignored", body: `[{"name":"a"},{"count":2}]`,
			want: `f_int64:7 items:[{name:"a"},{count:2}] f_string:"q"`,
		},
		{
			name: "body field message, verb", method: "POST", path: "/v1/echo/s:nested",
			body: `{"name":"n","child":{}}`, want: `f_string:"s" nested{name:"n" child{}}`,
		},
		{name: "body field empty list", method: "PUT", path: "/v1/echo/7/items", body: `[]`, want: `f_int64:7`},
		{name: "body field scalar list", method: "POST", path: "/v1/tags", body: `["a","b"]`, want: `tags:["a","b"]`},
		{name: "body field well-known type", method: "POST", path: "/v1/at", body: `"1970-01-01T00:00:01Z"`, want: `at{seconds:1}`},
		{
			name: "body field and path variable", method: "PATCH", path: "/v1/things/t1",
			query: "updateMask=name,count", body: `{"name":"n"}`,
			want: `id:"t1" thing{name:"n"} update_mask{paths:["name","count"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, values := tr.mustMatch(t, tt.method, tt.path)
			query, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req := &Request{Method: tt.method, Path: tt.path, Query: query, Body: []byte(tt.body)}
			want := text(t, b, false, tt.want)
			for path, decode := range decoders(tr, b) {
				got, err := decode(values, req)
				if err != nil {
					t.Fatalf("%s: got error %v, want none", path, err)
				}
				if !proto.Equal(got, want) {
					t.Fatalf("%s: got %v, want %v", path, prototext.Format(got), prototext.Format(want))
				}
			}
		})
	}
}

// TestDecodeErrors proves malformed JSON, unknown fields and type
// mismatches are refused with messages that name the problem (the
// Transcoder answers them with 400).
func TestDecodeErrors(t *testing.T) {
	tr := newTestTranscoder(t, Config{})
	tests := []struct {
		name         string
		method, path string
		query, body  string
		want         []string // in the message
	}{
		{"truncated JSON", "POST", "/v1/echo", "", `{"fInt32": `, []string{"invalid JSON body", "unexpected EOF"}},
		{"not JSON", "POST", "/v1/echo", "", `fInt32=1`, []string{"invalid JSON body", "invalid value fInt32"}},
		{"top-level array", "POST", "/v1/echo", "", `[1]`, []string{"invalid JSON body", "unexpected token ["}},
		{"trailing garbage", "POST", "/v1/echo", "", `{} {}`, []string{"invalid JSON body", "unexpected token {"}},
		{"unknown field", "POST", "/v1/echo", "", `{"fInt32":1,"bogus":1}`, []string{`unknown field "bogus"`}},
		{"unknown nested field", "POST", "/v1/echo", "", `{"nested":{"nmae":"x"}}`, []string{`unknown field "nmae"`}},
		{"string for int32", "POST", "/v1/echo", "", `{"fInt32":"abc"}`, []string{"invalid value for int32 field fInt32", `"abc"`}},
		{"int32 overflow", "POST", "/v1/echo", "", `{"fInt32":3000000000}`, []string{"invalid value for int32 field fInt32"}},
		{"fraction for int64", "POST", "/v1/echo", "", `{"fInt64":1.5}`, []string{"invalid value for int64 field fInt64"}},
		{"string for bool", "POST", "/v1/echo", "", `{"fBool":"yes"}`, []string{"invalid value for bool field fBool"}},
		{"bad base64", "POST", "/v1/echo", "", `{"fBytes":"***"}`, []string{"invalid value for bytes field fBytes"}},
		{"unknown enum name", "POST", "/v1/echo", "", `{"color":"COLOR_PURPLE"}`, []string{"invalid value for enum field color", "COLOR_PURPLE"}},
		{"number for repeated", "POST", "/v1/echo", "", `{"numbers":5}`, []string{"unexpected token 5"}},
		{"string for message", "POST", "/v1/echo", "", `{"nested":"x"}`, []string{`unexpected token "x"`}},
		{"bad timestamp", "POST", "/v1/echo", "", `{"at":"yesterday"}`, []string{"invalid google.protobuf.Timestamp value"}},
		{"bad duration", "POST", "/v1/echo", "", `{"took":"5 minutes"}`, []string{"invalid google.protobuf.Duration value"}},
		{"two oneof members", "POST", "/v1/echo", "", `{"text":"a","number":"1"}`, []string{"oneof", "already set"}},
		{"duplicate field", "POST", "/v1/echo", "", `{"fInt32":1,"f_int32":2}`, []string{"duplicate field"}},
		{"body on a route without body", "GET", "/v1/echo/a/b", "", `{"fInt32":1}`, []string{"takes no request body"}},
		{"body field of the wrong type", "PUT", "/v1/echo/7/items", "", `{"name":"a"}`, []string{`invalid JSON body for field "items"`}},
		{"path variable of the wrong type", "PUT", "/v1/echo/seven/items", "", `[]`, []string{`path parameter "f_int64"`, `invalid value "seven" for int64 field f_int64`}},
		{"query of the wrong type", "GET", "/v1/echo/a/b", "fInt32=abc", "", []string{`query parameter "fInt32"`, `invalid value "abc" for int32 field f_int32`}},
		{"query enum unknown", "GET", "/v1/echo/a/b", "color=PURPLE", "", []string{`invalid value "PURPLE" for portico.transcode.test.v1.Color field color`}},
		{"query bad timestamp", "GET", "/v1/echo/a/b", "at=yesterday", "", []string{`invalid value "yesterday" for google.protobuf.Timestamp field at`}},
		{"query bad wrapper", "GET", "/v1/echo/a/b", "wBool=maybe", "", []string{`invalid value "maybe" for google.protobuf.BoolValue field w_bool`}},
		{"query singular twice", "GET", "/v1/echo/a/b", "fInt32=1&fInt32=2", "", []string{"not repeated but has 2 values"}},
		{"query map", "GET", "/v1/echo/a/b", "counts=1", "", []string{"map field counts cannot be set"}},
		{"query message", "GET", "/v1/echo/a/b", "meta=1", "", []string{"message field meta cannot be set"}},
		{"query two oneof members", "GET", "/v1/echo/a/b", "text=x&number=1", "", []string{"both members of oneof choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, values := tr.mustMatch(t, tt.method, tt.path)
			query, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req := &Request{Method: tt.method, Path: tt.path, Query: query, Body: []byte(tt.body)}
			for path, decode := range decoders(tr, b) {
				_, err = decode(values, req)
				if err == nil {
					t.Fatalf("%s: got no error, want one with %q", path, tt.want)
				}
				msg := strings.ReplaceAll(err.Error(), "\u00a0", " ")
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Fatalf("%s: got error %q, want it to contain %q", path, msg, w)
					}
				}
			}
		})
	}
}

// TestEncode proves response messages become the JSON protojson writes,
// with the Config's naming options and the route's ResponseBody.
func TestEncode(t *testing.T) {
	extra := []Route{
		{Method: "GET", Path: "/v1/tags/{id}", RPC: testService + "/Update", ResponseBody: "tags"},
	}
	plain := newTestTranscoder(t, Config{Routes: extra})
	protoNames := newTestTranscoder(t, Config{Routes: extra, UseProtoNames: true})
	unpopulated := newTestTranscoder(t, Config{Routes: extra, EmitUnpopulated: true})
	tests := []struct {
		name         string
		tr           *Transcoder
		method, path string
		msg          string // text format of the response
		want         string // JSON
	}{
		{
			name: "scalars", tr: plain, method: "POST", path: "/v1/echo",
			msg:  `f_double:1.5 f_float:-2 f_int32:-3 f_int64:4 f_uint64:18446744073709551615 f_bool:true f_string:"é" f_bytes:"\x01\x02"`,
			want: `{"fDouble":1.5,"fFloat":-2,"fInt32":-3,"fInt64":"4","fUint64":"18446744073709551615","fBool":true,"fString":"é","fBytes":"AQI="}`,
		},
		{name: "special floats", tr: plain, method: "POST", path: "/v1/echo", msg: `f_double:nan f_float:inf`, want: `{"fDouble":"NaN","fFloat":"Infinity"}`},
		{name: "enums, unknown number kept", tr: plain, method: "POST", path: "/v1/echo", msg: `color:COLOR_GREEN colors:[COLOR_RED,9]`, want: `{"color":"COLOR_GREEN","colors":["COLOR_RED",9]}`},
		{
			name: "nested, repeated and maps", tr: plain, method: "POST", path: "/v1/echo",
			msg:  `nested{name:"a" child{count:2}} numbers:[1,2] items:[{name:"i"},{}] counts{key:"a" value:1} by_id{key:7 value{name:"s"}}`,
			want: `{"nested":{"name":"a","child":{"count":2}},"numbers":[1,2],"items":[{"name":"i"},{}],"counts":{"a":1},"byId":{"7":{"name":"s"}}}`,
		},
		{name: "oneof", tr: plain, method: "POST", path: "/v1/echo", msg: `number:5`, want: `{"number":"5"}`},
		{
			name: "well-known types", tr: plain, method: "POST", path: "/v1/echo",
			msg: `at{seconds:1704164645 nanos:500000000} took{seconds:1 nanos:500000000} w_int64{value:9} w_bool{} w_string{value:"s"}
				meta{fields{key:"k" value{list_value{values:[{number_value:1},{null_value:NULL_VALUE}]}}}} value{bool_value:true}
				list{values:[{string_value:"a"}]} mask{paths:["f_int32","nested.name"]}`,
			want: `{"at":"2024-01-02T03:04:05.500Z","took":"1.500s","wInt64":"9","wBool":false,"wString":"s",
				"meta":{"k":[1,null]},"value":true,"list":["a"],"mask":"fInt32,nested.name"}`,
		},
		{name: "optional zero value", tr: plain, method: "POST", path: "/v1/echo", msg: `maybe:""`, want: `{"maybe":""}`},
		{name: "empty message", tr: plain, method: "POST", path: "/v1/echo", msg: ``, want: `{}`},
		{name: "proto names", tr: protoNames, method: "POST", path: "/v1/echo", msg: `f_int32:1 w_int64{value:2} by_id{key:1 value{}}`, want: `{"f_int32":1,"w_int64":"2","by_id":{"1":{}}}`},
		{
			name: "unpopulated fields", tr: unpopulated, method: "PATCH", path: "/v1/things/x",
			msg: ``, want: `{"name":"","count":0,"child":null}`,
		},
		{name: "response body message field", tr: plain, method: "PATCH", path: "/v1/things/x", msg: `thing{name:"a"} tags:["x"]`, want: `{"name":"a"}`},
		{name: "response body message field unset", tr: plain, method: "PATCH", path: "/v1/things/x", msg: `tags:["x"]`, want: `{}`},
		{name: "response body repeated field", tr: plain, method: "GET", path: "/v1/tags/x", msg: `thing{name:"a"} tags:["x","y"]`, want: `["x","y"]`},
		{name: "response body repeated field empty", tr: plain, method: "GET", path: "/v1/tags/x", msg: `thing{name:"a"}`, want: `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := tt.tr.mustMatch(t, tt.method, tt.path)
			for path, encode := range encoders(tt.tr, b) {
				got, err := encode(text(t, b, true, tt.msg))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				assertJSON(t, got, tt.want)
			}
		})
	}
}

// decoders are the two ways a request becomes the request message: through
// a dynamic message (decode) and, when the type takes it, the direct path
// (request, JSON straight to the wire format), read back into a message.
func decoders(tr *Transcoder, b *binding) map[string]func([]string, *Request) (*dynamicpb.Message, error) {
	paths := map[string]func([]string, *Request) (*dynamicpb.Message, error){
		"dynamic": func(values []string, req *Request) (*dynamicpb.Message, error) { return tr.decode(b, values, req) },
	}
	if b.in != nil {
		paths["direct"] = func(values []string, req *Request) (*dynamicpb.Message, error) {
			wire, err := tr.request(b, values, req)
			if err != nil {
				return nil, err
			}
			m := dynamicpb.NewMessage(b.method.Input())
			return m, proto.Unmarshal(wire, m)
		}
	}
	return paths
}

// encoders are the two ways a response message becomes JSON: encode from a
// dynamic message and, when the type takes it, the direct path (answer, from
// the wire format).
func encoders(tr *Transcoder, b *binding) map[string]func(*dynamicpb.Message) ([]byte, error) {
	paths := map[string]func(*dynamicpb.Message) ([]byte, error){
		"dynamic": func(m *dynamicpb.Message) ([]byte, error) { return tr.encode(b, m) },
	}
	if b.out != nil {
		paths["direct"] = func(m *dynamicpb.Message) ([]byte, error) {
			wire, err := proto.Marshal(m)
			if err != nil {
				return nil, err
			}
			return tr.answer(b, wire)
		}
	}
	return paths
}

// assertJSON compares JSON documents by value: protojson varies its
// whitespace on purpose.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("test case: invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// BenchmarkTranslate measures translation alone for the 1 KB payload: JSON
// → request in the wire format, then response in the wire format → JSON,
// as a call does on both sides of the backend. "direct" is the
// Transcoder's path for types that take it (plan.go: no message in
// between); "dynamic" is the path through protojson and dynamicpb, which the
// Transcoder took for every type before and still takes for the types the
// direct path does not handle. Each round of -count runs both.
func BenchmarkTranslate(b *testing.B) {
	body, err := os.ReadFile("testdata/payload-1k.json")
	if err != nil {
		b.Fatal(err)
	}
	tr := newTestTranscoder(b, Config{})
	bd, values, st := tr.match("POST", "/v1/echo")
	if st != nil {
		b.Fatal(st.Err())
	}
	if bd.in == nil || bd.out == nil {
		b.Fatal("got the dynamic path for the test service, want the direct one")
	}
	req := &Request{Method: "POST", Path: "/v1/echo", Body: body}
	b.Run("path=dynamic", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			in, err := tr.decode(bd, values, req)
			if err != nil {
				b.Fatal(err)
			}
			wire, err := codec{}.Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			out := dynamicpb.NewMessage(bd.method.Output())
			if err := (codec{}).Unmarshal(wire, out); err != nil {
				b.Fatal(err)
			}
			if _, err := tr.encode(bd, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=direct", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			wire, err := tr.request(bd, values, req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.answer(bd, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRequiredFields proves proto2 required fields are still enforced
// although the codec and protojson skip the check: a request missing one is
// refused before any call, one with it passes.
func TestRequiredFields(t *testing.T) {
	src := fstest.MapFS{"req.proto": {Data: []byte(`syntax = "proto2";
package req.v1;
message Inner { required string id = 1; }
message Outer { optional Inner inner = 1; optional string note = 2; }
service S { rpc Call(Outer) returns (Outer); }`)}}
	set, err := protoset.Compile(context.Background(), src, "req.proto")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(set)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{
		Service: "s", Descriptors: d,
		Routes:   []Route{{Method: "POST", Path: "/call", RPC: "req.v1.S/Call", Body: "*"}},
		Resolver: ResolverFunc(func(context.Context, string) (string, error) { return "", context.Canceled }),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, values := tr.mustMatch(t, "POST", "/call")
	if !b.checkIn {
		t.Fatal("got no required-field check for req.v1.Outer, want one")
	}
	if _, err := tr.decode(b, values, &Request{Body: []byte(`{"inner":{}}`)}); err == nil || !strings.Contains(err.Error(), "req.v1.Inner.id") {
		t.Fatalf("got error %v, want one naming req.v1.Inner.id", err)
	}
	if _, err := tr.decode(b, values, &Request{Body: []byte(`{"inner":{"id":"x"}}`)}); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if bd, _ := newTestTranscoder(t, Config{}).mustMatch(t, "POST", "/v1/echo"); bd.checkIn {
		t.Fatal("got a required-field check for a proto3 message, want none")
	}
}
