// Package jsonin is the one JSON decoding step of every product API (and of
// the app's input guard): exactly one JSON value, the declared types (a
// wrong type names the field), UTF-8 text without NUL characters, JSON
// \u0000 escapes included. Each API writes the *Error in its own envelope.
package jsonin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// Error is a body the client must fix; Field is "" for the body as a whole.
type Error struct {
	Field string
	Msg   string
	NUL   bool // the problem is a NUL character (or invalid UTF-8), not the JSON
}

func (e *Error) Error() string { return e.Msg }

// Decode reads raw, which must hold exactly one JSON value, into v (numbers
// into interface values stay json.Number).
func Decode(raw []byte, v any) error {
	if bytes.IndexByte(raw, 0) >= 0 || !utf8.Valid(raw) {
		return &Error{Msg: "The request body must be UTF-8 text without NUL characters.", NUL: true}
	}
	// json.Unmarshal reads raw in place, where a Decoder first copies it
	// into a buffer of its own: a third of what the loader check allocated
	// (docs/scaling.md). It has no UseNumber, so it serves only targets
	// with no interface value; and a body it refuses goes on to the
	// Decoder, whose errors say what is wrong in the words below.
	if !plain(reflect.TypeOf(v)) || json.Unmarshal(raw, v) != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(v); err != nil {
			return describe(err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return &Error{Msg: "The request body must hold exactly one JSON value; something follows it."}
		}
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		var all any
		if json.Unmarshal(raw, &all) == nil {
			if path, found := NULPath(all, ""); found {
				if path == "" {
					return &Error{Msg: "The request body must not contain NUL characters.", NUL: true}
				}
				return &Error{Field: path, Msg: path + " must not contain NUL characters.", NUL: true}
			}
		}
	}
	return nil
}

// plainTypes memoizes plain: reflect.Type → bool.
var plainTypes sync.Map

// plain reports whether decoding into t (a pointer) never fills an
// interface value, where a Decoder's UseNumber would keep a number as
// json.Number and json.Unmarshal would make it a float64.
func plain(t reflect.Type) bool {
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	if p, ok := plainTypes.Load(t); ok {
		return p.(bool)
	}
	p := noInterface(t, map[reflect.Type]bool{})
	plainTypes.Store(t, p)
	return p
}

func noInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] { // a recursive type: its other fields decide
		return true
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return false
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return noInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if !noInterface(t.Field(i).Type, seen) {
				return false
			}
		}
	}
	return true
}

func describe(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return &Error{Field: te.Field, Msg: fmt.Sprintf("%s must be %s.", te.Field, TypeName(te.Type))}
	case errors.As(err, &te):
		return &Error{Msg: fmt.Sprintf("The request body must be %s.", TypeName(te.Type))}
	case errors.As(err, &se):
		return &Error{Msg: fmt.Sprintf("The request body is not valid JSON (at byte %d).", se.Offset)}
	case errors.Is(err, io.EOF):
		return &Error{Msg: "The request body is empty; send a JSON object."}
	}
	return &Error{Msg: "The request body is not valid JSON."}
}

// IsNUL reports whether err is a NUL / invalid UTF-8 refusal.
func IsNUL(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NUL
}

// TypeName is how a message names the JSON type of t.
func TypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(TypeName(t.Elem()), "a "), "an ") + "s"
	case reflect.Map, reflect.Struct:
		if t == reflect.TypeOf(json.Number("")) {
			return "a number"
		}
		return "a JSON object"
	}
	return "of the documented type"
}

// NULPath finds a string (value or key) of a decoded JSON value that holds
// NUL and returns its path, e.g. items[2].domain ("" for the top level).
func NULPath(v any, path string) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, strings.IndexByte(x, 0) >= 0
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 {
				return path, true
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			if found, ok := NULPath(e, p); ok {
				return found, true
			}
		}
	case []any:
		for i, e := range x {
			if found, ok := NULPath(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return found, true
			}
		}
	}
	return "", false
}
