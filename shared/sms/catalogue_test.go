package sms

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/chinatime"
)

func TestParts(t *testing.T) {
	cases := []struct {
		text string
		want int
	}{
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("a", 306), 2},
		{strings.Repeat("a", 307), 3},
		{strings.Repeat("封", 70), 1},
		{strings.Repeat("封", 71), 2},
		{strings.Repeat("封", 134), 2},
		{strings.Repeat("封", 135), 3},
		{strings.Repeat("a", 69) + "封", 1},
		{strings.Repeat("😷", 35), 1}, // 70 UTF-16 units
		{strings.Repeat("😷", 36), 2},
	}
	for _, c := range cases {
		if got := Parts(c.text); got != c.want {
			t.Errorf("Parts(%d runes of %q…) = %d, want %d", len([]rune(c.text)), []rune(c.text)[0], got, c.want)
		}
	}
}

// longest fills a parameter with the longest value its kind allows, made of
// characters that cost the most (UCS-2 forces 70 a part).
func longest(p Param) string {
	switch p.Kind {
	case Digits:
		return strings.Repeat("9", p.Max)
	case Code:
		return strings.Repeat("W", p.Max)
	case Decimal:
		return strings.Repeat("9", p.Max-2) + ".9"
	case Clock:
		return "12月31日23:59"
	case MaskedPhone:
		return "139****9999"
	case PublicPhone:
		return strings.Repeat("9", p.Max)
	default:
		return strings.Repeat("撤", p.Max)
	}
}

// TestEveryTemplateFitsItsParts fills every template at its longest with
// the longest signature allowed and counts its UCS-2 parts.
func TestEveryTemplateFitsItsParts(t *testing.T) {
	signature := strings.Repeat("防", MaxSignatureRunes)
	if err := CheckSignature(signature); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tpl := range Catalogue() {
		if names[tpl.Name] {
			t.Errorf("template %s twice", tpl.Name)
		}
		names[tpl.Name] = true
		if tpl.MaxParts < 1 || tpl.Purpose == "" {
			t.Errorf("%s: MaxParts %d, purpose %q", tpl.Name, tpl.MaxParts, tpl.Purpose)
		}
		var values []string
		for _, p := range tpl.Params {
			if strings.Count(tpl.Text, "{"+p.Name+"}") != 1 {
				t.Errorf("%s: {%s} appears %d times", tpl.Name, p.Name, strings.Count(tpl.Text, "{"+p.Name+"}"))
			}
			values = append(values, longest(p))
		}
		if rest := regexp.MustCompile(`\{[a-z]+\}`).FindAllString(tpl.Text, -1); len(rest) != len(tpl.Params) {
			t.Errorf("%s: placeholders %v, params %d", tpl.Name, rest, len(tpl.Params))
		}
		if strings.ContainsAny(tpl.Text, "【】[]") {
			t.Errorf("%s: brackets in the template look like a signature", tpl.Name)
		}
		m, err := fill(tpl, values...)
		if err != nil {
			t.Fatalf("%s at its longest: %v", tpl.Name, err)
		}
		text := m.Render(signature)
		if got := Parts(text); got > tpl.MaxParts {
			t.Errorf("%s: %d parts at its longest (%d characters: %s), declared %d", tpl.Name, got, utf8.RuneCountInString(text), text, tpl.MaxParts)
		}
	}
}

func TestParametersAreChecked(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 30, 0, 0, chinatime.Zone)
	good := []func() (Message, error){
		func() (Message, error) { return SignInCode("012345", 5) },
		func() (Message, error) { return BookingMoved("东门", "王伟", "西门", at, "A6AHRX") },
		func() (Message, error) { return FeverAlert("王伟", "3号楼2单元101", 37.3, "13812345678") },
		func() (Message, error) { return Notice("今晚8点起全员核酸", true) },
	}
	for i, f := range good {
		if _, err := f(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	bad := map[string]func() (Message, error){
		"code with letters":       func() (Message, error) { return SignInCode("12a456", 5) },
		"code too long":           func() (Message, error) { return SignInCode("1234567", 5) },
		"booking code lower-case": func() (Message, error) { return BookingMoved("东门", "王伟", "西门", at, "a6ahrx") },
		"site with a newline":     func() (Message, error) { return BookingMoved("东门\n【紧急】", "王伟", "西门", at, "A6AHRX") },
		"site with a link":        func() (Message, error) { return BookingMoved("东门", "王伟", "点 http://x.cn", at, "A6AHRX") },
		"site with www":           func() (Message, error) { return BookingMoved("www.x", "王伟", "西门", at, "A6AHRX") },
		"title with a phone":      func() (Message, error) { return Notice("请拨13812345678", false) },
		"title with a bidi trick": func() (Message, error) { return Notice("通知\u202e", false) },
		"title with braces":       func() (Message, error) { return Notice("{1}", false) },
		"title with brackets":     func() (Message, error) { return Notice("【某银行】", false) },
		"empty title":             func() (Message, error) { return Notice("  ", false) },
		"bad phone for the alert": func() (Message, error) { return FeverAlert("王伟", "3号楼", 38, "123") },
		"zero-width in a site":    func() (Message, error) { return BookingMoved("东\u200b门", "王伟", "西门", at, "A6AHRX") },
		"a bare domain":           func() (Message, error) { return Notice("访问 example.org 了解", false) },
		"a short link":            func() (Message, error) { return Notice("bit.ly/abc", false) },
		"a full-width dot":        func() (Message, error) { return Notice("example．com", false) },
		"an ideographic dot":      func() (Message, error) { return Notice("example。com", false) },
		"a spaced phone":          func() (Message, error) { return Notice("电话 138 0013 8000", false) },
		"a dashed phone":          func() (Message, error) { return Notice("138-0013-8000", false) },
		"full-width brackets":     func() (Message, error) { return Notice("［紧急］", false) },
		"a fake signature":        func() (Message, error) { return Notice("〖防线〗", false) },
		"an emoji":                func() (Message, error) { return Notice("封控😷通知", false) },
		"a full-width ampersand":  func() (Message, error) { return Notice("A＆B", false) },
		"a ballot box":            func() (Message, error) { return Notice("☑已完成", false) },
	}
	for name, f := range bad {
		if _, err := f(); !errors.Is(err, ErrParam) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A long title is cut to what the template allows, not refused.
	m, err := Notice(strings.Repeat("长", 50), false)
	if err != nil || utf8.RuneCountInString(m.Values()[0]) != 20 || !strings.HasSuffix(m.Values()[0], "…") {
		t.Errorf("a long title: %v %v", m.Values(), err)
	}
}

func TestSoftenKeepsAlertsGoing(t *testing.T) {
	cases := map[string]string{
		"王伟":               "王伟",
		"王&伟★":             "王 伟",
		"3号楼2单元1201":       "3号楼2单元1201",
		"李【紧急】":            "李 紧急",
		"张三 www.x.cn":      "张三",
		"赵😷":               "赵",
		"电话13812345678的住户": "电话的住户",
		"★":                "住户",
	}
	for in, want := range cases {
		got := Soften(in)
		if got != want {
			t.Errorf("Soften(%q) = %q, want %q", in, got, want)
		}
		if _, err := FeverAlert(got, got, 38.1, "13812345678"); err != nil {
			t.Errorf("a softened %q is still refused: %v", in, err)
		}
	}
}

func TestSignature(t *testing.T) {
	for sig, ok := range map[string]bool{"防线": true, "【防线】": true, "": false, "防线防线防线防线防": false, "防\n线": false, "防[线]": false} {
		if err := CheckSignature(sig); (err == nil) != ok {
			t.Errorf("CheckSignature(%q) = %v", sig, err)
		}
	}
}

// TestNoFreeTextReachesASender reads every Go file of the project and fails
// on a Message made any other way than by this package's constructors (the
// senders take only Message, whose fields nobody else can set), and on a
// provider's send API called anywhere but in an adapter of this package.
func TestNoFreeTextReachesASender(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && (info.Name() == ".cache" || info.Name() == "node_modules" || info.Name() == ".git" || info.Name() == "cdk.out") {
			return filepath.SkipDir
		}
		if info.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// Only the adapters under shared/sms call a provider's send API.
		adapter := strings.HasPrefix(filepath.ToSlash(path), "../../shared/sms/")
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if x.Sel.Name == "SendTextMessage" && !adapter {
					t.Errorf("%s: SendTextMessage outside the SMS adapters", fset.Position(x.Pos()))
				}
			case *ast.BasicLit:
				if x.Value == `"SendSms"` && !adapter {
					t.Errorf("%s: SendSms outside the SMS adapters", fset.Position(x.Pos()))
				}
			}
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Message" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "sms" {
					t.Errorf("%s: an sms.Message literal", fset.Position(lit.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
