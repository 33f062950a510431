// Package screening is the lists that come down from the district at night
// (协查名单: close contacts, secondary contacts, 时空伴随, arrivals from risk
// areas): each row matched to the register and split by community, a task
// at the door for each, and the sender's own file sent back with what the
// door found.
package screening

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Categories of a row, as districts write them in 类别.
const (
	CategoryClose          = "close_contact"     // 密接
	CategorySecondary      = "secondary_contact" // 次密接
	CategorySpatiotemporal = "spatiotemporal"    // 时空伴随
	CategoryArrival        = "arrival"           // 来返, 返兰
	CategoryOther          = "other"
)

// categoryWords read a 类别 cell: the first word the cell contains decides
// (次密接 is looked for before 密接, which it contains).
var categoryWords = []struct{ word, category string }{
	{"次密", CategorySecondary}, {"密接", CategoryClose}, {"密切接触", CategoryClose}, {"时空", CategorySpatiotemporal},
	{"伴随", CategorySpatiotemporal}, {"来返", CategoryArrival}, {"返兰", CategoryArrival}, {"来兰", CategoryArrival},
	{"入境", CategoryArrival}, {"返回", CategoryArrival},
}

// CategoryOf reads a 类别 cell (other when it says none of them).
func CategoryOf(cell string) string {
	for _, w := range categoryWords {
		if strings.Contains(cell, w.word) {
			return w.category
		}
	}
	return CategoryOther
}

// Bounds of a list.
const (
	MaxRows    = 5000
	MaxColumns = 40
	MaxCell    = 200
)

// Row is one line of a list as it came, with what Fangxian reads of it.
type Row struct {
	// Line is the row's line in the file (the header is line 1).
	Line int
	// Cells are the sender's columns, the identity number masked.
	Cells    []string
	Name     string
	Phone    string // normalized when it is a mobile number, else as written
	Address  string
	Category string
	// Deadline is the row's 截止时间, or the list's when the row has none.
	Deadline time.Time
}

// Columns the sender's file must or may have, by the words of its header.
var columnWords = map[string][]string{
	"name":     {"姓名", "name"},
	"phone":    {"手机号", "手机号码", "联系电话", "电话", "phone"},
	"id":       {"证件号码", "身份证号", "身份证号码", "身份证", "公民身份号码", "证件号", "idNumber"},
	"address":  {"现住址", "住址", "现居住地址", "居住地址", "地址", "address"},
	"category": {"类别", "人员类别", "类型", "category"},
	"deadline": {"截止时间", "反馈时限", "完成时限", "deadline"},
}

// ErrListInvalid refuses a file that is not a list Fangxian can read.
var ErrListInvalid = apperr.New(apperr.KindInvalid, "SCREENING_LIST_INVALID", "协查名单文件无法读取", "The screening list cannot be read")

// Parse reads a list's CSV (an Excel file is read to CSV first): the
// header's words find the columns, every column is kept as it came (the
// identity number masked), and a row without its own deadline takes
// fallback. Control characters are dropped from every cell.
func Parse(data []byte, fallback, now time.Time) (header []string, rows []Row, err error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "body", Reason: "UTF-8 text: save it as CSV UTF-8, or send the Excel file"})
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	rd.LazyQuotes = true
	head, err := rd.Read()
	if err != nil {
		return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 姓名 and 手机号 or 现住址"})
	}
	if len(head) > MaxColumns {
		return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "header", Reason: fmt.Sprintf("at most %d columns", MaxColumns)})
	}
	col := map[string]int{}
	idCols := map[int]bool{}
	for i, h := range head {
		head[i] = clean(h)
		if utf8.RuneCountInString(head[i]) > MaxCell {
			return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: fmt.Sprintf("header, column %d", i+1), Reason: fmt.Sprintf("at most %d characters", MaxCell)})
		}
		for k, words := range columnWords {
			if _, seen := col[k]; !seen && matchesAny(head[i], words) {
				col[k] = i
			}
		}
		// Every column that holds identity numbers, however it is called
		// (证件号码, 身份证号码（18位）, 公民身份号码).
		if strings.Contains(head[i], "身份") || strings.Contains(head[i], "证件") || strings.EqualFold(head[i], "idNumber") {
			idCols[i] = true
		}
	}
	_, hasName := col["name"]
	_, hasPhone := col["phone"]
	_, hasAddress := col["address"]
	if !hasName || (!hasPhone && !hasAddress) {
		return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 姓名 and 手机号 or 现住址"})
	}
	var fields []apperr.FieldError
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		// The line the row starts on, as the sender's editor counts them
		// (blank lines and cells over several lines included).
		line := 0
		if err == nil {
			line, _ = rd.FieldPos(0)
		}
		if err != nil && len(rec) == 0 {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("line %d", line), Reason: "a CSV line"})
			continue
		}
		cells := make([]string, len(head))
		empty := true
		for i := range cells {
			if i < len(rec) {
				cells[i] = clean(rec[i])
			}
			if utf8.RuneCountInString(cells[i]) > MaxCell {
				fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("line %d, %s", line, head[i]), Reason: fmt.Sprintf("at most %d characters", MaxCell)})
			}
			empty = empty && cells[i] == ""
		}
		if empty {
			continue
		}
		if len(rows) >= MaxRows {
			return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "rows", Reason: fmt.Sprintf("at most %d rows", MaxRows)})
		}
		get := func(k string) string {
			if i, ok := col[k]; ok {
				return cells[i]
			}
			return ""
		}
		// An identity number is kept masked whichever column holds it.
		for i, c := range cells {
			if idCols[i] {
				cells[i] = MaskID(c)
			} else {
				cells[i] = maskIDsIn(c)
			}
		}
		r := Row{Line: line, Cells: cells, Name: get("name"), Address: get("address"), Category: CategoryOf(get("category")), Deadline: fallback}
		r.Phone = get("phone")
		if p, err := phone.Normalize(r.Phone); err == nil {
			r.Phone = p
		}
		if d := get("deadline"); d != "" {
			at, ok := ParseDeadline(d, now)
			switch {
			case !ok:
				fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("line %d, %s", line, head[col["deadline"]]), Reason: "a time such as 2026-12-07 12:00"})
			case !DeadlineInRange(at, now):
				fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("line %d, %s", line, head[col["deadline"]]), Reason: "from a day ago to 30 days ahead"})
			}
			r.Deadline = at
		}
		rows = append(rows, r)
	}
	if len(fields) > 0 {
		if len(fields) > 20 {
			fields = fields[:20]
		}
		return nil, nil, ErrListInvalid.WithFields(fields...)
	}
	if len(rows) == 0 {
		return nil, nil, ErrListInvalid.WithFields(apperr.FieldError{Field: "rows", Reason: "at least one row under the header"})
	}
	return head, rows, nil
}

func matchesAny(h string, words []string) bool {
	for _, w := range words {
		if strings.EqualFold(h, w) {
			return true
		}
	}
	return false
}

// clean is a cell without what may not be shown or stored: control, bidi
// and zero-width characters go (a tab or line break becomes a space), the
// ends are trimmed.
func clean(s string) string {
	if !safetext.Unsafe(s) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case safetext.Unsafe(string(r)):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// MaskID keeps at most an identity number's first and last four
// characters, as the list's sender can still find its row by:
// 6201**********1234. A cell showing eight digits or fewer (masked
// already, or a part) is kept as it came.
func MaskID(s string) string {
	r := []rune(s)
	shown := 0
	for _, c := range r {
		if (c >= '0' && c <= '9') || c == 'X' || c == 'x' {
			shown++
		}
	}
	if shown <= 8 || len(r) <= 8 {
		return s
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// idInText finds whole identity numbers inside other text (a note that
// says 身份证620102199001014444): 18 characters, the last may be X, or the
// old 15 digits, not part of a longer number.
var idInText = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9])([0-9]{17}[0-9Xx]|[0-9]{15})(?:[^0-9]|$)`)
})

// maskIDsIn masks every whole identity number inside a cell.
func maskIDsIn(c string) string {
	for _, m := range idInText().FindAllStringSubmatchIndex(c, -1) {
		c = c[:m[2]] + MaskID(c[m[2]:m[3]]) + c[m[3]:]
	}
	return c
}

// DeadlineInRange says whether a deadline is one a list may have: from a
// day before now (a list sent late) to 30 days ahead.
func DeadlineInRange(at, now time.Time) bool {
	return !at.Before(now.Add(-24*time.Hour)) && !at.After(now.Add(30*24*time.Hour))
}

// deadlineLayouts are the ways 截止时间 is written.
var deadlineLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/1/2 15:04", "2006/01/02 15:04", "2006/1/2 15:04:05", "2006-01-02T15:04:05Z07:00",
	"2006年1月2日15:04", "2006年1月2日 15:04", "2006年1月2日15时", "2006年1月2日 15时", "1月2日15:04", "1月2日 15:04", "1月2日15时", "1月2日 15时", "2006-01-02", "2006/1/2", "2006年1月2日"}

// ParseDeadline reads a 截止时间 in Beijing time; a date without a year is
// this year's (now's), a date without a time is its end of day.
func ParseDeadline(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range deadlineLayouts {
		at, err := time.ParseInLocation(l, s, chinatime.Zone)
		if err != nil {
			continue
		}
		if !strings.Contains(l, "2006") {
			at = at.AddDate(now.In(chinatime.Zone).Year(), 0, 0)
		}
		if !strings.Contains(l, "15") {
			at = at.Add(24*time.Hour - time.Minute)
		}
		return at, true
	}
	return time.Time{}, false
}

// ListID is a list's id: the street and the file's bytes decide it, so the
// same file uploaded twice is the same list (and a second upload finishes
// a first that failed half-way).
func ListID(streetID string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(streetID))
	h.Write([]byte{0})
	h.Write(data)
	return "sl" + strings.ToLower(base32.StdEncoding.EncodeToString(h.Sum(nil)))[:14]
}

// TaskID is the id of a list's row: it leads to the list's partition.
func TaskID(listID string, line int) string { return fmt.Sprintf("%s-%05d", listID, line) }

// ListOf is the list a task id belongs to.
func ListOf(taskID string) string {
	l, _, _ := strings.Cut(taskID, "-")
	return l
}
