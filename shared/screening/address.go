package screening

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Address is what a list's free-text 现住址 says of a door: the building's
// number, the unit and the room, each empty when the text does not say.
type Address struct {
	Building string
	Unit     string
	Room     string
}

// Complete says whether the address names a door: a building and a room.
func (a Address) Complete() bool { return a.Building != "" && a.Room != "" }

// numeral is a number as a list writes it: Arabic digits, full-width
// digits, or Chinese numerals (三, 十二, 二十三, 一百零一, 三零一).
const numeral = `[0-9０-９零〇一二两三四五六七八九十百]+`

// doorRE reads, after the estate's name (…寓, …苑, …小区), a building
// (号楼, 栋, 幢, 座), its unit (单元 or 门) and room (室, 号, 户, or a bare
// number): 3号楼2单元301室, 三栋二单元302, 幸福苑5幢1单元1101, 7号楼301.
var doorRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(` + numeral + `)(?:号楼|栋|幢|座)-?(?:(` + numeral + `)(?:单元|门)-?)?(?:(` + numeral + `)(?:室|号|户)?)?`)
})

// plainRE reads a building written with 号 alone, which a street's number
// also is (幸福路12号): only with its unit and room after it.
var plainRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(` + numeral + `)号-?(` + numeral + `)(?:单元|门)-?(` + numeral + `)`)
})

// dashedRE reads the short form 3-2-301 (building-unit-room).
var dashedRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,3})-([0-9]{1,2})-([0-9]{1,5})(?:[^0-9]|$)`)
})

// ParseAddress reads building, unit and room from a free-text address.
// The last door in the text is taken: an estate's own name may hold a
// number (二十一世纪花园3号楼…).
func ParseAddress(text string) Address {
	t := strings.Join(strings.Fields(text), "")
	for _, re := range []*regexp.Regexp{doorRE(), plainRE()} {
		if all := re.FindAllStringSubmatch(t, -1); len(all) > 0 {
			m := all[len(all)-1]
			return Address{Building: number(m[1]), Unit: number(m[2]), Room: number(m[3])}
		}
	}
	if m := dashedRE().FindStringSubmatch(t); m != nil {
		return Address{Building: number(m[1]), Unit: number(m[2]), Room: number(m[3])}
	}
	return Address{}
}

// chineseDigits are the values of Chinese digits.
var chineseDigits = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// number is a numeral as Arabic digits ("" for none): 三 → 3, 十二 → 12,
// 一百零一 → 101, 三零一 → 301 (read digit by digit when it has no 十 or
// 百), ０３ → 3.
func number(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	positional := strings.ContainsAny(s, "十百")
	if !positional {
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r >= '０' && r <= '９':
				b.WriteRune('0' + (r - '０'))
			default:
				d, ok := chineseDigits[r]
				if !ok {
					return ""
				}
				b.WriteByte(byte('0' + d))
			}
		}
		n, err := strconv.Atoi(b.String())
		if err != nil {
			return ""
		}
		return strconv.Itoa(n)
	}
	total, digit := 0, 0
	for _, r := range s {
		switch r {
		case '十':
			if digit == 0 {
				digit = 1 // 十二 is 12
			}
			total += digit * 10
			digit = 0
		case '百':
			total += digit * 100
			digit = 0
		default:
			d, ok := chineseDigits[r]
			if !ok {
				return ""
			}
			digit = d
		}
	}
	return strconv.Itoa(total + digit)
}

// LeadingNumber is the number a building's or unit's name starts with, as
// ParseAddress writes it: "3号楼" → "3", "三栋" → "3", "A座" → "".
func LeadingNumber(name string) string {
	end := 0
	for i, r := range name {
		if unicode.IsDigit(r) || strings.ContainsRune("０１２３４５６７８９零〇一二两三四五六七八九十百", r) {
			end = i + len(string(r))
			continue
		}
		break
	}
	return number(name[:end])
}
