package httpapi

import (
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
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.InvalidJSON.Wrap(errors.New("trailing data after the JSON value"))
	}
	return nil
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
