package sim

import (
	"fmt"
	"strconv"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The model evaluates the small part of DynamoDB's expression language that
// Portico's writes use, and refuses anything else:
//
//	update:    [ADD #a :v] [SET #a = :v | #a = if_not_exists(#a, :v), ...]
//	condition: term [OR term ...], term = attribute_not_exists(#a) | #a op :v,
//	           op one of < <= > >= =, on numbers

// evalCondition reports whether item satisfies cond.
func evalCondition(cond string, item map[string]ddbtypes.AttributeValue, names map[string]string, values map[string]ddbtypes.AttributeValue) (bool, error) {
	if cond == "" {
		return true, nil
	}
	for term := range strings.SplitSeq(cond, " OR ") {
		term = strings.TrimSpace(term)
		if inner, ok := strings.CutPrefix(term, "attribute_not_exists("); ok {
			name, err := attrName(strings.TrimSuffix(inner, ")"), names)
			if err != nil {
				return false, err
			}
			if _, has := item[name]; !has {
				return true, nil
			}
			continue
		}
		f := strings.Fields(term)
		if len(f) != 3 {
			return false, fmt.Errorf("%w: condition term %q", errShape, term)
		}
		name, err := attrName(f[0], names)
		if err != nil {
			return false, err
		}
		cur, has := item[name]
		if !has {
			continue // a comparison with a missing attribute is false
		}
		a, err1 := number(cur)
		b, err2 := number(values[f[2]])
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%w: condition %q compares non-numbers", errShape, term)
		}
		var holds bool
		switch f[1] {
		case "<":
			holds = a < b
		case "<=":
			holds = a <= b
		case ">":
			holds = a > b
		case ">=":
			holds = a >= b
		case "=":
			holds = a == b
		default:
			return false, fmt.Errorf("%w: operator %q", errShape, f[1])
		}
		if holds {
			return true, nil
		}
	}
	return false, nil
}

// applyUpdate applies update to item (changed in place).
func applyUpdate(update string, item map[string]ddbtypes.AttributeValue, names map[string]string, values map[string]ddbtypes.AttributeValue) error {
	rest := strings.TrimSpace(update)
	if after, ok := strings.CutPrefix(rest, "ADD "); ok {
		f := strings.Fields(after)
		if len(f) < 2 {
			return fmt.Errorf("%w: update %q", errShape, update)
		}
		name, err := attrName(f[0], names)
		if err != nil {
			return err
		}
		add, err := number(values[f[1]])
		if err != nil {
			return fmt.Errorf("%w: ADD of a non-number", errShape)
		}
		cur := int64(0)
		if v, has := item[name]; has {
			if cur, err = number(v); err != nil {
				return fmt.Errorf("%w: ADD to a non-number", errShape)
			}
		}
		item[name] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(cur+add, 10)}
		rest = strings.TrimSpace(strings.Join(f[2:], " "))
	}
	if rest == "" {
		return nil
	}
	set, ok := strings.CutPrefix(rest, "SET ")
	if !ok {
		return fmt.Errorf("%w: update %q", errShape, update)
	}
	for _, assign := range splitTop(set) {
		lhs, rhs, ok := strings.Cut(assign, " = ")
		if !ok {
			return fmt.Errorf("%w: assignment %q", errShape, assign)
		}
		name, err := attrName(strings.TrimSpace(lhs), names)
		if err != nil {
			return err
		}
		rhs = strings.TrimSpace(rhs)
		if inner, ok := strings.CutPrefix(rhs, "if_not_exists("); ok {
			args := strings.Split(strings.TrimSuffix(inner, ")"), ",")
			if len(args) != 2 {
				return fmt.Errorf("%w: %q", errShape, rhs)
			}
			if _, has := item[name]; has {
				continue
			}
			rhs = strings.TrimSpace(args[1])
		}
		v, ok := values[rhs]
		if !ok {
			return fmt.Errorf("%w: value %q not given", errShape, rhs)
		}
		item[name] = v
	}
	return nil
}

func attrName(ref string, names map[string]string) (string, error) {
	if !strings.HasPrefix(ref, "#") {
		return ref, nil
	}
	n, ok := names[ref]
	if !ok {
		return "", fmt.Errorf("%w: name %q not given", errShape, ref)
	}
	return n, nil
}

// splitTop splits a SET list at the commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, from := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[from:i]))
				from = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[from:]))
}
