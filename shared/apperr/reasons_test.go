package apperr

import (
	"strings"
	"testing"
)

func TestReasonsInChinese(t *testing.T) {
	cases := map[string]string{
		"required":              "必填",
		"at most 64 characters": "最多64个字符",
		"a name or its first characters: at most 32 characters": "姓名或姓名开头：最多32个字符",
		"from 34 to 43 °C":    "34到43摄氏度之间",
		"from 5 to 240":       "5到240之间",
		`unknown column "楼号"`: `不认识的列 "楼号"`,
		"check-in is taken from 11-30 07:30 to 11-30 20:00": "签到时间为 11-30 07:30 至 11-30 20:00",
		"today's previous reading was 36.5 °C":              "今日上次报备为36.5摄氏度",
		"has an invisible or control character (U+202E)":    "含有不可见字符或控制字符（U+202E）",
		"unknown field": "不认识的字段",
	}
	for en, want := range cases {
		if got := ReasonIn("zh", en); got != want {
			t.Errorf("%q: %q, want %q", en, got, want)
		}
		if got := ReasonIn("en", en); got != en {
			t.Errorf("en %q: %q", en, got)
		}
	}
	if got := ReasonIn("zh", "something new"); got != "something new" {
		t.Errorf("an untranslated reason: %q", got)
	}
	// Every pattern, filled with sample values, translates.
	fill := strings.NewReplacer("%d", "12", "%q", `"x"`, "%s", "required", "%t", "abc")
	for _, e := range reasonsZH {
		if got, ok := translate(fill.Replace(e[0])); !ok || got == "" {
			t.Errorf("pattern %q does not translate its own sample", e[0])
		}
	}
}
