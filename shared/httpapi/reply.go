package httpapi

import (
	"github.com/fangxian/fangxian/shared/sheet"

	"encoding/json"
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
)

// Reply is a route whose answer is what do returns: JSON with status, or an
// Answer that writes itself (a CSV file, another status). An error is
// answered as every error is.
func Reply(status int, do func(r *http.Request) (any, error)) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		out, err := do(r)
		if err != nil {
			return err
		}
		if c, ok := out.(CSV); ok && r.URL.Query().Get("format") == "xlsx" {
			return WriteXLSX(w, c.Filename, c.Header, c.Rows)
		}
		if a, ok := out.(Answer); ok {
			return a.Write(w)
		}
		// Marshalled before anything is written: an answer that cannot be
		// (a bug) is answered as every error is, logged with its request.
		body, err := json.Marshal(out)
		if err != nil {
			return apperr.Internal.Wrap(err)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return nil
	})
}

// ReplyTo is Reply for a route with a JSON body: the body is decoded into a
// new In (unknown fields refused, as DecodeJSON does) before do sees it.
func ReplyTo[In any](status int, do func(r *http.Request, in *In) (any, error)) http.Handler {
	return Reply(status, func(r *http.Request) (any, error) {
		in := new(In)
		if err := DecodeJSON(r, in); err != nil {
			return nil, err
		}
		return do(r, in)
	})
}

// Answer is a reply that is not the route's JSON: it writes itself.
type Answer interface {
	Write(w http.ResponseWriter) error
}

// CSV is a reply that is a file Excel opens (see WriteCSV).
type CSV struct {
	Filename string
	Header   []string
	Rows     [][]string
}

// Write answers the file.
func (c CSV) Write(w http.ResponseWriter) error { return WriteCSV(w, c.Filename, c.Header, c.Rows) }

// Workbook is an answer that is an Excel workbook of one sheet whose
// Numeric columns hold numbers (a report a sheet sums), the rest text.
type Workbook struct {
	Filename string
	Sheet    string
	Header   []string
	Rows     [][]string
	Numeric  []bool
}

// Write answers the workbook.
func (b Workbook) Write(w http.ResponseWriter) error {
	body, err := sheet.XLSXWithNumbers(b.Sheet, b.Header, b.Rows, b.Numeric)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", sheet.MediaType)
	w.Header().Set("Content-Disposition", attachment(b.Filename))
	_, _ = w.Write(body)
	return nil
}

// Status is a JSON reply with a status other than the route's, or with
// headers of its own.
type Status struct {
	Code    int
	Body    any
	Headers map[string]string
}

// Write answers the body with the status and headers.
func (s Status) Write(w http.ResponseWriter) error {
	for k, v := range s.Headers {
		w.Header().Set(k, v)
	}
	WriteJSON(w, s.Code, s.Body)
	return nil
}

// PathID reads the path's id called name. An id is 1 to 64 of a-z, 0-9,
// '-' and '_': anything else cannot name a thing, so it is no route's
// (404), and never reaches a key.
func PathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !ValidID(id) {
		return "", apperr.NotFound
	}
	return id, nil
}

// OptionalQuery reads a query parameter a request may leave out; given,
// it may not be empty (?day= is a mistake, not "today").
func OptionalQuery(r *http.Request, name, reason string) (string, error) {
	q := r.URL.Query()
	if q.Has(name) && q.Get(name) == "" {
		return "", apperr.Validation.WithFields(apperr.FieldError{Field: name, Reason: reason})
	}
	return q.Get(name), nil
}

// ValidID says whether s could be one of our ids (guards keys built from
// input).
func ValidID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
