package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// maxConfigBytes bounds serve's configuration file.
const maxConfigBytes = 1 << 20

// configError is an error at a position of the configuration file.
type configError struct {
	file      string
	line, col int
	msg       string
}

func (e *configError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
}

// applyConfig sets serve's flags from a configuration file: one JSON
// object whose keys are the flags' names without dashes, each with the
// value the flag would take, of the flag's JSON type (valueKinds)
// ({"jwks-refresh": "5m", "cache-bytes": "64MiB", "log-allowed-sample":
// 100, "unsafe-skip-issuer-audience": false}). A flag given on the command
// line keeps its value: flags override the file. A key that names no flag
// ("config" included), a key given twice, a value of another type, or one
// the flag refuses, is an error at its line and column (in bytes, from 1).
func applyConfig(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxConfigBytes {
		return fmt.Errorf("%s: more than %d bytes", path, maxConfigBytes)
	}
	at := func(off int64, format string, args ...any) error {
		line, col := position(data, off)
		return &configError{path, line, col, fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(data) {
		return at(int64(bytes.IndexFunc(data, func(r rune) bool { return r == utf8.RuneError })), "not UTF-8")
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	// Duplicates are found below, to name them.
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
	seen := map[string]bool{}
	syntax := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return at(int64(len(data)), "the JSON object is not closed")
		}
		var syn *jsontext.SyntacticError
		if errors.As(err, &syn) {
			return at(syn.ByteOffset, "%v", syn.Err)
		}
		return at(dec.InputOffset(), "%v", err)
	}
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return syntax(err)
		}
		return at(dec.InputOffset(), "want a JSON object of flags, such as {\"listen\": \"127.0.0.1:8181\"}")
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntax(err)
	}
	for dec.PeekKind() != '}' {
		nameAt := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return syntax(err)
		}
		nameAt += int64(len(leadingSpace(data[nameAt:])))
		name := tok.String()
		if seen[name] {
			return at(nameAt, "key %q given twice", name)
		}
		seen[name] = true
		fl := fs.Lookup(name)
		if fl == nil || name == "config" {
			return at(nameAt, "unknown key %q: the keys are serve's flags (scopecheck help serve), without dashes", name)
		}
		valueAt := dec.InputOffset()
		v, err := dec.ReadValue()
		if err != nil {
			return syntax(err)
		}
		valueAt += int64(len(leadingSpace(data[valueAt:])))
		valueAt += int64(bytes.IndexByte(data[valueAt:], v[0]))
		kinds, want := valueKinds(fl)
		if !strings.ContainsRune(kinds, rune(v.Kind())) {
			return at(valueAt, "%q: want %s", name, want)
		}
		var text string
		if v.Kind() == '"' {
			if err := jsonUnquote(v, &text); err != nil {
				return at(valueAt, "%q: %v", name, err)
			}
		} else {
			text = string(v)
		}
		if onCommandLine[name] {
			continue
		}
		if err := fs.Set(name, text); err != nil {
			return at(valueAt, "%q: %v", name, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntax(err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return at(int64(len(data)-len(rest)), "more after the JSON object")
	}
	return nil
}

// valueKinds are the JSON kinds (jsontext.Kind: '"', '0', 't', 'f') that
// a flag's value takes in the file, and how to say so: a boolean for a
// boolean flag, a number for a number (an integer in decimal), a number of
// bytes or a string for a size, and a string for everything else,
// durations ("5m") included. No value of one type is read as another:
// "issuer": true is not the issuer "true", nor "log-allowed-sample": "0x10"
// the number 16.
func valueKinds(fl *flag.Flag) (kinds, want string) {
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "tf", "true or false"
	}
	if _, ok := fl.Value.(*byteSize); ok {
		return "0\"", "a number of bytes or a string such as \"64MiB\""
	}
	if g, ok := fl.Value.(flag.Getter); ok {
		if _, ok := g.Get().(int); ok {
			return "0", "a number"
		}
	}
	return "\"", "a string"
}

// jsonUnquote reads a JSON string token with jsontext's own rules.
func jsonUnquote(v jsontext.Value, s *string) error {
	tok, err := jsontext.NewDecoder(bytes.NewReader(v)).ReadToken()
	if err != nil {
		return err
	}
	*s = tok.String()
	return nil
}

func leadingSpace(b []byte) []byte {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\r' || b[n] == '\n' || b[n] == ',' || b[n] == ':') {
		n++
	}
	return b[:n]
}

// position is the line and the column (in bytes, both from 1) of byte
// offset off of data.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
