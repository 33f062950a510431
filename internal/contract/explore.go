package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fangxian/fangxian/shared/sheet"
	"github.com/getkin/kin-openapi/openapi3"
)

// Explorer sends requests generated from the document: for every operation,
// valid ones (values drawn inside each schema's bounds, patterns and enums)
// and invalid ones (one rule broken), as every caller the document knows.
// Every answer goes through the Checker; what the document calls valid but
// the server refuses as malformed is recorded too.
type Explorer struct {
	Checker *Checker
	// Send delivers a request and answers the status, headers and body.
	Send func(r *http.Request) (int, http.Header, []byte, error)
	// Tokens are bearer tokens by caller ("" for none is always tried).
	Tokens map[string]string
	// IDs are real ids to put in path parameters, by parameter name.
	IDs  map[string][]string
	Rand *rand.Rand
	// Checked says Send goes through the Checker's middleware already.
	Checked bool

	Stats Stats
}

// Stats count what an exploration sent and got.
type Stats struct {
	Requests, Valid, Invalid int
	ByStatus                 map[int]int
	Codes                    map[string]int
	// Refused are valid requests answered as malformed, by reason.
	Refused   map[string]int
	Errors5xx int
}

// semantic are the refusals of requests valid by their schema that no
// schema can express: relations between fields, or with what is stored.
var semantic = regexp.MustCompile(`a free level has no outs, period or minutes|0 when nobody goes out|1 to 7|a visitor or courier has no pass|the building they go to|only for a visitor or courier|the scanned QR code or the 6-character code|a building of the community|from today to 90 days ahead, or empty to end the permit|what the permit is for|of the last 60, not after today|endsAt after startsAt|a household of this community|an approved volunteer of the street|a time from an hour ago to 30 days ahead|after from, at most 30 days after it|a volunteer of another community of this street|nor one lent to it for the shift|a day from yesterday to 14 days ahead|a resident with a care plan|a day \(YYYY-MM-DD\) of the last 400, not after today|1 to 20 distinct communities of the street|a title not used by another column|only with kind receipt|a date from 30 days ago to 10 months ahead|a hospital of the street|overlaps needs|a phone to ask on|a need of the plan on that day|test days, today or before|a time from an hour ago to 7 days ahead|a household of a person transferred|a member of the household who stays|residents of this community|people, each once|a window begun|a person of this watch|none alone, not beside a symptom|required with status exempted|no such task in this community|a volunteer of this community on a screening post|no such resident in this street|a community of this street|only with outcome away|where they are, with outcome away|say who the row is first|none when the person was not found|a time in the future|within 30 days|days of the watch, each once|a date from 28 days ago|residents of one household of this community|a watch that has not ended|today or earlier for a home isolation|a year from 1900 to this one|in the past|give one of them|give an exact phone|slots per site|shorter than one slot|no (building|unit|household) .* in this community|only with status away|give what changes|the resident.s own household|1 to 45 buildings, units and households together|a member of your household|the round has no slot left|add a site first|check-in is taken|your building's window|no such (item|merchant|volunteer|post) in this community|a shift of this post|at most 12 hours, not over|not a staff member of this community|no open site .* in this community|at a site or at the door|post names their building|within the round and on the round's slot boundaries|after opensAt|a spare site of this round|not taken by a playbook's round|at least one site that is not a spare|the site's lane, from 1 to 50, with its siteId|` +
	`自由出入的等级不设次数|不允许外出时|须为1到7|访客和快递外卖不用通行证|须填写前往的楼栋|仅访客和快递外卖填写|须为扫到的二维码或6位通行码|须为本社区的楼栋|须为今天起90天内的日期|通行证明的用途|须为最近60天内|结束晚于开始|须为本社区的住户|须为本街道已通过审核的志愿者|须为昨天到14天后之间的日期|须为有照护计划的居民|须为近400天内、不晚于今天的日期|须为本街道1到20个不重复的社区|表头不能与其他列重复|须为一小时前到30天后之间的时间|须晚于开始时间，且不超过30天|须为本街道其他社区的志愿者|也没有借调到本社区|仅入库时填写|须为30天前到10个月后之间的日期|须为本街道的定点医院|时间重叠|须有可询问的电话|须为照护计划中当天的一项|且不晚于今天|须为一小时前到7天后之间的时间|须为被转运人员的住户|须为留在家中的本户成员|须为本社区居民|每人一次|须为已开始的报告时段|须为这条记录中的人员|“无”须单独填写|免于转运时须填写原因|本社区没有这条任务|入户核查岗位有班次的志愿者|本街道没有这位居民|须为本街道的社区|仅在核查结果为不在本地时填写|核查结果为不在本地时须填写去向|请先确认此人是谁|未找到此人时管控措施须为无|须为将来的时间|须为30天内的将来时间|须为观察期内的天数|须为28天前到7天后之间的日期|须为本社区同一户的居民|结束时间已过|居家隔离须从今天或更早开始|1900年至今年之间|开始时间已过|二者须给出其一|完整手机号或姓名开头|完整手机号、姓名开头或楼栋|每个采样点最多|时长不足一个时段|本社区没有(楼栋|单元|住户)|仅在状态为外出时填写|请给出要修改的项|已是该居民所在的户|楼栋、单元、住户合计1到45个|须为本户成员|已没有可用时段|请先添加采样点|签到时间为|本楼栋的检测时段|本社区没有该(物品|商家|志愿者|岗位)|须为本岗位的班次|不超过12小时，未结束|不是本社区的工作人员|本社区没有开放的采样点|二者只能选一|岗位须指定楼栋|须在本轮时间内|须晚于开放时间|须为本轮的备用点|预案中的检测轮次不接受|至少须有一个非备用|采样台编号`)

// Run sends n requests, spread over the operations.
func (e *Explorer) Run(ctx context.Context, n int) error {
	if e.Stats.ByStatus == nil {
		e.Stats = Stats{ByStatus: map[int]int{}, Codes: map[string]int{}, Refused: map[string]int{}}
	}
	type target struct {
		path, method string
		op           *openapi3.Operation
	}
	var targets []target
	for path, item := range e.Checker.doc.Paths.Map() {
		for method, op := range item.Operations() {
			targets = append(targets, target{path, method, op})
		}
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].op.OperationID < targets[j].op.OperationID })
	callers := []string{""}
	for c := range e.Tokens {
		callers = append(callers, c)
	}
	sort.Strings(callers)
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := targets[i%len(targets)]
		caller := callers[e.Rand.IntN(len(callers))]
		valid := e.Rand.IntN(3) > 0
		req, err := e.request(ctx, t.method, t.path, t.op, caller, valid)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		status, hdr, resp, err := e.Send(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if !e.Checked {
			e.Checker.Check(req, body, status, hdr, resp)
		}
		e.Stats.Requests++
		e.Stats.ByStatus[status]++
		if valid {
			e.Stats.Valid++
		} else {
			e.Stats.Invalid++
		}
		var env struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Reason string }
			}
		}
		_ = json.Unmarshal(resp, &env)
		if env.Error.Code != "" {
			e.Stats.Codes[env.Error.Code]++
		}
		if status >= 500 && env.Error.Code != "SMS_UNAVAILABLE" {
			e.Stats.Errors5xx++
			e.Checker.fail("%s %s → %d: a server error for a generated request: %s", req.Method, req.URL.RequestURI(), status, snippet(resp))
		}
		// What the document takes decides, not what was meant to be sent.
		docValid := e.Checker.ValidRequest(req, body)
		if docValid && (status == 400 || status == 413 || status == 415) && e.malformedOnlyByServer(env.Error.Code, env.Error.Fields) {
			key := env.Error.Code
			for _, f := range env.Error.Fields {
				key += " " + f.Field + ": " + f.Reason
			}
			e.Stats.Refused[t.op.OperationID+" "+key]++
			e.Checker.fail("%s %s %s → %d: the document calls this valid, the server refuses it: %s", req.Method, req.URL.RequestURI(), snippet(body), status, snippet(resp))
		}
	}
	return nil
}

// malformedOnlyByServer says whether a refusal is about the request's form
// (which the document should have said) rather than its meaning.
func (e *Explorer) malformedOnlyByServer(code string, fields []struct{ Field, Reason string }) bool {
	switch code {
	case "INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE", "INVALID_PHONE":
		return true
	case "VALIDATION_FAILED":
		for _, f := range fields {
			if !semantic.MatchString(f.Reason) {
				return true
			}
		}
	}
	return false
}

// request builds one request for an operation, valid or with one rule broken.
func (e *Explorer) request(ctx context.Context, method, path string, op *openapi3.Operation, caller string, valid bool) (*http.Request, error) {
	// Which rule to break, when breaking one.
	breakWhat := ""
	if !valid {
		choices := []string{"path"}
		if op.RequestBody != nil {
			choices = append(choices, "body", "body", "content-type")
		}
		for _, p := range op.Parameters {
			if p.Value.In == "query" {
				choices = append(choices, "query")
				break
			}
		}
		breakWhat = choices[e.Rand.IntN(len(choices))]
	}
	q := url.Values{}
	headers := http.Header{}
	for _, pr := range op.Parameters {
		p := pr.Value
		var v string
		switch p.In {
		case "path":
			if ids := e.IDs[p.Name]; len(ids) > 0 && e.Rand.IntN(5) > 0 {
				v = ids[e.Rand.IntN(len(ids))]
			} else {
				v = e.stringFor(p.Schema.Value)
			}
			if breakWhat == "path" {
				v = e.pick("..", "A B", strings.Repeat("x", 80), "%00", "名")
				breakWhat = "done"
			}
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(v), 1)
			continue
		case "query":
			if !p.Required && e.Rand.IntN(2) == 0 && breakWhat != "query" {
				continue
			}
			v = fmt.Sprint(e.value(p.Schema.Value, 0))
			if breakWhat == "query" {
				v = e.broken(p.Schema.Value)
				breakWhat = "done"
			}
			q.Set(p.Name, v)
		case "header":
			if e.Rand.IntN(2) == 0 {
				headers.Set(p.Name, e.stringFor(p.Schema.Value))
			}
		}
	}
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body []byte
	if op.RequestBody != nil {
		for mt, media := range op.RequestBody.Value.Content {
			headers.Set("Content-Type", mt)
			if mt == "text/csv" {
				body = []byte(e.pick("building,unit,room,name\n1号楼,1,101,探索者\n", "楼栋,单元,房号,姓名,手机号\n2号楼,01,202,新人,13612340000\n", "\ufeffbuilding,unit,room,name\n"))
				if breakWhat == "body" {
					body = []byte(e.pick("name\nx\n", "", "\xff\xfe", "楼栋,楼栋\n"))
					breakWhat = "done"
				}
				continue
			}
			if mt == sheet.MediaType {
				body, _ = sheet.XLSX("Sheet1", []string{"building", "unit", "room", "name"}, [][]string{{"3号楼", "1", "301", "表格探索者"}})
				if breakWhat == "body" {
					body = []byte(e.pick("PK\x03\x04", "building,unit\n", "", "<xml/>"))
					breakWhat = "done"
				}
				continue
			}
			v := e.value(media.Schema.Value, 0)
			if breakWhat == "body" {
				v = e.breakObject(media.Schema.Value, v)
				breakWhat = "done"
			}
			body, _ = json.Marshal(v)
		}
		if breakWhat == "content-type" {
			headers.Set("Content-Type", e.pick("text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=gbk"))
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = headers
	if tok := e.Tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if e.Rand.IntN(4) == 0 {
		req.Header.Set("Accept-Language", "en")
	}
	return req, nil
}

func (e *Explorer) pick(options ...string) string { return options[e.Rand.IntN(len(options))] }

// value draws a valid value of s.
func (e *Explorer) value(s *openapi3.Schema, depth int) any {
	if len(s.OneOf) > 0 {
		return e.value(s.OneOf[e.Rand.IntN(len(s.OneOf))].Value, depth)
	}
	if len(s.Enum) > 0 {
		return s.Enum[e.Rand.IntN(len(s.Enum))]
	}
	switch {
	case s.Type.Is("object"):
		out := map[string]any{}
		for name, p := range s.Properties {
			if slices.Contains(s.Required, name) || (depth < 3 && e.Rand.IntN(2) == 0) {
				out[name] = e.value(p.Value, depth+1)
			}
		}
		return out
	case s.Type.Is("array"):
		lo, hi := int(s.MinItems), 3
		if s.MaxItems != nil {
			hi = min(hi, int(*s.MaxItems))
		}
		n := lo
		if hi > lo {
			n += e.Rand.IntN(hi - lo + 1)
		}
		out := []any{}
		for range n {
			out = append(out, e.value(s.Items.Value, depth+1))
		}
		return out
	case s.Type.Is("integer"), s.Type.Is("number"):
		lo, hi := 0.0, 1000.0
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		if s.Type.Is("integer") {
			return int(lo) + e.Rand.IntN(int(hi-lo)+1)
		}
		return float64(int((lo+e.Rand.Float64()*(hi-lo))*10)) / 10
	case s.Type.Is("boolean"):
		return e.Rand.IntN(2) == 0
	default:
		return e.stringFor(s)
	}
}

// stringFor draws a string that meets s: its format, pattern and lengths.
func (e *Explorer) stringFor(s *openapi3.Schema) string {
	switch s.Format {
	case "date-time":
		return fmt.Sprintf("20%d-0%d-1%dT0%d:30:00+08:00", 30+e.Rand.IntN(9), 1+e.Rand.IntN(9), e.Rand.IntN(9), e.Rand.IntN(9))
	case "date":
		return fmt.Sprintf("2026-1%d-0%d", e.Rand.IntN(3), 1+e.Rand.IntN(9))
	}
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + e.Rand.IntN(10)))
		}
		return b.String()
	}
	from := func(alphabet string, n int) string {
		r := []rune(alphabet)
		var b strings.Builder
		for range n {
			b.WriteRune(r[e.Rand.IntN(len(r))])
		}
		return b.String()
	}
	lo, hi := int(s.MinLength), 12
	if s.MaxLength != nil {
		hi = min(hi, int(*s.MaxLength))
	}
	n := max(lo, 1)
	if hi > n {
		n += e.Rand.IntN(hi - n + 1)
	}
	switch s.Pattern {
	case `^1[3-9][0-9]{9}$`:
		return "1" + string(rune('3'+e.Rand.IntN(7))) + digits(9)
	case `^[0-9]{6}$`:
		return digits(6)
	case `^[a-z0-9_-]+$`:
		return from("abcdefghijklmnopqrstuvwxyz0123456789-_", n)
	case `^[A-Za-z0-9_.:-]{8,128}$`:
		return from("ABCabc0123456789_.:-", 8+e.Rand.IntN(20))
	case `^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$`:
		return from("23456789ABCDEFGHJKMNPQRSTUVWXYZ", 6)
	}
	return from("东西南北门楼院采样点居民第轮abcXYZ 123", n)
}

// broken is a value of the wrong shape for a parameter.
func (e *Explorer) broken(s *openapi3.Schema) string {
	if s.Type.Is("integer") || s.Type.Is("number") {
		return e.pick("abc", "-1", "1e9", "3.5x", "")
	}
	if len(s.Enum) > 0 {
		return "not-in-enum"
	}
	if s.MaxLength != nil {
		return strings.Repeat("长", int(*s.MaxLength)+1)
	}
	return e.pick("\x00", "\u202e", "")
}

// breakObject breaks one rule of an object body: a required field gone, an
// unknown one, a wrong type, a bound passed.
func (e *Explorer) breakObject(s *openapi3.Schema, v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return "not an object"
	}
	switch e.Rand.IntN(4) {
	case 0:
		if len(s.Required) > 0 {
			delete(obj, s.Required[e.Rand.IntN(len(s.Required))])
			return obj
		}
		fallthrough
	case 1:
		obj["unexpectedField"] = 1
		return obj
	case 2:
		for name, p := range s.Properties {
			if p.Value.Type.Is("string") {
				obj[name] = 12345
			} else {
				obj[name] = "a string"
			}
			return obj
		}
	}
	for name, p := range s.Properties {
		ps := p.Value
		switch {
		case ps.MaxLength != nil:
			obj[name] = strings.Repeat("长", int(*ps.MaxLength)+1)
		case ps.Max != nil:
			obj[name] = *ps.Max + 1
		case len(ps.Enum) > 0:
			obj[name] = "not-in-enum"
		default:
			continue
		}
		return obj
	}
	return []int{1, 2}
}
