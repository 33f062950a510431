package registry

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/apperr"
)

func TestParseCSVHeaders(t *testing.T) {
	cases := []struct {
		name string
		file string
	}{
		{"chinese with BOM", "\ufeff楼栋,单元,房号,姓名,手机号,出生年份,标记\n3号楼,1,101,王芳,138-1234-5678,1980,慢病；独居\n"},
		{"english, other order, spaces", "Name, Building ,unit,ROOM,phone,birthYear,flags\n王芳,3号楼,1,101,+86 13812345678,1980,chronic;alone\n"},
		{"crlf line ends", "楼栋,单元,房号,姓名,手机号,出生年份,标记\r\n3号楼,1,101,王芳,13812345678,1980,alone;chronic\r\n"},
	}
	want := Row{Line: 2, Building: "3号楼", Unit: "1", Room: "101", Name: "王芳", Phone: "13812345678", BirthYear: 1980}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, errs, err := ParseCSV([]byte(c.file), 2026)
			if err != nil || len(errs) > 0 || len(rows) != 1 {
				t.Fatalf("rows %v, line errors %v, err %v", rows, errs, err)
			}
			got := rows[0]
			slices.Sort(got.Flags)
			if !slices.Equal(got.Flags, []Flag{FlagAlone, FlagChronic}) {
				t.Errorf("flags %v", got.Flags)
			}
			got.Flags = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("row %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseCSVOptionalColumnsMayBeAbsent(t *testing.T) {
	rows, errs, err := ParseCSV([]byte("building,unit,room,name\n1号楼,,101,李四\n"), 2026)
	if err != nil || len(errs) > 0 || len(rows) != 1 || rows[0].Unit != "" || rows[0].Phone != "" {
		t.Fatalf("rows %v, errs %v, err %v", rows, errs, err)
	}
}

func TestParseCSVLineErrors(t *testing.T) {
	file := strings.Join([]string{
		"楼栋,单元,房号,姓名,手机号,出生年份,标记",
		"1号楼,1,101,张三,13812345678,1980,",         // 2 ok
		"1号楼,1,102,,13812345679,1980,",           // 3 no name
		"1号楼,1,103,李四,12345,1980,",               // 4 bad phone
		"1号楼,1,104,王五,,1880,",                    // 5 bad year
		"1号楼,1,105,赵六,,2030,",                    // 6 future year
		"1号楼,1,106,钱七,,,发烧",                      // 7 unknown flag
		"1号楼,1,107,孙八",                           // 8 too few fields
		"",                                       // 9 blank: skipped
		",,,,,,",                                 // 10 blank: skipped
		"1号楼,1,108,\"周\n九\",,,",                  // 11-12 a control character inside a quoted name
		strings.Repeat("长", 33) + ",1,109,吴十,,,", // 13 building too long
		",1,110,郑十一,,,",                          // 14 no building
		"1号楼,1,111,冯十二,13812345680,1990,孕妇",      // 15 ok
	}, "\n")
	rows, errs, err := ParseCSV([]byte(file), 2026)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{2, 15}) {
		t.Errorf("valid lines %v, want [2 15]", lines)
	}
	want := []apperr.FieldError{
		{Line: 3, Field: "name"}, {Line: 4, Field: "phone"}, {Line: 5, Field: "birthYear"}, {Line: 6, Field: "birthYear"},
		{Line: 7, Field: "flags"}, {Line: 8, Field: "line"}, {Line: 11, Field: "name"}, {Line: 13, Field: "building"}, {Line: 14, Field: "building"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %+v, want %d of them", errs, len(want))
	}
	for i, w := range want {
		if errs[i].Line != w.Line || errs[i].Field != w.Field || errs[i].Reason == "" {
			t.Errorf("error %d: %+v, want line %d field %s with a reason", i, errs[i], w.Line, w.Field)
		}
	}
}

func TestParseCSVFileErrors(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"unknown column": "楼栋,单元,房号,姓名,身份证\n",
		"missing column": "楼栋,房号,姓名\n",
		"twice":          "楼栋,building,单元,房号,姓名\n",
		"not utf-8":      "\xc2\xa5\xff\xfe,unit,room,name\n",
	}
	for name, file := range cases {
		_, _, err := ParseCSV([]byte(file), 2026)
		if e := apperr.As(err); err == nil || e.Code != "IMPORT_FILE_INVALID" || len(e.Fields) == 0 {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestIDsNest(t *testing.T) {
	b := BuildingID("c1", "3号楼")
	h := HouseholdID(b, "1", "101")
	r := ResidentID(h, "王芳")
	if BuildingOf(h) != b || BuildingOf(r) != b || HouseholdOf(r) != h {
		t.Fatalf("ids do not nest: %s %s %s", b, h, r)
	}
	if !ValidID(b) || !ValidID(h) || !ValidID(r) || ValidID("a#b") || ValidID("") {
		t.Fatal("ValidID")
	}
	if BuildingID("c1", "3号楼") != b || BuildingID("c2", "3号楼") == b {
		t.Fatal("building ids must be stable and per community")
	}
}

func TestNaturalLess(t *testing.T) {
	cases := [][2]string{{"2号楼", "10号楼"}, {"1号楼", "1号楼A"}, {"9", "10"}, {"10号楼", "东区"}}
	for _, c := range cases {
		if !NaturalLess(c[0], c[1]) || NaturalLess(c[1], c[0]) {
			t.Errorf("%q should come before %q", c[0], c[1])
		}
	}
}

func TestTheCareFlagsOfTheImport(t *testing.T) {
	rows, errs, err := ParseCSV([]byte("楼栋,单元,房号,姓名,标记\n3号楼,1,101,王芳,透析；吸氧\n3号楼,1,102,李四,化疗;胰岛素;残疾\n3号楼,1,103,小宝,婴幼儿\n"), 2026)
	if err != nil || len(errs) > 0 || len(rows) != 3 {
		t.Fatalf("%v %v %d", err, errs, len(rows))
	}
	for i, want := range [][]Flag{{FlagDialysis, FlagOxygen}, {FlagChemotherapy, FlagInsulin, FlagDisability}, {FlagInfant}} {
		if !slices.Equal(rows[i].Flags, want) {
			t.Errorf("row %d: %v, want %v", i, rows[i].Flags, want)
		}
	}
}
