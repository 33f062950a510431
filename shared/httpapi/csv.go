package httpapi

import (
	"mime"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/sheet"

	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// WriteCSV answers rows as a file Excel opens correctly: UTF-8 with a BOM,
// CRLF line ends, and no cell that Excel would read as a formula.
func WriteCSV(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	// The header too: a list's own columns come from its sender.
	head := make([]string, len(header))
	for i, c := range header {
		head[i] = Cell(c)
	}
	_ = cw.Write(head)
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
	w.Header().Set("Content-Disposition", attachment(filename))
	_, _ = w.Write(buf.Bytes())
	return nil
}

// attachment is a Content-Disposition for a file of that name: an ASCII
// name for old clients, the whole name in UTF-8 (RFC 6266, RFC 5987) for
// the rest.
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, name)
	if ext := path.Ext(name); strings.TrimSuffix(ascii, ext) == "" || strings.HasPrefix(ascii, ".") {
		ascii = "export" + ext
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + strings.ReplaceAll(url.QueryEscape(name), "+", "%20")
}

// Cell keeps Excel from reading typed text as a formula (CSV injection).
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WantsCSV reads ?format=: json (the default), or a file: csv or xlsx (a
// CSV reply is written as an Excel workbook when xlsx is asked for).
func WantsCSV(r *http.Request) (bool, error) {
	q := r.URL.Query()
	switch f := q.Get("format"); {
	case !q.Has("format") || f == "json":
		return false, nil
	case f == "csv" || f == "xlsx":
		return true, nil
	}
	return false, apperr.Validation.WithFields(apperr.FieldError{Field: "format", Reason: "one of json, csv, xlsx"})
}

// WriteXLSX answers rows as an Excel workbook of one sheet, every cell
// text.
func WriteXLSX(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	b, err := sheet.XLSX("Sheet1", header, rows)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", sheet.MediaType)
	w.Header().Set("Content-Disposition", attachment(strings.TrimSuffix(filename, ".csv")+".xlsx"))
	_, _ = w.Write(b)
	return nil
}

// ReadTable reads a spreadsheet body as CSV: a CSV body as it is, an Excel
// workbook (.xlsx) as the CSV of its first sheet.
func ReadTable(r *http.Request) ([]byte, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != sheet.MediaType {
		return ReadBody(r, "text/csv")
	}
	b, err := ReadBody(r, sheet.MediaType)
	if err != nil {
		return nil, err
	}
	out, err := sheet.CSV(b)
	if err != nil {
		return nil, apperr.Validation.Wrap(err).WithFields(apperr.FieldError{Field: "body", Reason: "an Excel workbook (.xlsx, its first sheet) or CSV"})
	}
	return out, nil
}
