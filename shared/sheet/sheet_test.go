package sheet_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/fangxian/fangxian/shared/sheet"
)

// TestAWorkbookFromExcelReadsAsCSV: a workbook made by a full spreadsheet
// library, as offices' exports come (shared strings, a phone typed as a
// number, a date cell, a gap of a row and of a column), reads as CSV with
// line n the sheet's row n.
func TestAWorkbookFromExcelReadsAsCSV(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "采样记录"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetRow("采样记录", "A1", &[]any{"姓名", "手机号", "采集时间", "试管码", "备注"}))
	must(f.SetSheetRow("采样记录", "A2", &[]any{"王芳", 13812341234, time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC), "GZ0001", "a,b \"q\""}))
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	must(err)
	must(f.SetCellStyle("采样记录", "C2", "C2", dateStyle))
	must(f.SetCellValue("采样记录", "A4", "李雷"))
	must(f.SetCellValue("采样记录", "D4", "GZ0002"))
	must(f.SetCellValue("采样记录", "E4", 36.6))
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := sheet.CSV(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Line by line: the empty third row stays a blank line.
	var got [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		r := csv.NewReader(strings.NewReader(line))
		rec, err := r.Read()
		if line == "" {
			rec, err = []string{""}, nil
		}
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, rec)
	}
	want := [][]string{
		{"姓名", "手机号", "采集时间", "试管码", "备注"},
		{"王芳", "13812341234", "2026-12-06 09:30:00", "GZ0001", "a,b \"q\""},
		{""},
		{"李雷", "", "", "GZ0002", "36.6"},
	}
	if len(got) != len(want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}

// TestAnExportOpensInExcel: what XLSX writes, a full spreadsheet library
// reads back cell for cell, every cell text (no formula, a phone as typed),
// and CSV reads it too.
func TestAnExportOpensInExcel(t *testing.T) {
	header := []string{"试管码", "结果", "手机号", "备注"}
	rows := [][]string{{"GZ0001", "阴性", "13812341234", "=HYPERLINK(\"x\")"}, {"GZ0002", "混管阳性", "", "<b>&amp;\x07"}}
	b, err := sheet.XLSX("Sheet1", header, rows)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || !slices.Equal(all[0], header) || !slices.Equal(all[1], rows[0]) || all[2][3] != "<b>&amp;" {
		t.Fatalf("read back %q", all)
	}
	if formula, _ := f.GetCellFormula("Sheet1", "D2"); formula != "" {
		t.Errorf("a cell became a formula: %q", formula)
	}
	if typ, _ := f.GetCellType("Sheet1", "C2"); typ != excelize.CellTypeInlineString {
		t.Errorf("a phone's cell is of type %v, want text", typ)
	}
	out, err := sheet.CSV(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "试管码,结果,手机号,备注\nGZ0001,阴性,13812341234,") {
		t.Fatalf("CSV of the export: %q", out)
	}
}

func TestWhatIsNotAWorkbookIsRefused(t *testing.T) {
	zipOf := func(files map[string]string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range files {
			w, _ := zw.Create(name)
			_, _ = w.Write([]byte(body))
		}
		_ = zw.Close()
		return buf.Bytes()
	}
	book := `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>`
	// A sheet of 70 MiB that zips to a few hundred kilobytes.
	bomb := zipOf(map[string]string{"xl/workbook.xml": book,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>` + strings.Repeat(" ", 70<<20) + `</t></is></c></row></sheetData></worksheet>`})
	for name, body := range map[string][]byte{
		"empty":                  nil,
		"a CSV":                  []byte("试管码,结果\nGZ0001,阴性\n"),
		"a zip, no workbook":     zipOf(map[string]string{"a.txt": "x"}),
		"a workbook, no sheet":   zipOf(map[string]string{"xl/workbook.xml": book}),
		"unpacks too big":        bomb,
		"a string index past":    zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c t="s"><v>7</v></c></row></sheetData></worksheet>`}),
		"rows out of order":      zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="5"/><row r="2"/></sheetData></worksheet>`}),
		"a row a million down":   zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1000000"/></sheetData></worksheet>`}),
		"a column past the last": zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c r="XFD1"><v>1</v></c></row></sheetData></worksheet>`}),
		"not XML":                zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row>`}),
		"cells out of order":     zipOf(map[string]string{"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c r="C1"><v>1</v></c><c r="A1"><v>2</v></c></row></sheetData></worksheet>`}),
		"a million empty strings": zipOf(map[string]string{"xl/workbook.xml": book, "xl/sharedStrings.xml": "<sst>" + strings.Repeat("<si/>", 2_000_001) + "</sst>",
			"xl/worksheets/sheet1.xml": `<worksheet><sheetData/></worksheet>`}),
		"rows padded to the last column": zipOf(map[string]string{"xl/workbook.xml": book,
			"xl/worksheets/sheet1.xml": `<worksheet><sheetData>` + strings.Repeat(`<row><c r="IV1"/></row>`, 8000) + `</sheetData></worksheet>`}),
	} {
		if _, err := sheet.CSV(body); !errors.Is(err, sheet.ErrNotASheet) {
			t.Errorf("%s (%d bytes): %v", name, len(body), err)
		}
	}
}
