package safetext

import "testing"

func TestLine(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		want string
	}{
		{"  东门采样点 ", true, "东门采样点"},
		{"3号楼 A座", true, "3号楼 A座"},
		{"第5轮（加急）", true, "第5轮（加急）"},
		{"东门\n【紧急】请点 http://x", false, ""},
		{"东\r门", false, ""},
		{"a\u202eevil", false, ""}, // right-to-left override
		{"东\u200b门", false, ""},    // zero-width space
		{"东\u200d门", false, ""},    // zero-width joiner
		{"\ufeff东门", false, ""},    // BOM
		{"东\u2028门", false, ""},    // line separator
		{"东\ue000门", false, ""},    // private use
		{"tab\there", false, ""},
		{"", false, ""},
		{"一二三四五六七八九十一", false, ""}, // 11 > 10
	}
	for _, c := range cases {
		got, p := Line(c.in, 10, true)
		if (p == "") != c.ok {
			t.Errorf("Line(%q) = %q, problem %q; want ok=%v", c.in, got, p, c.ok)
		}
		if c.ok && got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTextAllowsLineBreaksOnly(t *testing.T) {
	if _, p := Text("第一行\r\n第二行", 100, true); p != "" {
		t.Errorf("line breaks refused: %s", p)
	}
	for _, bad := range []string{"a\u202eb", "a\x00b", "a\tb", "a\u200bb"} {
		if _, p := Text(bad, 100, true); p == "" {
			t.Errorf("Text(%q) accepted", bad)
		}
	}
}

func TestIdeographicSpaceIsText(t *testing.T) {
	if _, p := Line("东门　采样点", 10, true); p != "" {
		t.Errorf("U+3000 refused: %s", p)
	}
	if _, p := Line("东\u0378门", 10, true); p == "" {
		t.Error("an unassigned code point accepted")
	}
}
