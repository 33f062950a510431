// Package apidoc writes the OpenAPI document of the whole API
// (shared/openapi/openapi.json) from the manifest's routes and what this
// package says of each: parameters, request and answer schemas, the error
// codes each status carries. The document is the contract mini-program
// teams build against, and the tests hold every answer of the suite to it
// (internal/contract); a route the manifest has and this package does not
// describe fails the build of the document.
//
// Regenerate after a change: go generate ./shared/openapi
package apidoc

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// Helpers that build schemas the way the API validates: strings with their
// lengths, integers with their bounds, objects closed to unknown fields.

func ref(name string) *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("#/components/schemas/"+name, nil)
}

func inline(s *openapi3.Schema) *openapi3.SchemaRef { return openapi3.NewSchemaRef("", s) }

// str is a string of min to max characters.
func str(min, max int64) *openapi3.Schema {
	s := openapi3.NewStringSchema().WithMinLength(min)
	if max > 0 {
		s = s.WithMaxLength(max)
	}
	return s
}

// text is a line people type: trimmed, no control, bidi or zero-width
// characters (the server checks what a pattern cannot: it refuses those).
func text(max int64, description string) *openapi3.Schema {
	s := str(1, max)
	s.Pattern = `\S`
	s.Description = description + " At most " + itoa(max) + " characters; control, bidi and zero-width characters are refused."
	return s
}

func pattern(p, description string) *openapi3.Schema {
	s := openapi3.NewStringSchema().WithPattern(p)
	s.Description = description
	return s
}

func integer(min, max float64) *openapi3.Schema {
	return openapi3.NewIntegerSchema().WithMin(min).WithMax(max)
}

func boolean() *openapi3.Schema { return openapi3.NewBoolSchema() }

func number(min, max float64) *openapi3.Schema {
	return openapi3.NewFloat64Schema().WithMin(min).WithMax(max)
}

func enum(values ...string) *openapi3.Schema {
	s := openapi3.NewStringSchema()
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

func array(items *openapi3.SchemaRef) *openapi3.Schema {
	s := openapi3.NewArraySchema()
	s.Items = items
	return s
}

func arrayOf(items *openapi3.Schema) *openapi3.Schema { return array(inline(items)) }

// props are an object's properties, as schemas or references.
type props map[string]*openapi3.SchemaRef

// foreign is an object whose shape a provider defines: fields it adds are
// taken (and passed over), not refused.
func foreign(p props, required ...string) *openapi3.Schema {
	s := object(p, required...)
	yes := true
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: &yes}
	return s
}

// object is closed: an unknown field is an error in a request and a breach
// of the contract in an answer.
func object(p props, required ...string) *openapi3.Schema {
	s := openapi3.NewObjectSchema()
	s.Properties = openapi3.Schemas(p)
	s.Required = required
	no := false
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	return s
}

// S wraps an inline schema as a property.
func S(s *openapi3.Schema) *openapi3.SchemaRef { return inline(s) }

func describe(s *openapi3.Schema, d string) *openapi3.Schema {
	s.Description = d
	return s
}

// Formats of the API.
var (
	// beijingTime is every time an answer gives: RFC 3339, in Beijing time.
	beijingTime = func() *openapi3.Schema {
		s := openapi3.NewDateTimeSchema()
		s.Pattern = `\+08:00$`
		s.Description = "RFC 3339, Beijing time (+08:00)."
		return s
	}
	// anyTime is a time a client sends: RFC 3339 with any offset.
	anyTime = func() *openapi3.Schema {
		s := openapi3.NewDateTimeSchema()
		s.Description = "RFC 3339 with an offset, e.g. 2026-12-01T08:00:00+08:00."
		return s
	}
	id = func(d string) *openapi3.Schema {
		return describe(str(1, 64).WithPattern(`^[a-z0-9_-]+$`), d)
	}
	phone = func() *openapi3.Schema {
		return pattern(`^1[3-9][0-9]{9}$`, "A mainland mobile number, 11 digits (the server also takes +86, spaces and dashes).")
	}
	day = func() *openapi3.Schema { return openapi3.NewStringSchema().WithFormat("date") }
)

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
