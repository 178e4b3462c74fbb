package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/gateway"
)

// maxJSONDepth bounds the nesting of a JSON answer that decodeObject
// accepts.
const maxJSONDepth = 32

// decodeObject decodes a JSON document that must be exactly one object:
// nothing but white space may follow it, no object in it may name a
// member twice (encoding/json would silently keep the last), the text must
// be valid UTF-8 (encoding/json would silently replace bad bytes), and it
// may nest at most maxJSONDepth deep. Numbers stay json.Number.
func decodeObject(data []byte) (map[string]any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("JSON is not an object")
	}
	obj, err := decodeMembers(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("JSON has more after the object (offset %d)", dec.InputOffset())
	}
	return obj, nil
}

// decodeMembers decodes the members of an object whose '{' has been read.
func decodeMembers(dec *json.Decoder, depth int) (map[string]any, error) {
	obj := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("JSON: %w", err)
		}
		name := tok.(string) // the decoder allows only strings here
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("JSON names member %q twice", gateway.Clip(name))
		}
		if obj[name], err = decodeValue(dec, depth); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, fmt.Errorf("JSON: %w", err)
	}
	return obj, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("JSON: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("JSON nests deeper than %d", maxJSONDepth)
	}
	if d == '{' {
		return decodeMembers(dec, depth+1)
	}
	arr := []any{}
	for dec.More() {
		v, err := decodeValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, fmt.Errorf("JSON: %w", err)
	}
	return arr, nil
}
