package httpapi

import (
	"github.com/fangxian/fangxian/shared/apperr"

	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
)

// WriteCSV answers rows as a file Excel opens correctly: UTF-8 with a BOM,
// CRLF line ends, and no cell that Excel would read as a formula.
func WriteCSV(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	_ = cw.Write(header)
	for _, row := range rows {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = Cell(c)
		}
		_ = cw.Write(out)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// Cell keeps Excel from reading typed text as a formula (CSV injection).
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WantsCSV reads ?format=: json (the default) or csv.
func WantsCSV(r *http.Request) (bool, error) {
	q := r.URL.Query()
	switch f := q.Get("format"); {
	case !q.Has("format") || f == "json":
		return false, nil
	case f == "csv":
		return true, nil
	}
	return false, apperr.Validation.WithFields(apperr.FieldError{Field: "format", Reason: "one of json, csv"})
}
