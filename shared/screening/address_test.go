package screening

import "testing"

func TestParseAddress(t *testing.T) {
	for _, c := range []struct {
		text string
		want Address
	}{
		{"兰州市城关区东岗街道幸福里小区3号楼2单元301室", Address{"3", "2", "301"}},
		{"幸福苑三栋二单元三零二", Address{"3", "2", "302"}},
		{"和平寓 5 幢 1 单元 1101", Address{"5", "1", "1101"}},
		{"七号楼301", Address{"7", "", "301"}},
		{"十二号楼一单元一百零一室", Address{"12", "1", "101"}},
		{"幸福路12号3号楼2单元301室", Address{"3", "2", "301"}},
		{"东岗西路12号2单元402", Address{"12", "2", "402"}},
		{"二十一世纪花园二十三号楼4单元502", Address{"23", "4", "502"}},
		{"３号楼２单元３０１", Address{"3", "2", "301"}},
		{"幸福里3-2-301", Address{"3", "2", "301"}},
		{"兰州市城关区东岗街道", Address{}},
		{"幸福路12号", Address{}},
		{"", Address{}},
	} {
		if got := ParseAddress(c.text); got != c.want {
			t.Errorf("ParseAddress(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestLeadingNumber(t *testing.T) {
	for name, want := range map[string]string{"3号楼": "3", "三栋": "3", "12": "12", "A座": "", "0301": "301", "十一号楼": "11", "": ""} {
		if got := LeadingNumber(name); got != want {
			t.Errorf("LeadingNumber(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestStem(t *testing.T) {
	for name, want := range map[string]string{"杨家园社区（演示）": "杨家园", "幸福里社区": "幸福里", "和平苑": "和平", "东岗(东)社区居委会": "东岗", "社区": "社区"} {
		if got := stem(name); got != want {
			t.Errorf("stem(%q) = %q, want %q", name, got, want)
		}
	}
}
