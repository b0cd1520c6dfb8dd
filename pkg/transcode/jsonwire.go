package transcode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// recursionLimit bounds message nesting, as protojson's and proto's
// default does.
const recursionLimit = protowire.DefaultRecursionLimit

var errRecursion = errors.New("exceeded max recursion depth")

// jsonWire reads JSON as protojson.Unmarshal would into a message of a plan,
// and writes the protobuf wire format of that message instead.
type jsonWire struct {
	r       jsonReader
	discard bool // unknown fields and enum names are ignored (DiscardUnknown)
	types   protoregistry.ExtensionTypeResolver
	scratch []byte
	keys    []string                    // map keys seen, for duplicates (from each map's mark)
	keySet  map[int]map[string]struct{} // by mark, for maps of many keys
	fixups  []fixup                     // lengths of 128 bytes or more, laid out by finish
	grown   int                         // bytes the fixups add
}

// reset readies w for a request body, keeping its scratch.
func (w *jsonWire) reset(body []byte, discard bool, types protoregistry.ExtensionTypeResolver) {
	clear(w.keys[:cap(w.keys)])
	*w = jsonWire{r: jsonReader{in: body, buf: w.r.buf[:0]}, discard: discard, types: types,
		scratch: w.scratch[:0], keys: w.keys[:0], fixups: w.fixups[:0]}
}

// appendMessage reads one JSON value for a message of p, the whole input,
// and appends the message's wire format to b.
func (w *jsonWire) appendMessage(b []byte, p *msgPlan) ([]byte, error) {
	b, err := w.message(b, p, recursionLimit)
	if err != nil {
		return nil, err
	}
	return w.finish(b), w.end()
}

// appendField reads one JSON value for field fp, the whole input, and
// appends the field's wire format to b: what protojson makes of
// {"<field>": <input>}, without letting the input reach other fields.
func (w *jsonWire) appendField(b []byte, fp *fieldPlan) ([]byte, error) {
	var err error
	switch {
	case fp.msg != nil && !fp.list:
		// Decoded as the top-level message, as the dynamic path does.
		b = protowire.AppendTag(b, fp.num, protowire.BytesType)
		var m lenMark
		b, m = w.beginLen(b)
		if b, err = w.message(b, fp.msg, recursionLimit); err == nil {
			b = w.endLen(b, m)
		}
	case w.r.peek() == kindNull && !fp.keepNull:
		err = w.r.literal()
	case fp.list:
		b, err = w.list(b, fp, recursionLimit-1)
	case fp.isMap:
		b, err = w.entries(b, fp.num, fp.key, fp.val, recursionLimit-1)
	default:
		b, err = w.singular(b, fp, recursionLimit-1)
	}
	if err != nil {
		return nil, err
	}
	return w.finish(b), w.end()
}

// end checks nothing but whitespace follows.
func (w *jsonWire) end() error {
	if w.r.peek() != kindEOF {
		return w.r.unexpected()
	}
	return nil
}

// A length-delimited value (a message, a packed list, a map entry) is
// written after a one-byte placeholder for its length, which takes the length
// when it is under 128 (most are). A longer one needs more bytes: rather
// than move what follows the placeholder (for nested values, once per level:
// quadratic in the depth), its length is kept as a fixup and the whole
// encoding is laid out once at the end (finish), every length counting the
// bytes its inner fixups will add.

// lenMark is where a length-delimited value started.
type lenMark struct {
	start int // the value's first byte, after the placeholder
	grown int // w.grown then
}

// fixup is a length to write in place of a placeholder.
type fixup struct {
	at, n int // the placeholder's offset; the length
}

func (w *jsonWire) beginLen(b []byte) ([]byte, lenMark) {
	return append(b, 0), lenMark{start: len(b) + 1, grown: w.grown}
}

func (w *jsonWire) endLen(b []byte, m lenMark) []byte {
	n := len(b) - m.start + w.grown - m.grown
	if n < 0x80 {
		b[m.start-1] = byte(n)
		return b
	}
	w.fixups = append(w.fixups, fixup{at: m.start - 1, n: n})
	w.grown += protowire.SizeVarint(uint64(n)) - 1
	return b
}

// finish lays out b with the lengths kept as fixups.
func (w *jsonWire) finish(b []byte) []byte {
	if len(w.fixups) == 0 {
		return b
	}
	slices.SortFunc(w.fixups, func(x, y fixup) int { return x.at - y.at })
	out := make([]byte, 0, len(b)+w.grown)
	from := 0
	for _, f := range w.fixups {
		out = append(out, b[from:f.at]...)
		out = protowire.AppendVarint(out, uint64(f.n))
		from = f.at + 1
	}
	return append(out, b[from:]...)
}

// message reads a message of p: its JSON object, or a well-known type's own
// form. depth is what is left of the recursion limit.
func (w *jsonWire) message(b []byte, p *msgPlan, depth int) ([]byte, error) {
	if depth--; depth < 0 {
		return nil, errRecursion
	}
	switch p.wkt {
	case wktTimestamp:
		return w.timestamp(b)
	case wktDuration:
		return w.duration(b)
	case wktWrapper:
		return w.singular(b, p.fields[0], depth)
	case wktStruct:
		return w.structFields(b, p, depth)
	case wktListValue:
		return w.list(b, p.fields[0], depth)
	case wktValue:
		return w.value(b, p, depth)
	case wktFieldMask:
		return w.fieldMask(b)
	}
	if w.r.peek() != kindObject {
		return nil, w.r.unexpected()
	}
	w.r.pos++
	var seenBuf [2]uint64
	seen := bitset(seenBuf[:0])
	var oneofBuf [1]uint64
	oneofs := bitset(oneofBuf[:0])
	for first := true; ; first = false {
		name, raw, namePos, ok, err := w.r.member(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return b, nil
		}
		fp := p.byName[string(name)]
		if p.wkt == wktEmpty {
			fp = nil
		}
		if fp == nil {
			if len(name) > 2 && name[0] == '[' && name[len(name)-1] == ']' && w.types != nil {
				if xt, err := w.types.FindExtensionByName(protoreflect.FullName(name[1 : len(name)-1])); err == nil {
					return nil, w.r.errorAt(namePos, "message %v cannot be extended by %v", p.md.FullName(), xt.TypeDescriptor().FullName())
				} else if !errors.Is(err, protoregistry.NotFound) {
					return nil, w.r.errorAt(namePos, "unable to resolve %s: %v", raw, err)
				}
			}
			if !w.discard {
				return nil, w.r.errorAt(namePos, "unknown field %s", raw)
			}
			if err := w.r.skip(depth); err != nil {
				return nil, err
			}
			continue
		}
		if seen.has(fp.index) {
			return nil, w.r.errorAt(namePos, "duplicate field %s", raw)
		}
		seen = seen.set(fp.index)
		if w.r.peek() == kindNull && !fp.keepNull {
			if err := w.r.literal(); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case fp.list:
			b, err = w.list(b, fp, depth)
		case fp.isMap:
			b, err = w.entries(b, fp.num, fp.key, fp.val, depth)
		default:
			if fp.oneof >= 0 {
				if oneofs.has(fp.oneof) {
					return nil, w.r.errorAt(namePos, "error parsing %s, oneof %v is already set", raw, fp.fd.ContainingOneof().FullName())
				}
				oneofs = oneofs.set(fp.oneof)
			}
			b, err = w.singular(b, fp, depth)
		}
		if err != nil {
			return nil, err
		}
	}
}

// bitset is a set of small integers.
type bitset []uint64

func (s bitset) has(i int) bool { return i/64 < len(s) && s[i/64]&(1<<(i%64)) != 0 }

func (s bitset) set(i int) bitset {
	for len(s) <= i/64 {
		s = append(s, 0)
	}
	s[i/64] |= 1 << (i % 64)
	return s
}

// singular reads the value of a singular field and appends it, tagged; an
// implicit-presence scalar's zero value is left out, as proto.Marshal does.
func (w *jsonWire) singular(b []byte, fp *fieldPlan, depth int) ([]byte, error) {
	if fp.msg != nil {
		b = protowire.AppendTag(b, fp.num, protowire.BytesType)
		b, m := w.beginLen(b)
		b, err := w.message(b, fp.msg, depth)
		if err != nil {
			return nil, err
		}
		return w.endLen(b, m), nil
	}
	mark := len(b)
	b, zero, set, err := w.scalar(b, fp, true)
	if err != nil {
		return nil, err
	}
	if !set || zero && !fp.presence {
		return b[:mark], nil
	}
	return b, nil
}

// scalar reads a scalar or enum value of fp and appends it (with its tag
// when tagged). zero reports the zero value; set is false for an enum name
// discarded as unknown.
func (w *jsonWire) scalar(b []byte, fp *fieldPlan, tagged bool) (_ []byte, zero, set bool, err error) {
	r := &w.r
	r.skipSpace()
	start := r.pos
	kind := r.peek()
	invalid := func() ([]byte, bool, bool, error) {
		r.pos = start
		raw, err := r.token()
		if err != nil {
			return nil, false, false, err
		}
		if raw == "" {
			return nil, false, false, errUnexpectedEOF
		}
		return nil, false, false, r.errorAt(start, "invalid value for %v field %v: %v", fp.kind, fp.jsonName, raw)
	}
	tag := func(t protowire.Type) []byte {
		if tagged {
			return protowire.AppendTag(b, fp.num, t)
		}
		return b
	}
	switch fp.kind {
	case protoreflect.BoolKind:
		if kind != kindTrue && kind != kindFalse {
			return invalid()
		}
		if err := r.literal(); err != nil {
			return nil, false, false, err
		}
		v := kind == kindTrue
		return protowire.AppendVarint(tag(protowire.VarintType), protowire.EncodeBool(v)), !v, true, nil

	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		bits := 64
		if fp.kind == protoreflect.Int32Kind || fp.kind == protoreflect.Sint32Kind || fp.kind == protoreflect.Sfixed32Kind {
			bits = 32
		}
		text, ok, err := w.numberText(kind)
		if err != nil {
			return nil, false, false, err
		}
		if !ok {
			return invalid()
		}
		v, ok := w.parseInt(text, bits)
		if !ok {
			return invalid()
		}
		switch fp.kind {
		case protoreflect.Sint32Kind:
			b = protowire.AppendVarint(tag(protowire.VarintType), protowire.EncodeZigZag(int64(int32(v))))
		case protoreflect.Sint64Kind:
			b = protowire.AppendVarint(tag(protowire.VarintType), protowire.EncodeZigZag(v))
		case protoreflect.Sfixed32Kind:
			b = protowire.AppendFixed32(tag(protowire.Fixed32Type), uint32(v))
		case protoreflect.Sfixed64Kind:
			b = protowire.AppendFixed64(tag(protowire.Fixed64Type), uint64(v))
		default:
			b = protowire.AppendVarint(tag(protowire.VarintType), uint64(v))
		}
		return b, v == 0, true, nil

	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		bits := 64
		if fp.kind == protoreflect.Uint32Kind || fp.kind == protoreflect.Fixed32Kind {
			bits = 32
		}
		text, ok, err := w.numberText(kind)
		if err != nil {
			return nil, false, false, err
		}
		if !ok {
			return invalid()
		}
		v, ok := w.parseUint(text, bits)
		if !ok {
			return invalid()
		}
		switch fp.kind {
		case protoreflect.Fixed32Kind:
			b = protowire.AppendFixed32(tag(protowire.Fixed32Type), uint32(v))
		case protoreflect.Fixed64Kind:
			b = protowire.AppendFixed64(tag(protowire.Fixed64Type), v)
		default:
			b = protowire.AppendVarint(tag(protowire.VarintType), v)
		}
		return b, v == 0, true, nil

	case protoreflect.FloatKind, protoreflect.DoubleKind:
		bits := 64
		if fp.kind == protoreflect.FloatKind {
			bits = 32
		}
		var f float64
		switch kind {
		case kindString:
			s, err := r.str()
			if err != nil {
				return nil, false, false, err
			}
			switch string(s) {
			case "NaN":
				f = math.NaN()
			case "Infinity":
				f = math.Inf(1)
			case "-Infinity":
				f = math.Inf(-1)
			default:
				text, ok := stringNumber(s)
				if !ok {
					return invalid()
				}
				if f, ok = parseJSONFloat(text, bits); !ok {
					return invalid()
				}
			}
		case kindNumber:
			text, err := r.number()
			if err != nil {
				return nil, false, false, err
			}
			var ok bool
			if f, ok = parseJSONFloat(text, bits); !ok {
				return invalid()
			}
		default:
			return invalid()
		}
		if bits == 32 {
			v := math.Float32bits(float32(f))
			return protowire.AppendFixed32(tag(protowire.Fixed32Type), v), v == 0, true, nil
		}
		v := math.Float64bits(f)
		return protowire.AppendFixed64(tag(protowire.Fixed64Type), v), v == 0, true, nil

	case protoreflect.StringKind:
		if kind != kindString {
			return invalid()
		}
		s, err := r.str()
		if err != nil {
			return nil, false, false, err
		}
		return protowire.AppendBytes(tag(protowire.BytesType), s), len(s) == 0, true, nil

	case protoreflect.BytesKind:
		if kind != kindString {
			return invalid()
		}
		s, err := r.str()
		if err != nil {
			return nil, false, false, err
		}
		enc := base64.StdEncoding
		if slices.ContainsFunc(s, func(c byte) bool { return c == '-' || c == '_' }) {
			enc = base64.URLEncoding
		}
		if len(s)%4 != 0 {
			enc = enc.WithPadding(base64.NoPadding)
		}
		dec, derr := enc.AppendDecode(w.scratch[:0], s)
		if derr != nil {
			return invalid()
		}
		w.scratch = dec
		return protowire.AppendBytes(tag(protowire.BytesType), dec), len(dec) == 0, true, nil

	case protoreflect.EnumKind:
		var v int64
		switch kind {
		case kindString:
			s, err := r.str()
			if err != nil {
				return nil, false, false, err
			}
			n, ok := fp.enumNames[string(s)]
			if !ok {
				if w.discard {
					return b, false, false, nil
				}
				return invalid()
			}
			v = int64(n)
		case kindNumber:
			text, err := r.number()
			if err != nil {
				return nil, false, false, err
			}
			n, ok := w.parseInt(text, 32)
			if !ok {
				return invalid()
			}
			v = n
		case kindNull:
			if !fp.nullValue {
				return invalid()
			}
			if err := r.literal(); err != nil {
				return nil, false, false, err
			}
		default:
			return invalid()
		}
		return protowire.AppendVarint(tag(protowire.VarintType), uint64(v)), v == 0, true, nil
	}
	return invalid()
}

// numberText reads a number, or a string holding one as protojson accepts
// it (see stringNumber), and returns the number's text; false when the
// value is neither.
func (w *jsonWire) numberText(kind int) ([]byte, bool, error) {
	r := &w.r
	switch kind {
	case kindNumber:
		text, err := r.number()
		return text, err == nil, err
	case kindString:
		s, err := r.str()
		if err != nil {
			return nil, false, err
		}
		text, ok := stringNumber(s)
		return text, ok, nil
	}
	return nil, false, nil
}

// stringNumber returns the number a JSON string holds as protojson reads
// one: no surrounding space, and the number that starts it up to a
// delimiter ("1 2" reads as 1, as protojson's tokenizer has it).
func stringNumber(s []byte) ([]byte, bool) {
	if len(s) == 0 || len(bytes.TrimSpace(s)) != len(s) {
		return nil, false
	}
	n, ok := scanNumber(s)
	if !ok {
		return nil, false
	}
	return s[:n], true
}

// parseInt and parseUint read a JSON number's text as a whole number of the
// given size (1.0 and 1e2 are whole, 1.5 is not).
func (w *jsonWire) parseInt(text []byte, bits int) (int64, bool) {
	it, ok := plainInt(text)
	if !ok {
		if it, ok = intText(text, w.scratch); !ok {
			return 0, false
		}
		w.scratch = it[:0]
	}
	v, err := strconv.ParseInt(string(it), 10, bits)
	return v, err == nil
}

func (w *jsonWire) parseUint(text []byte, bits int) (uint64, bool) {
	it, ok := plainInt(text)
	if !ok {
		if it, ok = intText(text, w.scratch); !ok {
			return 0, false
		}
		w.scratch = it[:0]
	}
	v, err := strconv.ParseUint(string(it), 10, bits)
	return v, err == nil
}

// plainInt returns text when it is already a whole number in normal form (no
// fraction or exponent).
func plainInt(text []byte) ([]byte, bool) {
	for _, c := range text {
		if c == '.' || c == 'e' || c == 'E' {
			return nil, false
		}
	}
	return text, true
}

func parseJSONFloat(text []byte, bits int) (float64, bool) {
	f, err := strconv.ParseFloat(string(text), bits)
	return f, err == nil
}

// list reads a JSON array for a repeated field.
func (w *jsonWire) list(b []byte, fp *fieldPlan, depth int) ([]byte, error) {
	if w.r.peek() != kindArray {
		return nil, w.r.unexpected()
	}
	w.r.pos++
	packed := fp.packed
	var start lenMark
	mark := len(b)
	if packed {
		b = protowire.AppendTag(b, fp.num, protowire.BytesType)
		b, start = w.beginLen(b)
	}
	n := 0
	for first := true; ; first = false {
		more, err := w.r.element(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		switch {
		case fp.msg != nil:
			b = protowire.AppendTag(b, fp.num, protowire.BytesType)
			var m lenMark
			b, m = w.beginLen(b)
			if b, err = w.message(b, fp.msg, depth); err != nil {
				return nil, err
			}
			b = w.endLen(b, m)
			n++
		default:
			var set bool
			if b, _, set, err = w.scalar(b, fp, !packed); err != nil {
				return nil, err
			}
			if set {
				n++
			}
		}
	}
	if packed {
		if n == 0 {
			return b[:mark], nil // an empty packed value is nothing: no fixup can be inside it
		}
		b = w.endLen(b, start)
	}
	return b, nil
}

// entries reads a JSON object as the entries of a map field numbered num
// (or of a Struct's fields), each member one entry.
func (w *jsonWire) entries(b []byte, num protowire.Number, key, val *fieldPlan, depth int) ([]byte, error) {
	if w.r.peek() != kindObject {
		return nil, w.r.unexpected()
	}
	w.r.pos++
	keysMark := len(w.keys)
	w.keys = append(w.keys, "") // a mark of its own, even for an empty map
	keysMark++
	defer func() {
		delete(w.keySet, keysMark)
		w.keys = w.keys[:keysMark-1]
	}()
	for first := true; ; first = false {
		name, raw, namePos, ok, err := w.r.member(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return b, nil
		}
		norm, ok := mapKey(name, key.kind)
		if !ok {
			return nil, w.r.errorAt(namePos, "invalid value for %v key: %s", key.kind, raw)
		}
		if w.hasKey(keysMark, norm) {
			return nil, w.r.errorAt(namePos, "duplicate map key %s", raw)
		}
		mark := len(b)
		b = protowire.AppendTag(b, num, protowire.BytesType)
		var start lenMark
		b, start = w.beginLen(b)
		b = appendKey(b, key, norm)
		set := true
		if val.msg != nil {
			b = protowire.AppendTag(b, 2, protowire.BytesType)
			var m lenMark
			b, m = w.beginLen(b)
			if b, err = w.message(b, val.msg, depth); err != nil {
				return nil, err
			}
			b = w.endLen(b, m)
		} else if b, _, set, err = w.scalar(b, val, true); err != nil {
			return nil, err
		}
		if !set { // an enum name discarded: no entry, as protojson has it
			b = b[:mark]
			continue
		}
		b = w.endLen(b, start)
		w.addKey(keysMark, norm)
	}
}

// hasKey and addKey keep the keys of the map being read from mark on: in a
// slice while there are few, in a set beyond.
func (w *jsonWire) hasKey(mark int, k string) bool {
	if set := w.keySet[mark]; set != nil {
		_, ok := set[k]
		return ok
	}
	return slices.Contains(w.keys[mark:], k)
}

func (w *jsonWire) addKey(mark int, k string) {
	if set := w.keySet[mark]; set != nil {
		set[k] = struct{}{}
		return
	}
	w.keys = append(w.keys, k)
	if len(w.keys)-mark > 16 {
		set := make(map[string]struct{}, 2*(len(w.keys)-mark))
		for _, k := range w.keys[mark:] {
			set[k] = struct{}{}
		}
		if w.keySet == nil {
			w.keySet = map[int]map[string]struct{}{}
		}
		w.keySet[mark] = set
	}
}

// mapKey parses a map key of kind k from a member name and returns it in a
// normal form (so that "1" and "01" are the same int key).
func mapKey(name []byte, k protoreflect.Kind) (string, bool) {
	switch k {
	case protoreflect.StringKind:
		return string(name), true
	case protoreflect.BoolKind:
		switch string(name) {
		case "true", "false":
			return string(name), true
		}
		return "", false
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		v, err := strconv.ParseInt(string(name), 10, 32)
		return strconv.FormatInt(v, 10), err == nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		v, err := strconv.ParseInt(string(name), 10, 64)
		return strconv.FormatInt(v, 10), err == nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		v, err := strconv.ParseUint(string(name), 10, 32)
		return strconv.FormatUint(v, 10), err == nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, err := strconv.ParseUint(string(name), 10, 64)
		return strconv.FormatUint(v, 10), err == nil
	}
	return "", false
}

// appendKey appends a map entry's key (field 1) from its normal form.
func appendKey(b []byte, key *fieldPlan, norm string) []byte {
	switch key.kind {
	case protoreflect.StringKind:
		return protowire.AppendString(protowire.AppendTag(b, 1, protowire.BytesType), norm)
	case protoreflect.BoolKind:
		return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), protowire.EncodeBool(norm == "true"))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, _ := strconv.ParseUint(norm, 10, 64)
		switch key.kind {
		case protoreflect.Fixed32Kind:
			return protowire.AppendFixed32(protowire.AppendTag(b, 1, protowire.Fixed32Type), uint32(v))
		case protoreflect.Fixed64Kind:
			return protowire.AppendFixed64(protowire.AppendTag(b, 1, protowire.Fixed64Type), v)
		}
		return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), v)
	}
	v, _ := strconv.ParseInt(norm, 10, 64)
	switch key.kind {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), protowire.EncodeZigZag(v))
	case protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(protowire.AppendTag(b, 1, protowire.Fixed32Type), uint32(v))
	case protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(protowire.AppendTag(b, 1, protowire.Fixed64Type), uint64(v))
	}
	return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(v))
}

// stringToken reads a JSON string for a well-known type, else answers the
// unexpected token.
func (w *jsonWire) stringToken() ([]byte, int, error) {
	w.r.skipSpace()
	start := w.r.pos
	if w.r.peek() != kindString {
		return nil, 0, w.r.unexpected()
	}
	s, err := w.r.str()
	return s, start, err
}

// secondsNanos appends google.protobuf.Timestamp's or Duration's fields.
func secondsNanos(b []byte, secs int64, nanos int32) []byte {
	if secs != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(secs))
	}
	if nanos != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), uint64(int64(nanos)))
	}
	return b
}

const (
	maxTimestampSeconds  = 253402300799
	minTimestampSeconds  = -62135596800
	maxSecondsInDuration = 315576000000
)

func (w *jsonWire) timestamp(b []byte) ([]byte, error) {
	s, start, err := w.stringToken()
	if err != nil {
		return nil, err
	}
	raw := w.r.in[start:w.r.pos]
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return nil, w.r.errorAt(start, "invalid google.protobuf.Timestamp value %s", raw)
	}
	secs := t.Unix()
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return nil, w.r.errorAt(start, "google.protobuf.Timestamp value out of range: %s", raw)
	}
	str := string(s)
	if i, j := strings.LastIndexByte(str, '.'), strings.LastIndexAny(str, "Z-+"); i >= 0 && j >= i && j-i > len(".999999999") {
		return nil, w.r.errorAt(start, "invalid google.protobuf.Timestamp value %s", raw)
	}
	return secondsNanos(b, secs, int32(t.Nanosecond())), nil
}

func (w *jsonWire) duration(b []byte) ([]byte, error) {
	s, start, err := w.stringToken()
	if err != nil {
		return nil, err
	}
	raw := w.r.in[start:w.r.pos]
	secs, nanos, ok := parseDuration(s)
	if !ok {
		return nil, w.r.errorAt(start, "invalid google.protobuf.Duration value %s", raw)
	}
	if secs < -maxSecondsInDuration || secs > maxSecondsInDuration {
		return nil, w.r.errorAt(start, "google.protobuf.Duration value out of range: %s", raw)
	}
	return secondsNanos(b, secs, nanos), nil
}

// parseDuration parses a JSON Duration: an optional sign, a decimal number
// with at most 9 fractional digits, and "s".
func parseDuration(b []byte) (int64, int32, bool) {
	if len(b) < 2 || b[len(b)-1] != 's' {
		return 0, 0, false
	}
	b = b[:len(b)-1]
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, 0, false
	}
	var intp []byte
	switch {
	case b[0] == '0':
		b = b[1:]
	case '1' <= b[0] && b[0] <= '9':
		n := 1
		for n < len(b) && '0' <= b[n] && b[n] <= '9' {
			n++
		}
		intp, b = b[:n], b[n:]
	case b[0] == '.':
	default:
		return 0, 0, false
	}
	hasFrac := false
	var frac [9]byte
	if len(b) > 0 {
		if b[0] != '.' {
			return 0, 0, false
		}
		b = b[1:]
		n := 0
		for len(b) > 0 && n < 9 && '0' <= b[0] && b[0] <= '9' {
			frac[n] = b[0]
			n, b = n+1, b[1:]
		}
		if len(b) > 0 {
			return 0, 0, false
		}
		for i := n; i < 9; i++ {
			frac[i] = '0'
		}
		hasFrac = true
	}
	var secs int64
	if len(intp) > 0 {
		v, err := strconv.ParseInt(string(intp), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		secs = v
	}
	var nanos int64
	if hasFrac {
		if nb := strings.TrimLeft(string(frac[:]), "0"); nb != "" {
			v, err := strconv.ParseInt(nb, 10, 32)
			if err != nil {
				return 0, 0, false
			}
			nanos = v
		}
	}
	if neg {
		if secs > 0 {
			secs = -secs
		}
		if nanos > 0 {
			nanos = -nanos
		}
	}
	return secs, int32(nanos), true
}

// structFields reads a google.protobuf.Struct: its map of fields.
func (w *jsonWire) structFields(b []byte, p *msgPlan, depth int) ([]byte, error) {
	fp := p.fields[0]
	return w.entries(b, fp.num, fp.key, fp.val, depth)
}

// value reads a google.protobuf.Value: whichever of its kinds the JSON is.
func (w *jsonWire) value(b []byte, p *msgPlan, depth int) ([]byte, error) {
	r := &w.r
	r.skipSpace()
	start := r.pos
	switch r.peek() {
	case kindNull:
		if err := r.literal(); err != nil {
			return nil, err
		}
		return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), 0), nil
	case kindTrue, kindFalse:
		v := r.peek() == kindTrue
		if err := r.literal(); err != nil {
			return nil, err
		}
		return protowire.AppendVarint(protowire.AppendTag(b, 4, protowire.VarintType), protowire.EncodeBool(v)), nil
	case kindNumber:
		text, err := r.number()
		if err != nil {
			return nil, err
		}
		f, perr := strconv.ParseFloat(string(text), 64)
		if perr != nil {
			return nil, r.errorAt(start, "invalid google.protobuf.Value: %s", text)
		}
		return protowire.AppendFixed64(protowire.AppendTag(b, 2, protowire.Fixed64Type), math.Float64bits(f)), nil
	case kindString:
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), s), nil
	case kindObject:
		fp := p.byNum[5]
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b, m := w.beginLen(b)
		b, err := w.structFields(b, fp.msg, depth)
		if err != nil {
			return nil, err
		}
		return w.endLen(b, m), nil
	case kindArray:
		fp := p.byNum[6]
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b, m := w.beginLen(b)
		b, err := w.list(b, fp.msg.fields[0], depth)
		if err != nil {
			return nil, err
		}
		return w.endLen(b, m), nil
	}
	raw, err := r.token()
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, errUnexpectedEOF
	}
	return nil, r.syntaxErrorAt(start, "unexpected token %s", raw)
}

// fieldMask reads a google.protobuf.FieldMask: lowerCamel paths, comma
// separated.
func (w *jsonWire) fieldMask(b []byte) ([]byte, error) {
	s, start, err := w.stringToken()
	if err != nil {
		return nil, err
	}
	str := strings.TrimSpace(string(s))
	if str == "" {
		return b, nil
	}
	for p := range strings.SplitSeq(str, ",") {
		snake := jsonSnakeCase(p)
		if strings.Contains(p, "_") || !protoreflect.FullName(snake).IsValid() {
			return nil, w.r.errorAt(start, "google.protobuf.FieldMask.paths contains invalid path: %q", p)
		}
		b = protowire.AppendString(protowire.AppendTag(b, 1, protowire.BytesType), snake)
	}
	return b, nil
}

// jsonSnakeCase converts a FieldMask path as protojson does.
func jsonSnakeCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			b = append(b, '_')
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
