package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
)

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here; the envelope itself always marshals.
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"INTERNAL","message":"服务内部错误，请稍后重试"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// DecodeJSON reads a JSON object body into v. Unknown fields are refused so a
// misspelt field is a clear error rather than a silent default.
func DecodeJSON(r *http.Request, v any) error { return decodeJSON(r, v, true) }

// DecodeForeignJSON reads a body whose shape a provider defines (an SMS
// provider's callback): fields it adds later are passed over, not refused,
// so that a change on their side does not stop our side.
func DecodeForeignJSON(r *http.Request, v any) error { return decodeJSON(r, v, false) }

func decodeJSON(r *http.Request, v any, strict bool) error {
	if err := requireMediaType(r, "application/json"); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	// A struct is read from an object only: null (or 0, or "") would
	// decode as nothing at all, an empty request that says nothing.
	if t := reflect.TypeOf(v); strict && t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] != '{' {
			return apperr.InvalidJSON.Wrap(errors.New("the body is not a JSON object"))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.InvalidJSON.Wrap(errors.New("trailing data after the JSON value"))
	}
	if strict {
		return exactNames(reflect.TypeOf(v), "", body)
	}
	return nil
}

// exactNames refuses a member whose name matches a field only when case
// is ignored: encoding/json takes {"kind":"receipt","KIND":"issue"} as an
// issue, while a reader of the document sees a receipt.
func exactNames(t reflect.Type, at string, raw []byte) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil {
			return nil // null, or decoded by the field's own rules
		}
		fields := jsonFields(t)
		for name, value := range members {
			ft, ok := fields[name]
			if !ok {
				return apperr.Validation.WithFields(apperr.FieldError{Field: at + name, Reason: "unknown field"})
			}
			if err := exactNames(ft, at+name+".", value); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, item := range items {
			if err := exactNames(t.Elem(), strings.TrimSuffix(at, ".")+"["+strconv.Itoa(i)+"].", item); err != nil {
				return err
			}
		}
	case reflect.Map:
		var values map[string]json.RawMessage
		if json.Unmarshal(raw, &values) != nil {
			return nil
		}
		for k, value := range values {
			if err := exactNames(t.Elem(), at+k+".", value); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields are a struct's members by their JSON names (embedded
// structs' too).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for name, typ := range jsonFields(ft) {
					out[name] = typ
				}
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		out[tag] = f.Type
	}
	return out
}

// ReadBody reads a whole body of the given media type, within the route's limit.
func ReadBody(r *http.Request, mediaType string) ([]byte, error) {
	if err := requireMediaType(r, mediaType); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, decodeError(err)
	}
	return b, nil
}

// requireMediaType refuses a body not labelled as the route's media type.
// Browsers send text/plain and form bodies to any site without asking it
// first (no CORS preflight); a JSON API that parsed them would take requests
// a page elsewhere makes in a signed-in user's name.
func requireMediaType(r *http.Request, want string) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != want {
		return apperr.UnsupportedMedia.Wrap(errors.New("content type " + ct)).
			WithFields(apperr.FieldError{Field: "Content-Type", Reason: "send " + want})
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return apperr.UnsupportedMedia.Wrap(errors.New("charset " + cs)).
			WithFields(apperr.FieldError{Field: "Content-Type", Reason: "charset utf-8"})
	}
	return nil
}

// jsonType names a Go kind the way a JSON client knows it.
func jsonType(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return "a value"
	default:
		return "integer"
	}
}

func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apperr.BodyTooLarge.Wrap(err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return apperr.Validation.Wrap(err).WithFields(apperr.FieldError{Field: typeErr.Field, Reason: "wrong type, want " + jsonType(typeErr.Type.Kind())})
	}
	// encoding/json names an unknown field only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if field, uerr := strconv.Unquote(name); uerr == nil {
			return apperr.Validation.Wrap(err).WithFields(apperr.FieldError{Field: field, Reason: "unknown field"})
		}
	}
	return apperr.InvalidJSON.Wrap(err)
}
