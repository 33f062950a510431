package registry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/phone"
)

// Row is one valid line of an import file.
type Row struct {
	Line      int
	Building  string
	Unit      string
	Room      string
	Name      string
	Phone     string
	BirthYear int
	Flags     []Flag
}

// MaxImportRows bounds one file: a community is ~8,000 residents, and a file
// this long imports well inside the 28 s an HTTP function has (12,000 rows
// took 13 s against DynamoDB Local on 2 cores; see docs/benchmarks.md).
const MaxImportRows = 12000

// Errors of the import file as a whole.
var (
	ErrImportFile = apperr.New(apperr.KindInvalid, "IMPORT_FILE_INVALID", "导入文件格式有误", "The import file is not valid")
)

// columns maps each accepted header, Chinese or English, to its field.
var columns = map[string]string{
	"楼栋": "building", "building": "building",
	"单元": "unit", "unit": "unit",
	"房号": "room", "room": "room",
	"姓名": "name", "name": "name",
	"手机号": "phone", "phone": "phone",
	"出生年份": "birthYear", "birthyear": "birthYear",
	"标记": "flags", "flags": "flags",
}

var requiredColumns = []string{"building", "unit", "room", "name"}

var flagNames = map[string]Flag{
	"卧床": FlagBedridden, "bedridden": FlagBedridden,
	"孕妇": FlagPregnant, "pregnant": FlagPregnant,
	"慢病": FlagChronic, "chronic": FlagChronic,
	"独居": FlagAlone, "alone": FlagAlone,
	"透析": FlagDialysis, "dialysis": FlagDialysis,
	"化疗": FlagChemotherapy, "放化疗": FlagChemotherapy, "chemotherapy": FlagChemotherapy,
	"吸氧": FlagOxygen, "家庭氧疗": FlagOxygen, "oxygen": FlagOxygen,
	"胰岛素": FlagInsulin, "insulin": FlagInsulin,
	"残疾": FlagDisability, "残障": FlagDisability, "disability": FlagDisability,
	"婴幼儿": FlagInfant, "婴儿": FlagInfant, "infant": FlagInfant,
}

// ParseCSV reads an import file: UTF-8 with or without BOM, one header row.
// Lines that fail validation are reported (line, field, reason) and left out;
// a problem with the file as a whole is an error.
func ParseCSV(data []byte, thisYear int) ([]Row, []apperr.FieldError, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Field: "file", Reason: "not UTF-8: save the sheet as \"CSV UTF-8\""})
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Line: 1, Field: "file", Reason: "empty file"})
	}
	if err != nil {
		return nil, nil, ErrImportFile.Wrap(err).WithFields(apperr.FieldError{Line: 1, Field: "header", Reason: "not a CSV header line"})
	}
	index := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		field, ok := columns[key]
		if !ok {
			return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Line: 1, Field: "header", Reason: fmt.Sprintf("unknown column %.32q", h)})
		}
		if _, dup := index[field]; dup {
			return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Line: 1, Field: "header", Reason: fmt.Sprintf("column %.32q twice", h)})
		}
		index[field] = i
	}
	for _, c := range requiredColumns {
		if _, ok := index[c]; !ok {
			return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Line: 1, Field: "header", Reason: "missing column " + c})
		}
	}

	var rows []Row
	var errs []apperr.FieldError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				errs = append(errs, apperr.FieldError{Line: perr.Line, Field: "line", Reason: perr.Err.Error()})
				continue
			}
			return nil, nil, ErrImportFile.Wrap(err)
		}
		if len(rows)+len(errs) >= MaxImportRows {
			return nil, nil, ErrImportFile.WithFields(apperr.FieldError{Line: line, Field: "file", Reason: fmt.Sprintf("more than %d lines: split the file", MaxImportRows)})
		}
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			errs = append(errs, apperr.FieldError{Line: line, Field: "line", Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		row, lineErrs := parseRow(rec, index, line, thisYear)
		if len(lineErrs) > 0 {
			errs = append(errs, lineErrs...)
			continue
		}
		rows = append(rows, row)
	}
	return rows, errs, nil
}

// normalizeUnit makes the ways people write a unit number one: full-width
// digits become ASCII, and a number loses its leading zeros ("01" is unit 1).
func normalizeUnit(s string) string {
	s = asciiDigits(s)
	if s == "" {
		return s
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return s
		}
	}
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return "0"
}

// asciiDigits turns full-width digits (０-９, typed on Chinese keyboards) into ASCII.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parseRow(rec []string, index map[string]int, line, thisYear int) (Row, []apperr.FieldError) {
	get := func(field string) string {
		if i, ok := index[field]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var errs []apperr.FieldError
	fail := func(field, reason string) {
		errs = append(errs, apperr.FieldError{Line: line, Field: field, Reason: reason})
	}
	row := Row{Line: line, Building: get("building"), Unit: normalizeUnit(get("unit")), Room: asciiDigits(get("room")), Name: get("name")}

	text := func(field, v string, required bool, max int) {
		switch {
		case v == "" && required:
			fail(field, "required")
		case utf8.RuneCountInString(v) > max:
			fail(field, fmt.Sprintf("longer than %d characters", max))
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			fail(field, "has control characters")
		}
	}
	text("building", row.Building, true, 32)
	text("unit", row.Unit, false, 16)
	text("room", row.Room, true, 16)
	text("name", row.Name, true, 32)

	if v := get("phone"); v != "" {
		p, err := phone.Normalize(v)
		if err != nil {
			fail("phone", "not a mainland mobile number")
		}
		row.Phone = p
	}
	if v := get("birthYear"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1900 || y > thisYear {
			fail("birthYear", fmt.Sprintf("a year from 1900 to %d", thisYear))
		}
		row.BirthYear = y
	}
	if v := get("flags"); v != "" {
		seen := map[Flag]bool{}
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' }) {
			f, ok := flagNames[strings.ToLower(strings.TrimSpace(part))]
			if !ok {
				// One reason per field, quoting at most a few characters:
				// the answer stays small whatever the line holds.
				fail("flags", fmt.Sprintf("unknown flag %.16q (卧床/bedridden, 孕妇/pregnant, 慢病/chronic, 独居/alone)", strings.TrimSpace(part)))
				break
			}
			if !seen[f] {
				seen[f] = true
				row.Flags = append(row.Flags, f)
			}
		}
	}
	return row, errs
}
