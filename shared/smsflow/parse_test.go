package smsflow_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/smsflow"
)

func TestParse(t *testing.T) {
	cases := []struct {
		text string
		want smsflow.Command
	}{
		{"预约", smsflow.Command{Kind: smsflow.Book}},
		{" 预约 2 ", smsflow.Command{Kind: smsflow.Book, Member: 2}},
		{"预约２", smsflow.Command{Kind: smsflow.Book, Member: 2}},
		{"book", smsflow.Command{Kind: smsflow.Book}},
		{"ＢＯＯＫ", smsflow.Command{Kind: smsflow.Book}},
		{"books", smsflow.Command{}},
		{"预约 明天", smsflow.Command{}},
		{"取消", smsflow.Command{Kind: smsflow.Cancel}},
		{"Cancel 1", smsflow.Command{Kind: smsflow.Cancel, Member: 1}},
		{"查询", smsflow.Command{Kind: smsflow.Query}},
		{"通行证", smsflow.Command{Kind: smsflow.Pass}},
		{"通行码", smsflow.Command{Kind: smsflow.Pass}},
		{"pass", smsflow.Command{Kind: smsflow.Pass}},
		{"通行证 2", smsflow.Command{}},
		{"体温 36.5", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.5}},
		{"体温36.5", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.5}},
		{"体温：３６．８", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.8}},
		{"体温 ３６．８", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.8}},
		{"体温 36。8", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.8}},
		{"体温 37 2", smsflow.Command{Kind: smsflow.Temp, Celsius: 37, Member: 2}},
		{"temp 38.1", smsflow.Command{Kind: smsflow.Temp, Celsius: 38.1}},
		{"体温", smsflow.Command{}},
		{"体温 NaN", smsflow.Command{}},
		{"体温 38，2", smsflow.Command{Kind: smsflow.Temp, Celsius: 38.2}},
		{"体温 38,2 2", smsflow.Command{Kind: smsflow.Temp, Celsius: 38.2, Member: 2}},
		{"体温 36.5℃", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.5}},
		{"体温36.5度", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.5}},
		{"体温 36.5 无", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.5, Symptoms: []string{"none"}}},
		{"体温 37.8 咳嗽", smsflow.Command{Kind: smsflow.Temp, Celsius: 37.8, Symptoms: []string{"cough"}}},
		{"体温37.8咳嗽乏力", smsflow.Command{Kind: smsflow.Temp, Celsius: 37.8, Symptoms: []string{"cough", "fatigue"}}},
		{"体温 36.9 咽痛、嗅觉减退 2", smsflow.Command{Kind: smsflow.Temp, Celsius: 36.9, Member: 2, Symptoms: []string{"sore_throat", "smell_taste"}}},
		{"体温 36.9 头痛", smsflow.Command{}},
		{"体温 36.9 cough", smsflow.Command{}},
		{"预\u200b约", smsflow.Command{Kind: smsflow.Book}},
		{"订", smsflow.Command{Kind: smsflow.Order}},
		{"订 1x2 3", smsflow.Command{Kind: smsflow.Order, Lines: []smsflow.Line{{1, 2}, {3, 1}}}},
		{"订 1×2，2*3", smsflow.Command{Kind: smsflow.Order, Lines: []smsflow.Line{{1, 2}, {2, 3}}}},
		{"ORDER 2X1", smsflow.Command{Kind: smsflow.Order, Lines: []smsflow.Line{{2, 1}}}},
		{"订 0x1", smsflow.Command{}},
		{"订 1x999", smsflow.Command{}},
		{"求助 需要透析", smsflow.Command{Kind: smsflow.Help, Text: "需要透析"}},
		{"HELP my mother fell", smsflow.Command{Kind: smsflow.Help, Text: "my mother fell"}},
		{"help", smsflow.Command{Kind: smsflow.Keywords}},
		{"是", smsflow.Command{Kind: smsflow.Yes}},
		{"YES", smsflow.Command{Kind: smsflow.Yes}},
		{"yesterday", smsflow.Command{}},
		{"否", smsflow.Command{Kind: smsflow.No}},
		{"no", smsflow.Command{Kind: smsflow.No}},
		{"到岗 123456", smsflow.Command{Kind: smsflow.CheckIn, Code: "123456"}},
		{"check in １２３４５６", smsflow.Command{Kind: smsflow.CheckIn, Code: "123456"}},
		{"到岗 12345", smsflow.Command{}},
		{"离岗 654321", smsflow.Command{Kind: smsflow.CheckOut, Code: "654321"}},
		{"订阅", smsflow.Command{Kind: smsflow.Start}},
		{"start", smsflow.Command{Kind: smsflow.Start}},
		{"你好", smsflow.Command{}},
		{"", smsflow.Command{}},
	}
	for _, c := range cases {
		if got := smsflow.Parse(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

// FuzzParse: no input panics, a command's fields are within their bounds,
// and a help request's text is valid UTF-8 without control characters.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"预约", "预约 2", "体温 36.5", "体温３６．５", "订 1x2 3*1", "求助 需要透析", "是", "否", "到岗 123456",
		"TD", "订阅", "CHECK IN 000000", "temp 38", "HELP", "ſes", "预约\u202e2", "体温 1e309", "订 99x99 " + strings.Repeat("1 ", 20)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := smsflow.Parse(text)
		switch c.Kind {
		case smsflow.Unknown:
			if !reflect.DeepEqual(c, smsflow.Command{}) {
				t.Fatalf("an unknown reply carries %+v", c)
			}
		case smsflow.Temp:
			if c.Celsius < 30 || c.Celsius != c.Celsius {
				t.Fatalf("temperature %v", c.Celsius)
			}
		case smsflow.Order:
			if len(c.Lines) > smsflow.MaxLines {
				t.Fatalf("%d lines", len(c.Lines))
			}
			for _, l := range c.Lines {
				if l.Item < 1 || l.Item > 99 || l.Quantity < 1 || l.Quantity > 99 {
					t.Fatalf("line %+v", l)
				}
			}
		case smsflow.Help:
			if !utf8.ValidString(c.Text) || strings.ContainsFunc(c.Text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("help text %q", c.Text)
			}
		}
		if c.Member < 0 || c.Member > 9 {
			t.Fatalf("member %d", c.Member)
		}
	})
}
