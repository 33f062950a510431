// Package sheet reads the spreadsheets an office uploads — Excel (.xlsx),
// as the district's and the sampling system's exports come, or CSV — and
// writes exports as .xlsx, so that one parser (CSV) reads every upload.
//
// An .xlsx is a zip of XML parts (ECMA-376, "Office Open XML"); this reads
// the first sheet's cells and writes one sheet of text cells with the
// standard library only. A full spreadsheet library (excelize, used by this
// package's tests to check both directions) would double every function's
// binary: docs/benchmarks.md.
package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// MediaType is an .xlsx file's.
const MediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Limits on what an upload may unpack to: an .xlsx is a zip, and a few
// kilobytes of it can claim gigabytes (a zip bomb). Uploads are capped at a
// few megabytes by their routes; what they unpack to, at a few times that.
const (
	unzipLimit = 64 << 20
	// MaxRows is more than any register or export a community sends.
	MaxRows    = 50_000
	maxColumns = 256
	// maxCells bounds the cells (gaps filled included) and the shared
	// strings a workbook may hold: what it unpacks to in memory, not only
	// in bytes.
	maxCells = 2_000_000
)

// ErrNotASheet: the body is not an .xlsx workbook that can be read.
var ErrNotASheet = errors.New("not a readable .xlsx workbook")

func notASheet(why string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotASheet, fmt.Sprintf(why, args...))
}

// workbook is an opened .xlsx: its parts by name, each read at most once
// and within the budget of what the whole may unpack to.
type workbook struct {
	parts  map[string]*zip.File
	budget int64
}

func (w *workbook) read(name string) ([]byte, error) {
	f := w.parts[name]
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, notASheet("%s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, w.budget+1))
	if err != nil {
		return nil, notASheet("%s: %v", name, err)
	}
	if w.budget -= int64(len(b)); w.budget < 0 {
		return nil, notASheet("unpacks to more than %d MiB", unzipLimit>>20)
	}
	return b, nil
}

// CSV reads the first sheet of an .xlsx workbook as CSV: every row (an
// empty row stays, so that line n of the CSV is row n of the sheet), text
// as typed, numbers as Excel shows them without exponent, dates and times
// as 2006-01-02 15:04:05.
func CSV(xlsx []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return nil, notASheet("%v", err)
	}
	w := &workbook{parts: map[string]*zip.File{}, budget: unzipLimit}
	for _, f := range zr.File {
		w.parts[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheetPath, err := w.firstSheet()
	if err != nil {
		return nil, err
	}
	shared, err := w.sharedStrings()
	if err != nil {
		return nil, err
	}
	dates, err := w.dateStyles()
	if err != nil {
		return nil, err
	}
	data, err := w.read(sheetPath)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, notASheet("no sheet %s", sheetPath)
	}
	rows, err := readRows(data, shared, dates)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// firstSheet is the path of the workbook's first sheet, by its relation.
func (w *workbook) firstSheet() (string, error) {
	wb, err := w.read("xl/workbook.xml")
	if err != nil {
		return "", err
	}
	if wb == nil {
		return "", notASheet("no xl/workbook.xml")
	}
	var book struct {
		Sheets []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(wb, &book); err != nil || len(book.Sheets) == 0 {
		return "", notASheet("no sheet in the workbook")
	}
	rels, err := w.read("xl/_rels/workbook.xml.rels")
	if err != nil {
		return "", err
	}
	var rs struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if rels != nil && xml.Unmarshal(rels, &rs) == nil {
		for _, r := range rs.Rels {
			if r.ID == book.Sheets[0].RID {
				if strings.HasPrefix(r.Target, "/") {
					return strings.TrimPrefix(r.Target, "/"), nil
				}
				return path.Clean("xl/" + r.Target), nil
			}
		}
	}
	return "xl/worksheets/sheet1.xml", nil
}

// sharedStrings are the workbook's strings that cells name by index: each
// the text of its runs, phonetic guides (rPh) left out.
func (w *workbook) sharedStrings() ([]string, error) {
	data, err := w.read("xl/sharedStrings.xml")
	if err != nil || data == nil {
		return nil, err
	}
	var out []string
	var cur strings.Builder
	inSI, inPhonetic, inText := false, false, false
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, notASheet("sharedStrings: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "rPh":
				inPhonetic = true
			case "t":
				inText = inSI && !inPhonetic
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				if len(out) >= maxCells {
					return nil, notASheet("more than %d strings", maxCells)
				}
				out = append(out, cur.String())
			case "rPh":
				inPhonetic = false
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				cur.Write(t)
			}
		}
	}
}

// builtinDates are the number formats Excel builds in that show a date
// or a time.
var builtinDates = map[int]bool{14: true, 15: true, 16: true, 17: true, 18: true, 19: true, 20: true, 21: true, 22: true, 45: true, 46: true, 47: true}

// dateStyles says which cell styles (by index) show a date or a time.
func (w *workbook) dateStyles() (map[int]bool, error) {
	data, err := w.read("xl/styles.xml")
	if err != nil || data == nil {
		return nil, err
	}
	var st struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(data, &st); err != nil {
		return nil, notASheet("styles: %v", err)
	}
	custom := map[int]bool{}
	for _, f := range st.NumFmts {
		custom[f.ID] = isDateFormat(f.Code)
	}
	out := map[int]bool{}
	for i, x := range st.Xfs {
		if builtinDates[x.NumFmtID] || custom[x.NumFmtID] {
			out[i] = true
		}
	}
	return out, nil
}

// isDateFormat says whether a number format shows a date or time: it has
// y, m, d, h or s outside quotes, brackets and escapes (a colour, a
// currency, a literal).
func isDateFormat(code string) bool {
	quoted, bracket, escaped := false, false, false
	for _, r := range strings.ToLower(code) {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[':
			bracket = true
		case r == ']':
			bracket = false
		case bracket:
		case strings.ContainsRune("ymdhs", r):
			return true
		}
	}
	return false
}

// excelEpoch is day 0 of Excel's 1900 date system, as it counts (with its
// 29 February 1900 that never was, for serials from 61 on).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// dateOf writes an Excel serial date as Beijing wall time would be typed.
func dateOf(serial float64) string {
	if serial < 1 || serial > 2958465 { // 9999-12-31
		return strconv.FormatFloat(serial, 'f', -1, 64)
	}
	secs := math.Round(serial * 86400)
	return excelEpoch.Add(time.Duration(secs) * time.Second).Format(time.DateTime)
}

// readRows reads a sheet's cells into rows of text.
func readRows(data []byte, shared []string, dates map[int]bool) ([][]string, error) {
	var rows [][]string
	cells := 0
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		row         []string
		col, rowNum int
		typ, style  string
		value       strings.Builder
		inValue     bool
		inCell      bool
		inPhonetic  bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, notASheet("sheet: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				n := rowNum + 1
				if r := attr(t, "r"); r != "" {
					if n, err = strconv.Atoi(r); err != nil || n <= rowNum {
						return nil, notASheet("row %q out of order", r)
					}
				}
				if n > MaxRows+1 {
					return nil, notASheet("more than %d rows", MaxRows)
				}
				for rowNum+1 < n { // empty rows stay, as blank lines
					rows = append(rows, nil)
					rowNum++
				}
				rowNum, row, col = n, nil, 0
			case "c":
				inCell, typ, style = true, attr(t, "t"), attr(t, "s")
				value.Reset()
				if ref := attr(t, "r"); ref != "" {
					if col = columnOf(ref); col < 0 {
						return nil, notASheet("cell %q", ref)
					}
				}
				if col >= maxColumns {
					return nil, notASheet("more than %d columns", maxColumns)
				}
				if col < len(row) {
					return nil, notASheet("cell %q out of order", attr(t, "r"))
				}
				if cells += col + 1 - len(row); cells > maxCells {
					return nil, notASheet("more than %d cells", maxCells)
				}
			case "v", "t":
				inValue = inCell && !inPhonetic
			case "rPh":
				inPhonetic = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "c":
				text, err := cellText(typ, style, value.String(), shared, dates)
				if err != nil {
					return nil, err
				}
				for len(row) < col {
					row = append(row, "")
				}
				row = append(row, text)
				col++
				inCell = false
			case "row":
				rows = append(rows, row)
			case "v", "t":
				inValue = false
			case "rPh":
				inPhonetic = false
			}
		case xml.CharData:
			if inValue {
				value.Write(t)
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// columnOf is the 0-based column of a cell reference such as "AB12".
func columnOf(ref string) int {
	n := 0
	for i, r := range ref {
		if r >= 'A' && r <= 'Z' {
			if n = n*26 + int(r-'A'+1); n > maxColumns {
				return maxColumns
			}
			continue
		}
		if i == 0 {
			return -1
		}
		break
	}
	return n - 1
}

// cellText is a cell's value as Excel shows it, for the CSV.
func cellText(typ, style, v string, shared []string, dates map[int]bool) (string, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(shared) {
			return "", notASheet("shared string %q", v)
		}
		return shared[i], nil
	case "inlineStr", "str", "e":
		return v, nil
	case "b":
		if v == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v, nil
	}
	if s, err := strconv.Atoi(style); err == nil && dates[s] {
		return dateOf(f), nil
	}
	// A phone or a tube number typed as a number: all its digits, never
	// 1.3812341234E10.
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// XLSX writes a header and rows as a workbook of one sheet named
// sheetName. Every cell is text (an inline string): an identity or phone
// number stays as typed, and nothing is read as a formula.
func XLSX(sheetName string, header []string, rows [][]string) ([]byte, error) {
	return XLSXWithNumbers(sheetName, header, rows, nil)
}

// XLSXWithNumbers is XLSX with the columns numeric marks written as
// numbers where a cell is a whole number, so that the sheet sums them;
// every other cell is text.
func XLSXWithNumbers(sheetName string, header []string, rows [][]string, numeric []bool) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) error {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, body)
		return err
	}
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", head + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`</Types>`},
		{"_rels/.rels", head + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", head + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="` + escape(sheetName) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", head + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`</Relationships>`},
		{"xl/styles.xml", head + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
			`<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>` +
			`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
			`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
			`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
			`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>` +
			`</styleSheet>`},
	}
	for _, p := range parts {
		if err := put(p.name, p.body); err != nil {
			return nil, err
		}
	}
	var sb strings.Builder
	sb.WriteString(head + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, r := range append([][]string{header}, rows...) {
		fmt.Fprintf(&sb, `<row r="%d">`, i+1)
		for j, c := range r {
			if i > 0 && j < len(numeric) && numeric[j] && wholeNumber(c) {
				fmt.Fprintf(&sb, `<c r="%s%d"><v>%s</v></c>`, columnName(j), i+1, c)
				continue
			}
			fmt.Fprintf(&sb, `<c r="%s%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, columnName(j), i+1, escape(c))
		}
		sb.WriteString(`</row>`)
	}
	sb.WriteString(`</sheetData></worksheet>`)
	if err := put("xl/worksheets/sheet1.xml", sb.String()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// wholeNumber says whether s is an integer as a sheet writes one: an
// optional minus and up to 15 digits (all a double keeps exactly).
func wholeNumber(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 15 || (len(d) > 1 && d[0] == '0') {
		return false
	}
	return strings.Trim(d, "0123456789") == ""
}

// columnName is a 0-based column's letters: A, …, Z, AA, ….
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// escape makes text safe in XML: the markup characters escaped, and the
// control characters XML 1.0 cannot carry at all dropped.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			continue
		}
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
