package transcode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wireJSON writes the JSON protojson.Marshal would write for a message of a
// plan read from the wire format, without a message in between: values as
// proto.Unmarshal would have read them (the last of a singular field, a
// message's occurrences merged, a oneof's last member, a map key's last
// entry), fields in declaration order, map keys sorted, no whitespace.
type wireJSON struct {
	protoNames  bool         // proto field names instead of lowerCamel JSON names
	unpopulated bool         // EmitUnpopulated
	occ         []occurrence // the fields of the messages being written, innermost last
	counts      []int        // scratch of byField
	entries     []mapEntry   // the entries of the maps being written, innermost last
	winners     []winner     // the oneofs of the messages being written
}

// reset readies e for an answer, keeping its scratch but nothing of the
// last answer's data.
func (e *wireJSON) reset(protoNames, unpopulated bool) {
	clear(e.occ[:cap(e.occ)])
	clear(e.entries[:cap(e.entries)])
	clear(e.winners[:cap(e.winners)])
	*e = wireJSON{protoNames: protoNames, unpopulated: unpopulated, occ: e.occ[:0], counts: e.counts[:0], entries: e.entries[:0], winners: e.winners[:0]}
}

// occurrence is one field of a message on the wire.
type occurrence struct {
	fp    *fieldPlan
	wt    protowire.Type
	order int    // among the message's fields
	val   []byte // the value: a LEN field's content, else its encoding
}

var (
	errInvalidUTF8 = errors.New("invalid UTF-8")
	// errBadNumber: a field number over the largest valid one, which
	// proto.Unmarshal refuses (protowire.ConsumeTag lets it through).
	errBadNumber = errors.New("invalid field number")
)

// appendMessage appends the JSON of the message of p encoded in data.
func (e *wireJSON) appendMessage(out []byte, p *msgPlan, data []byte) ([]byte, error) {
	return e.message(out, p, recursionLimit, data)
}

// appendField appends the JSON of field fp alone of the message of p in
// data, as protojson writes a field picked out of its message (a
// ResponseBody): a message field as a message ({} when unset), any other
// field with EmitUnpopulated (nothing at all for an unset oneof member).
// The rest of the message is checked as proto.Unmarshal reads it.
func (e *wireJSON) appendField(out []byte, p *msgPlan, fp *fieldPlan, data []byte) ([]byte, error) {
	depth := recursionLimit - 1
	base, wbase := len(e.occ), len(e.winners)
	defer func() { e.occ, e.winners = e.occ[:base], e.winners[:wbase] }()
	if err := e.scan(p, data); err != nil {
		return nil, err
	}
	occ := e.occ[base:]
	winners := e.oneofWinners(p, occ)
	var group []occurrence
	for i, o := range occ {
		if o.fp != fp || fp.oneof >= 0 && (winners[fp.oneof].fp != fp || o.order < winners[fp.oneof].since) {
			if err := e.validateAll(occ[i:i+1], depth); err != nil {
				return nil, err
			}
			continue
		}
		group = append(group, o)
	}
	if fp.msg != nil && !fp.list && !fp.isMap {
		return e.messageOf(out, fp.msg, group, depth)
	}
	unpopulated := e.unpopulated
	e.unpopulated = true
	defer func() { e.unpopulated = unpopulated }()
	out, set, err := e.field(out, fp, group, depth)
	if err != nil || !set {
		return nil, err
	}
	return out, nil
}

// message appends one message: a well-known type's own form, else an object.
func (e *wireJSON) message(out []byte, p *msgPlan, depth int, parts ...[]byte) ([]byte, error) {
	if depth--; depth < 0 {
		return nil, errRecursion
	}
	if p.wkt != wktNone {
		return e.wellKnown(out, p, depth, parts...)
	}
	base, wbase := len(e.occ), len(e.winners)
	defer func() { e.occ, e.winners = e.occ[:base], e.winners[:wbase] }()
	if err := e.scan(p, parts...); err != nil {
		return nil, err
	}
	occ := e.byField(p, base)
	winners := e.oneofWinners(p, occ)
	out = append(out, '{')
	written := 0
	i := 0
	for _, fp := range p.fields {
		j := i
		for j < len(occ) && occ[j].fp == fp {
			j++
		}
		group := occ[i:j]
		i = j
		if fp.oneof >= 0 {
			w := winners[fp.oneof]
			if w.fp != fp {
				if err := e.validateAll(group, depth); err != nil {
					return nil, err
				}
				continue
			}
			// A member set again after another member: only what came after
			// the switch counts (the rest is checked, as proto.Unmarshal
			// reads it).
			k := 0
			for k < len(group) && group[k].order < w.since {
				k++
			}
			if err := e.validateAll(group[:k], depth); err != nil {
				return nil, err
			}
			group = group[k:]
		}
		mark := len(out)
		if written > 0 {
			out = append(out, ',')
		}
		if e.protoNames {
			out = append(out, fp.protoKey...)
		} else {
			out = append(out, fp.jsonKey...)
		}
		var set bool
		var err error
		out, set, err = e.field(out, fp, group, depth)
		if err != nil {
			return nil, err
		}
		if set {
			written++
		} else {
			out = out[:mark]
		}
	}
	return append(out, '}'), nil
}

// byField returns the occurrences scanned from base grouped by field, in
// declaration order, in wire order within a field: as they are when the
// wire is in field order (as proto.Marshal writes it), else a counting sort
// of them appended after them.
func (e *wireJSON) byField(p *msgPlan, base int) []occurrence {
	occ := e.occ[base:]
	sorted := true
	for i := 1; i < len(occ) && sorted; i++ {
		sorted = occ[i-1].fp.index <= occ[i].fp.index
	}
	if sorted {
		return occ
	}
	counts := e.counts[:0]
	for range len(p.fields) + 1 {
		counts = append(counts, 0)
	}
	for _, o := range occ {
		counts[o.fp.index+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	n := len(e.occ)
	e.occ = slices.Grow(e.occ, len(occ))[:n+len(occ)]
	out := e.occ[n:]
	for _, o := range e.occ[base:n] {
		out[counts[o.fp.index]] = o
		counts[o.fp.index]++
	}
	e.counts = counts[:0]
	return out
}

// winner is the member of a oneof set last, and the order from which its
// occurrences count.
type winner struct {
	fp    *fieldPlan
	since int
	last  int // the order of its last occurrence
}

func (e *wireJSON) oneofWinners(p *msgPlan, occ []occurrence) []winner {
	if p.oneofs == 0 {
		return nil
	}
	base := len(e.winners)
	for range p.oneofs {
		e.winners = append(e.winners, winner{last: -1})
	}
	winners := e.winners[base:]
	for _, o := range occ {
		if k := o.fp.oneof; k >= 0 && o.order > winners[k].last {
			winners[k].last, winners[k].fp = o.order, o.fp
		}
	}
	// The winner counts from after the last occurrence of another member.
	for _, o := range occ {
		if k := o.fp.oneof; k >= 0 && o.fp != winners[k].fp && o.order >= winners[k].since {
			winners[k].since = o.order + 1
		}
	}
	return winners
}

// scan reads the fields of data into e.occ, checking what proto.Unmarshal
// checks of each: the wire format, and UTF-8 of strings that must be valid.
// Unknown fields, and known fields of another wire type (which
// proto.Unmarshal keeps as unknown), are skipped.
func (e *wireJSON) scan(p *msgPlan, parts ...[]byte) error {
	order := 0
	for _, data := range parts {
		if err := e.scanPart(p, data, &order); err != nil {
			return err
		}
	}
	return nil
}

// scanPart is scan of one part of a message's encoding.
func (e *wireJSON) scanPart(p *msgPlan, data []byte, order *int) error {
	for len(data) > 0 {
		num, wt, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber {
			return errBadNumber
		}
		m := protowire.ConsumeFieldValue(num, wt, data[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		raw := data[n : n+m]
		data = data[n+m:]
		fp := p.byNum[num]
		if fp == nil || !(wt == fp.wireType() || wt == protowire.BytesType && fp.packable()) {
			continue
		}
		if wt == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(raw)
			raw = v
			if fp.utf8 && !utf8.Valid(raw) {
				return fmt.Errorf("field %v contains invalid UTF-8", fp.fd.FullName())
			}
		}
		e.occ = append(e.occ, occurrence{fp: fp, wt: wt, order: *order, val: raw})
		*order++
	}
	return nil
}

// field appends the value of one field from its occurrences (none when it
// is unset): false when nothing is written for it.
func (e *wireJSON) field(out []byte, fp *fieldPlan, group []occurrence, depth int) ([]byte, bool, error) {
	switch {
	case fp.isMap:
		out, n, err := e.mapValue(out, fp, group, depth)
		return out, err == nil && (n > 0 || e.unpopulated), err
	case fp.list:
		out, n, err := e.listValue(out, fp, group, depth)
		return out, err == nil && (n > 0 || e.unpopulated), err
	case fp.msg != nil:
		if len(group) == 0 {
			if e.unpopulated && !fp.inOneof {
				return append(out, "null"...), true, nil
			}
			return out, false, nil
		}
		out, err := e.messageOf(out, fp.msg, group, depth)
		return out, true, err
	}
	// A scalar: the last value, unless it is an implicit-presence zero.
	var last *occurrence
	if len(group) > 0 {
		last = &group[len(group)-1]
	}
	if last == nil || !fp.presence && isZero(fp, last.val) {
		switch {
		case !e.unpopulated || fp.inOneof:
			return out, false, nil
		case fp.presence:
			return append(out, "null"...), true, nil
		}
		out, err := e.scalar(out, fp, nil)
		return out, true, err
	}
	out, err := e.scalar(out, fp, last.val)
	return out, true, err
}

// messageOf appends a message field's value from its occurrences: the
// message they make together, as proto.Unmarshal merges them, read as parts
// of one encoding rather than copied into one.
func (e *wireJSON) messageOf(out []byte, p *msgPlan, group []occurrence, depth int) ([]byte, error) {
	switch len(group) {
	case 0:
		return e.message(out, p, depth)
	case 1:
		return e.message(out, p, depth, group[0].val)
	}
	parts := make([][]byte, len(group))
	for i, o := range group {
		parts[i] = o.val
	}
	return e.message(out, p, depth, parts...)
}

// isZero reports whether a scalar's encoded value is its zero value, which
// an implicit-presence field does not hold (-0.0 is not zero).
func isZero(fp *fieldPlan, val []byte) bool {
	switch fp.wireType() {
	case protowire.VarintType:
		v, _ := protowire.ConsumeVarint(val)
		switch fp.kind {
		case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.EnumKind, protoreflect.Sint32Kind:
			return uint32(v) == 0
		}
		return v == 0
	case protowire.Fixed32Type:
		v, _ := protowire.ConsumeFixed32(val)
		return v == 0
	case protowire.Fixed64Type:
		v, _ := protowire.ConsumeFixed64(val)
		return v == 0
	}
	return len(val) == 0
}

// scalar appends one scalar value of fp from its encoding (val as scan
// stored it); nil val is the zero value.
func (e *wireJSON) scalar(out []byte, fp *fieldPlan, val []byte) ([]byte, error) {
	var u uint64
	switch fp.wireType() {
	case protowire.VarintType:
		if val != nil {
			u, _ = protowire.ConsumeVarint(val)
		}
	case protowire.Fixed32Type:
		if val != nil {
			v, _ := protowire.ConsumeFixed32(val)
			u = uint64(v)
		}
	case protowire.Fixed64Type:
		if val != nil {
			u, _ = protowire.ConsumeFixed64(val)
		}
	}
	return e.scalarBits(out, fp, u, val)
}

// scalarBits appends a scalar from its bits (numbers) or bytes (strings).
func (e *wireJSON) scalarBits(out []byte, fp *fieldPlan, u uint64, val []byte) ([]byte, error) {
	switch fp.kind {
	case protoreflect.BoolKind:
		return strconv.AppendBool(out, u != 0), nil
	case protoreflect.Int32Kind:
		return strconv.AppendInt(out, int64(int32(u)), 10), nil
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(out, int64(int32(protowire.DecodeZigZag(u&math.MaxUint32))), 10), nil
	case protoreflect.Sfixed32Kind:
		return strconv.AppendInt(out, int64(int32(u)), 10), nil
	case protoreflect.Uint32Kind:
		return strconv.AppendUint(out, uint64(uint32(u)), 10), nil
	case protoreflect.Fixed32Kind:
		return strconv.AppendUint(out, u, 10), nil
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return append(strconv.AppendInt(append(out, '"'), int64(u), 10), '"'), nil
	case protoreflect.Sint64Kind:
		return append(strconv.AppendInt(append(out, '"'), protowire.DecodeZigZag(u), 10), '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return append(strconv.AppendUint(append(out, '"'), u, 10), '"'), nil
	case protoreflect.FloatKind:
		return appendJSONFloat(out, float64(math.Float32frombits(uint32(u))), 32), nil
	case protoreflect.DoubleKind:
		return appendJSONFloat(out, math.Float64frombits(u), 64), nil
	case protoreflect.StringKind:
		out, err := appendJSONBytes(out, val)
		if err != nil {
			return nil, fmt.Errorf("field %v contains invalid UTF-8", fp.fd.FullName())
		}
		return out, nil
	case protoreflect.BytesKind:
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, val)
		return append(out, '"'), nil
	case protoreflect.EnumKind:
		if fp.nullValue {
			return append(out, "null"...), nil
		}
		n := protoreflect.EnumNumber(int32(u))
		if ev := fp.enum.Values().ByNumber(n); ev != nil {
			out, _ = appendJSONString(out, string(ev.Name()))
			return out, nil
		}
		return strconv.AppendInt(out, int64(n), 10), nil
	}
	return nil, fmt.Errorf("field %v: kind %v", fp.fd.FullName(), fp.kind)
}

// listValue appends a repeated field's elements from its occurrences,
// packed or not, and returns how many.
func (e *wireJSON) listValue(out []byte, fp *fieldPlan, group []occurrence, depth int) ([]byte, int, error) {
	out = append(out, '[')
	n := 0
	elem := func() {
		if n > 0 {
			out = append(out, ',')
		}
		n++
	}
	for _, o := range group {
		switch {
		case fp.msg != nil:
			elem()
			var err error
			if out, err = e.message(out, fp.msg, depth, o.val); err != nil {
				return nil, 0, err
			}
		case o.wt == protowire.BytesType && fp.wireType() != protowire.BytesType: // packed
			for b := o.val; len(b) > 0; {
				var u uint64
				var m int
				switch fp.wireType() {
				case protowire.VarintType:
					u, m = protowire.ConsumeVarint(b)
				case protowire.Fixed32Type:
					var v uint32
					v, m = protowire.ConsumeFixed32(b)
					u = uint64(v)
				default:
					u, m = protowire.ConsumeFixed64(b)
				}
				if m < 0 {
					return nil, 0, protowire.ParseError(m)
				}
				b = b[m:]
				elem()
				var err error
				if out, err = e.scalarBits(out, fp, u, nil); err != nil {
					return nil, 0, err
				}
			}
		default:
			elem()
			var err error
			if out, err = e.scalar(out, fp, o.val); err != nil {
				return nil, 0, err
			}
		}
	}
	return append(out, ']'), n, nil
}

// mapEntry is a map entry read from the wire.
type mapEntry struct {
	key  []byte // a string key
	keyU uint64 // another key, as keyBits has it
	// val is the value's encoding (nil when absent); more holds the parts
	// after it of a message value that came in several.
	val  []byte
	more [][]byte
}

// entryMessage appends an entry's message value.
func (e *wireJSON) entryMessage(out []byte, p *msgPlan, en mapEntry, depth int) ([]byte, error) {
	if en.more == nil {
		return e.message(out, p, depth, en.val)
	}
	return e.message(out, p, depth, en.parts()...)
}

// parts returns a message value's parts.
func (en mapEntry) parts() [][]byte {
	if en.more == nil {
		return [][]byte{en.val}
	}
	return append([][]byte{en.val}, en.more...)
}

// mapValue appends a map field's entries, sorted by key as protojson sorts
// them, the last entry of a key winning; it returns how many it wrote.
func (e *wireJSON) mapValue(out []byte, fp *fieldPlan, group []occurrence, depth int) ([]byte, int, error) {
	base := len(e.entries)
	defer func() { e.entries = e.entries[:base] }()
	for _, o := range group {
		en, err := e.entry(fp, o.val)
		if err != nil {
			return nil, 0, err
		}
		e.entries = append(e.entries, en)
	}
	entries := e.entries[base:]
	cmp := func(a, b mapEntry) int {
		switch fp.key.kind {
		case protoreflect.StringKind:
			return bytes.Compare(a.key, b.key)
		case protoreflect.BoolKind, protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			return compareUint(a.keyU, b.keyU)
		}
		return compareInt(int64(a.keyU), int64(b.keyU))
	}
	slices.SortStableFunc(entries, cmp)
	out = append(out, '{')
	n := 0
	for i, en := range entries {
		if i+1 < len(entries) && cmp(en, entries[i+1]) == 0 {
			// An earlier entry of the key: proto.Unmarshal read it too.
			if err := e.validateValue(fp, en, depth); err != nil {
				return nil, 0, err
			}
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		var err error
		if out, err = e.mapKeyName(out, fp.key, en); err != nil {
			return nil, 0, err
		}
		out = append(out, ':')
		if fp.val.msg != nil {
			out, err = e.entryMessage(out, fp.val.msg, en, depth)
		} else {
			out, err = e.scalar(out, fp.val, en.val)
		}
		if err != nil {
			return nil, 0, err
		}
	}
	return append(out, '}'), n, nil
}

// validateValue checks the message value of an entry that is not written.
func (e *wireJSON) validateValue(fp *fieldPlan, en mapEntry, depth int) error {
	if fp.val.msg == nil {
		return nil
	}
	if en.more == nil {
		return e.validate(fp.val.msg, depth, en.val)
	}
	return e.validate(fp.val.msg, depth, en.parts()...)
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyBits is a key's value from its wire bits, in one form per value: a
// signed key's int64 (as uint64), an unsigned key's uint64, a bool's 0 or 1.
func keyBits(fp *fieldPlan, u uint64) uint64 {
	switch fp.kind {
	case protoreflect.BoolKind:
		if u != 0 {
			return 1
		}
		return 0
	case protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		return uint64(int64(int32(u)))
	case protoreflect.Sint32Kind:
		return uint64(int64(int32(protowire.DecodeZigZag(u & math.MaxUint32))))
	case protoreflect.Sint64Kind:
		return uint64(protowire.DecodeZigZag(u))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return uint64(uint32(u))
	}
	return u
}

// entry reads one map entry: key field 1 and value field 2, each the last
// of its occurrences of the right wire type (a message value merges them).
func (e *wireJSON) entry(fp *fieldPlan, data []byte) (en mapEntry, err error) {
	for len(data) > 0 {
		num, wt, n := protowire.ConsumeTag(data)
		if n < 0 {
			return en, protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber {
			return en, errBadNumber
		}
		m := protowire.ConsumeFieldValue(num, wt, data[n:])
		if m < 0 {
			return en, protowire.ParseError(m)
		}
		raw := data[n : n+m]
		data = data[n+m:]
		var f *fieldPlan
		switch num {
		case 1:
			f = fp.key
		case 2:
			f = fp.val
		default:
			continue
		}
		if wt != f.wireType() {
			continue
		}
		if wt == protowire.BytesType {
			raw, _ = protowire.ConsumeBytes(raw)
			if f.utf8 && !utf8.Valid(raw) {
				return en, fmt.Errorf("field %v contains invalid UTF-8", f.fd.FullName())
			}
		}
		switch {
		case num == 1:
			en.key = raw
			en.keyU = keyBits(f, scalarBitsOf(f, raw))
		case f.msg != nil && en.val != nil:
			en.more = append(en.more, raw)
		default:
			en.val = raw
		}
	}
	if fp.key.kind == protoreflect.StringKind && en.key == nil {
		en.key = []byte{}
	}
	return en, nil
}

// scalarBitsOf returns a varint or fixed scalar's bits from its encoding.
func scalarBitsOf(fp *fieldPlan, raw []byte) uint64 {
	switch fp.wireType() {
	case protowire.VarintType:
		v, _ := protowire.ConsumeVarint(raw)
		return v
	case protowire.Fixed32Type:
		v, _ := protowire.ConsumeFixed32(raw)
		return uint64(v)
	case protowire.Fixed64Type:
		v, _ := protowire.ConsumeFixed64(raw)
		return v
	}
	return 0
}

// mapKeyName appends a map key as a JSON member name.
func (e *wireJSON) mapKeyName(out []byte, key *fieldPlan, en mapEntry) ([]byte, error) {
	switch key.kind {
	case protoreflect.StringKind:
		out, err := appendJSONBytes(out, en.key)
		if err != nil {
			return nil, fmt.Errorf("field %v contains invalid UTF-8", key.fd.FullName())
		}
		return out, nil
	case protoreflect.BoolKind:
		return strconv.AppendQuote(out, strconv.FormatBool(en.keyU != 0)), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return append(strconv.AppendUint(append(out, '"'), en.keyU, 10), '"'), nil
	}
	return append(strconv.AppendInt(append(out, '"'), int64(en.keyU), 10), '"'), nil
}

// validateAll checks occurrences that are not written (a oneof's earlier
// members, the fields around a ResponseBody) as proto.Unmarshal would have
// read them.
func (e *wireJSON) validateAll(group []occurrence, depth int) error {
	for _, o := range group {
		switch {
		case o.fp.isMap:
			en, err := e.entry(o.fp, o.val)
			if err != nil {
				return err
			}
			if err := e.validateValue(o.fp, en, depth); err != nil {
				return err
			}
		case o.fp.msg != nil:
			if err := e.validate(o.fp.msg, depth, o.val); err != nil {
				return err
			}
		case o.wt == protowire.BytesType && o.fp.wireType() != protowire.BytesType:
			for b := o.val; len(b) > 0; {
				var m int
				switch o.fp.wireType() {
				case protowire.VarintType:
					_, m = protowire.ConsumeVarint(b)
				case protowire.Fixed32Type:
					_, m = protowire.ConsumeFixed32(b)
				default:
					_, m = protowire.ConsumeFixed64(b)
				}
				if m < 0 {
					return protowire.ParseError(m)
				}
				b = b[m:]
			}
		}
	}
	return nil
}

// validate checks a message's encoding as proto.Unmarshal would read it,
// writing nothing.
func (e *wireJSON) validate(p *msgPlan, depth int, parts ...[]byte) error {
	if depth--; depth < 0 {
		return errRecursion
	}
	base := len(e.occ)
	defer func() { e.occ = e.occ[:base] }()
	if err := e.scan(p, parts...); err != nil {
		return err
	}
	return e.validateAll(e.occ[base:], depth)
}

// wellKnown appends a well-known type's own JSON form.
func (e *wireJSON) wellKnown(out []byte, p *msgPlan, depth int, parts ...[]byte) ([]byte, error) {
	base := len(e.occ)
	defer func() { e.occ = e.occ[:base] }()
	if err := e.scan(p, parts...); err != nil {
		return nil, err
	}
	occ := e.occ[base:]
	last := func(num protowire.Number) []byte {
		var v []byte
		for _, o := range occ {
			if o.fp.num == num {
				v = o.val
			}
		}
		return v
	}
	varint := func(num protowire.Number) uint64 {
		v := last(num)
		if v == nil {
			return 0
		}
		u, _ := protowire.ConsumeVarint(v)
		return u
	}
	switch p.wkt {
	case wktTimestamp:
		secs, nanos := int64(varint(1)), int64(int32(varint(2)))
		if secs < minTimestampSeconds || secs > maxTimestampSeconds {
			return nil, fmt.Errorf("google.protobuf.Timestamp: seconds out of range %v", secs)
		}
		if nanos < 0 || nanos > 999999999 {
			return nil, fmt.Errorf("google.protobuf.Timestamp: nanos out of range %v", nanos)
		}
		out = append(out, '"')
		out = time.Unix(secs, nanos).UTC().AppendFormat(out, "2006-01-02T15:04:05")
		out = appendFraction(out, nanos)
		return append(out, 'Z', '"'), nil
	case wktDuration:
		secs, nanos := int64(varint(1)), int64(int32(varint(2)))
		if secs < -maxSecondsInDuration || secs > maxSecondsInDuration {
			return nil, fmt.Errorf("google.protobuf.Duration: seconds out of range %v", secs)
		}
		if nanos < -999999999 || nanos > 999999999 {
			return nil, fmt.Errorf("google.protobuf.Duration: nanos out of range %v", nanos)
		}
		if secs > 0 && nanos < 0 || secs < 0 && nanos > 0 {
			return nil, errors.New("google.protobuf.Duration: signs of seconds and nanos do not match")
		}
		out = append(out, '"')
		if secs < 0 || nanos < 0 {
			out = append(out, '-')
			secs, nanos = -secs, -nanos
		}
		out = strconv.AppendInt(out, secs, 10)
		out = appendFraction(out, nanos)
		return append(out, 's', '"'), nil
	case wktWrapper:
		fp := p.fields[0]
		v := last(1)
		if v != nil && !fp.presence && isZero(fp, v) {
			v = nil
		}
		return e.scalar(out, fp, v)
	case wktStruct:
		out, _, err := e.mapValue(out, p.fields[0], occ, depth)
		return out, err
	case wktListValue:
		out, _, err := e.listValue(out, p.fields[0], occ, depth)
		return out, err
	case wktValue:
		if len(occ) == 0 {
			return nil, errors.New("google.protobuf.Value: none of the oneof fields is set")
		}
		// The kind set last, its occurrences since the last switch.
		w := occ[len(occ)-1].fp
		k := len(occ)
		for k > 0 && occ[k-1].fp == w {
			k--
		}
		group := occ[k:]
		if err := e.validateAll(occ[:k], depth); err != nil {
			return nil, err
		}
		if w.num == 2 {
			u, _ := protowire.ConsumeFixed64(group[len(group)-1].val)
			if f := math.Float64frombits(u); math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("google.protobuf.Value.number_value: invalid %v value", f)
			}
		}
		if w.msg != nil {
			return e.messageOf(out, w.msg, group, depth)
		}
		return e.scalar(out, w, group[len(group)-1].val)
	case wktFieldMask:
		// Paths are checked before anything is written.
		for _, o := range occ {
			if err := checkMaskPath(o.val); err != nil {
				return nil, err
			}
		}
		out = append(out, '"')
		for i, o := range occ {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendCamelCase(out, o.val)
		}
		return append(out, '"'), nil
	case wktEmpty:
		return append(out, '{', '}'), nil
	}
	return nil, fmt.Errorf("%v: no direct JSON form", p.md.FullName())
}

// checkMaskPath refuses a FieldMask path protojson cannot write: not a
// valid name, or not the same once made lowerCamel and back.
func checkMaskPath(p []byte) error {
	if !protoreflect.FullName(p).IsValid() {
		return fmt.Errorf("google.protobuf.FieldMask.paths contains invalid path: %q", p)
	}
	// Reversible unless an underscore is followed by something that is not
	// a lower-case letter, or an upper-case letter appears at all.
	for i, c := range p {
		if 'A' <= c && c <= 'Z' || c == '_' && (i+1 == len(p) || !('a' <= p[i+1] && p[i+1] <= 'z')) {
			return fmt.Errorf("google.protobuf.FieldMask.paths contains irreversible value %q", p)
		}
	}
	return nil
}

// appendCamelCase appends a FieldMask path made lowerCamel (names are
// ASCII, and checkMaskPath has let only reversible ones through).
func appendCamelCase(out, p []byte) []byte {
	up := false
	for _, c := range p {
		switch {
		case c == '_':
			up = true
			continue
		case up && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return out
}

// appendFraction appends nanoseconds as protojson writes them: nothing, or
// 3, 6 or 9 digits.
func appendFraction(out []byte, nanos int64) []byte {
	if nanos == 0 {
		return out
	}
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + nanos%10)
		nanos /= 10
	}
	n := 9
	for n > 3 && string(d[n-3:n]) == "000" {
		n -= 3
	}
	return append(append(out, '.'), d[:n]...)
}

// appendJSONFloat appends a float as protojson writes it.
func appendJSONFloat(out []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(out, `"NaN"`...)
	case math.IsInf(n, 1):
		return append(out, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(out, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) || bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, n, format, -1, bitSize)
	if format == 'e' {
		if k := len(out); k >= 4 && out[k-4] == 'e' && out[k-3] == '-' && out[k-2] == '0' {
			out[k-2] = out[k-1]
			out = out[:k-1]
		}
	}
	return out
}

// appendJSONString appends s as protojson writes a string; invalid UTF-8
// is an error.
func appendJSONString(out []byte, s string) ([]byte, error) {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			out = appendEscape(out, c)
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return out, errInvalidUTF8
		}
		i += n
	}
	out = append(out, s[start:]...)
	return append(out, '"'), nil
}

// appendJSONBytes is appendJSONString for bytes.
func appendJSONBytes(out, s []byte) ([]byte, error) {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			out = appendEscape(out, c)
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			return out, errInvalidUTF8
		}
		i += n
	}
	out = append(out, s[start:]...)
	return append(out, '"'), nil
}

// appendEscape appends the escape of an ASCII byte, as protojson writes it.
func appendEscape(out []byte, c byte) []byte {
	out = append(out, '\\')
	switch c {
	case '"', '\\':
		return append(out, c)
	case '\b':
		return append(out, 'b')
	case '\f':
		return append(out, 'f')
	case '\n':
		return append(out, 'n')
	case '\r':
		return append(out, 'r')
	case '\t':
		return append(out, 't')
	}
	out = append(out, 'u')
	out = append(out, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
	return strconv.AppendUint(out, uint64(c), 16)
}
