package apperr

import (
	"regexp"
	"strings"
	"sync"
)

// Field reasons are written in English where they are raised and told to
// the client in its language: Chinese unless it asks for English. Each
// entry pairs an English pattern with its Chinese; %d stands for a number,
// %s for any text (translated in turn), %q for a quoted value, %t for a time
// or a word kept as it is. Every reason the server gives has an entry: the
// contract tests refuse a Chinese answer whose reason has no Chinese in it.
var reasonsZH = [][2]string{
	{"required", "必填"},
	{"a zone level: sealed, controlled, precaution or none", "须为区域等级：sealed（封控）、controlled（管控）、precaution（防范）或 none（无）"},
	{"required: every level has its rule", "必填：每个等级都要有规则"},
	{"outs 0, not free", "外出次数须为0，且不能自由出入"},
	{"a free level has no outs, period or minutes", "自由出入的等级不设次数、周期和时长"},
	{"0 to 10", "须为0到10"},
	{"1 to 7", "须为1到7"},
	{"0 when nobody goes out", "不允许外出时须为0"},
	{"0 to 720, and 0 when nobody goes out", "须为0到720，不允许外出时为0"},
	{"the version read, 0 for none", "须为读取到的版本号，首次为0"},
	{"what the permit is for: %s", "通行证明的用途：%s"},
	{"a day (YYYY-MM-DD) from today to 90 days ahead, or empty to end the permit", "须为今天起90天内的日期（YYYY-MM-DD），留空为收回"},
	{"8 to 64 letters, digits, - or _: the device's id of the scan", "须为8到64位字母、数字、-或_：设备生成的扫码编号"},
	{"household, visitor or courier", "须为 household（住户）、visitor（访客）或 courier（快递外卖）"},
	{"out or in", "须为 out（外出）或 in（返回）"},
	{"the scanned QR code or the 6-character code", "须为扫到的二维码或6位通行码"},
	{"a visitor or courier has no pass", "访客和快递外卖不用通行证"},
	{"the building they go to", "须填写前往的楼栋"},
	{"only for a visitor or courier", "仅访客和快递外卖填写"},
	{"a building of the community", "须为本社区的楼栋"},
	{"a day (YYYY-MM-DD) of the last 60, not after today", "须为最近60天内、不晚于今天的日期（YYYY-MM-DD）"},
	{"a building of the community, or leave it out for all", "须为本社区的楼栋，或不填导出全部"},
	{"a checkpoint post, or leave it out for every gate", "须为卡口岗位，或不填查看全部卡口"},
	{"1 to 20 distinct communities of the street", "须为本街道1到20个不重复的社区"},
	{"a community of this street", "须为本街道的社区"},
	{"no buildings in a template", "模板中不能指定楼栋"},
	{"no sealing in a template: a community names its buildings", "模板中不能封控楼栋：由社区指定楼栋"},
	{"no posts in a template", "模板中不能指定岗位"},
	{"decided at the same time as another loan of the volunteer: try again", "与该志愿者的另一借调同时审批，请重试"},
	{"one of hours, declined, noShows", "须为 hours（服务时长）、declined（婉拒）、noShows（未到岗）之一"},
	{"a date from two years ago to six months ahead", "须为两年前到六个月后之间的日期"},
	{"kinds of post it qualifies for, each once: %t", "须为该培训适用的岗位类型，每种一次：%t"},
	{"kinds of post, each once: %t", "须为岗位类型，每种一次：%t"},
	{"1 to 200 volunteers of the street", "须为本街道1到200名志愿者"},
	{"an approved volunteer of the street: %t", "须为本街道已通过审核的志愿者：%t"},
	{"a time from an hour ago to 30 days ahead", "须为一小时前到30天后之间的时间"},
	{"after from, at most 30 days after it", "须晚于开始时间，且不超过30天"},
	{"a volunteer of another community of this street", "须为本街道其他社区的志愿者"},
	{"no such volunteer in this community, nor one lent to it for the shift", "本社区没有该志愿者，也没有借调到本社区的该班次志愿者"},
	{"a time of day, HH:MM", "须为时刻，格式HH:MM"},
	{"a figure of the report (GET …/report-figures)", "须为日报的指标（见GET …/report-figures）"},
	{"a title not used by another column", "表头不能与其他列重复"},
	{"a day (YYYY-MM-DD) of the last 400, not after today", "须为近400天内、不晚于今天的日期（YYYY-MM-DD）"},
	{"the 4 to 32 letters and digits of a tube code", "试管码须为4到32位字母或数字"},
	{"a header row with 试管码 and 结果", "须有含“试管码”和“结果”的表头"},
	{"at most %d rows", "最多%d行"},
	{"a tube code and a result", "须有试管码和结果"},
	{"not a CSV line", "不是有效的CSV行"},
	{"a header row with 姓名, 手机号 and 试管码", "须有含“姓名”“手机号”“试管码”的表头"},
	{"a full identity number: the file must mask it", "证件号码不得完整出现，请脱敏后导入"},
	{"nobody of the community, or several people, by this phone and name", "按手机号和姓名在本社区找不到此人，或找到多人"},
	{"a sampling time in the future", "采集时间晚于现在"},
	{"a sampling time as 2006-01-02 15:04:05", "采集时间格式须为 2006-01-02 15:04:05"},
	{"This tube is full: scan a new one", "该试管已满，请换新试管"},
	{"This tube holds swabs of another zone level: use another tube", "该试管属于其他管控级别的楼栋，请换试管"},
	{"This round pools by household and the tube is another household's", "本轮一户一管，该试管属于另一户"},
	{"This tube has its result already", "该试管已有检测结果，不能再加样"},
	{"This person was sampled into another tube in this round", "此人本轮已采样并在另一试管中"},
	{"negative, pooled_positive, positive or invalid (阴性, 混管阳性, 阳性, 无效)", "须为阴性、混管阳性、阳性或无效"},
	{"the token of a sign-up link", "须为报名链接中的令牌"},
	{"unknown field", "不认识的字段"},
	{"at most %d characters", "最多%d个字符"},
	{"longer than %d characters", "超过%d个字符"},
	{"has an invisible or control character (%t)", "含有不可见字符或控制字符（%t）"},
	{"has control characters", "含有控制字符"},
	{"not valid UTF-8", "不是有效的UTF-8文本"},
	{"a name or its first characters: %s", "姓名或姓名开头：%s"},
	{"11-digit mainland mobile number", "11位中国大陆手机号"},
	{"not a mainland mobile number", "不是中国大陆手机号"},
	{"8 to 128 letters, digits or _.:-", "8到128个字母、数字或 _.:-"},
	{"RFC 3339 times, endsAt after startsAt", "RFC 3339 时间，且结束晚于开始"},
	{"YYYY-MM-DD", "格式为 YYYY-MM-DD"},
	{"a member of your household", "须为本户成员"},
	{"a number from %d to %d", "%d到%d之间的数字"},
	{"from %d to %d", "%d到%d之间"},
	{"from %d to %d °C", "%d到%d摄氏度之间"},
	{"%d to %d buildings", "%d到%d栋楼"},
	{"%d to %d residents", "%d到%d名居民"},
	{"add a site first", "请先添加采样点"},
	{"charset utf-8", "字符集须为 utf-8"},
	{"send %t", "请以 %t 发送"},
	{"check-in is taken from %t to %t", "签到时间为 %t 至 %t"},
	{"empty file", "文件为空"},
	{"give an exact phone or a name prefix", "请给出完整手机号或姓名开头"},
	{"give one of them", "二者须给出其一"},
	{"in the past: give allowPastStart true to open a round already under way", "开始时间已过；如本轮已在进行，请同时给出 allowPastStart: true"},
	{"missing column %t", "缺少列 %t"},
	{"no building %t in this community", "本社区没有楼栋 %t"},
	{"no unit %t in this community", "本社区没有单元 %t"},
	{"only with status away", "仅在状态为外出时填写"},
	{"the resident's own household", "已是该居民所在的户"},
	{"each one of bedridden, pregnant, chronic, alone, dialysis, chemotherapy, oxygen, insulin, disability, infant", "每项须为 bedridden、pregnant、chronic、alone、dialysis、chemotherapy、oxygen、insulin、disability、infant 之一"},
	{"a year from 1900 to this one", "须为1900年至今年之间的年份"},
	{"no household %t in this community", "本社区没有住户 %t"},
	{"a household of this community", "须为本社区的住户"},
	{"1 to 45 buildings, units and households together", "楼栋、单元、住户合计1到45个"},
	{"an Excel workbook (.xlsx, its first sheet) or CSV", "须为 Excel 工作簿（.xlsx，读第一个工作表）或 CSV 文件"},
	{"no open site %t in this community", "本社区没有开放的采样点 %t"},
	{"a 楼栋长's post names their building", "楼栋长岗位须指定楼栋"},
	{"give what changes", "请给出要修改的项"},
	{"true or false", "须为 true 或 false"},
	{"the site you check people in at", "须给出您值守的采样点"},
	{"a sample is taken at a site or at the door, not both", "采样在采样点或入户，二者只能选一"},
	{"%d booked people would have no place: give confirm=true to go on (a smaller slot keeps its bookings and takes no more; those the new hours leave with nowhere to go are cancelled and told); what would hold them: %t", "%d名已预约居民将没有位置：如仍要修改请给出 confirm=true（缩小的时段保留已有预约且不再接受新预约；新时间外无处可移的预约将取消并短信告知）；可容纳他们的办法：%t"},
	{"within the round and on the round's slot boundaries (every %d minutes from %t)", "须在本轮时间内，且在时段分界上（自%t起每%d分钟）"},
	{"after opensAt", "须晚于开放时间 opensAt"},
	{"give an exact phone, a name prefix or a building", "请给出完整手机号、姓名开头或楼栋"},
	{"the site's lane, from 1 to 50, with its siteId", "采样台编号，1到50，并须同时给出 siteId"},
	{"not taken by a playbook's round: its sites keep the round's hours", "预案中的检测轮次不接受此字段：其采样点沿用轮次的时间"},
	{"at least one site that is not a spare", "至少须有一个非备用的采样点"},
	{"a spare site of this round, not the one closing", "须为本轮的备用点，且不是正在关闭的采样点"},
	{"%d booked people would have no place at the other sites: give confirm=true to close anyway (they are cancelled and told); what would hold them: %t", "其他采样点容纳不下%d名已预约居民：如仍要关闭请给出 confirm=true（他们的预约将取消并短信告知）；可容纳他们的办法：%t"},
	{"not UTF-8: save the sheet as \"CSV UTF-8\"", "不是UTF-8编码：请将表格另存为“CSV UTF-8”"},
	{"not a CSV header line", "不是CSV表头"},
	{"one of %t", "须为以下之一：%t"},
	{"sealed, controlled or precaution", "须为 sealed、controlled 或 precaution"},
	{"required: the code from wx.login", "必填：wx.login 返回的 code"},
	{"the 6 digits of the SMS", "短信中的6位数字"},
	{"the 6 letters and digits of a booking code", "预约码的6位字母和数字"},
	{"the round has no slot left", "本轮已没有可用时段"},
	{"the round is shorter than one slot", "本轮时长不足一个时段"},
	{"wrong type, want %t", "类型错误，应为 %t"},
	{"your building's window is %t", "本楼栋的检测时段为 %t"},
	{`at least one of "app", "sms"`, `至少选择 "app"、"sms" 之一`},
	{`exactly one of {"all":true}, {"buildingIds":[…]}, {"zoneLevels":[…]}`, `须为 {"all":true}、{"buildingIds":[…]}、{"zoneLevels":[…]} 三者之一`},
	{`only "app" and "sms"`, `只能是 "app" 或 "sms"`},
	{"%d fields, the header has %d", "本行%d列，表头%d列"},
	{"at most %d slots per site: use longer slots or a shorter round", "每个采样点最多%d个时段：请加长时段或缩短本轮"},
	{"column %q twice", "列 %q 重复"},
	{"more than %d lines: split the file", "超过%d行：请拆分文件"},
	{"today's previous reading was %d °C", "今日上次报备为%d摄氏度"},
	{"unknown column %q", "不认识的列 %q"},
	{"a year from %d to %d", "%d到%d之间的年份"},
	{"unknown flag %q (卧床/bedridden, 孕妇/pregnant, 慢病/chronic, 独居/alone)", "不认识的标记 %q（可用：卧床、孕妇、慢病、独居）"},
	{"the same person in the same household as line %d", "与第%d行是同一户的同一人"},
	{"already given to another household on line %d", "已在第%d行给了另一户"},
	{"already belongs to a resident of another household", "已属于另一户的居民"},
	{"the 6 digits of the SMS", "短信中的6位数字"},
	{"in the future", "不能晚于现在"},
	{"extraneous or missing \" in quoted-field", "引号不配对"},
	{"bare \" in non-quoted-field", "未加引号的字段中有引号"},
	{"wrong number of fields", "列数不对"},
	{"not sendable by SMS: no links, phone numbers, brackets or symbols such as ¥ ★ & ※", "无法用短信发送：不能含链接、电话号码、括号或 ¥ ★ & ※ 等符号"},
	{"at most %d", "最多%d"},
	{"%d to %d items", "%d到%d种物品"},
	{"no such item in this community", "本社区没有该物品"},
	{"no such merchant in this community", "本社区没有该商家"},
	{"a mobile or fixed-line number", "手机号或固定电话号码"},
	{"a change of stock, not with stock nor on create", "库存变化量：不能与 stock 同时给出，新建时不可用"},
	{"the 4 digits the household shows", "住户出示的4位数字"},
	{"not a staff member of this community", "不是本社区的工作人员"},
	{"RFC 3339 time", "RFC 3339 时间"},
	{"day 1 to 7, from before to, HH:MM", "day 为1到7，from 早于 to，格式 HH:MM"},
	{"%d to %d shifts", "%d到%d个班次"},
	{"RFC 3339 times, endsAt after startsAt, at most 12 hours, not over, within 90 days", "RFC 3339 时间，结束晚于开始，不超过12小时，未结束，且在90天内开始"},
	{"a shift of this post", "须为本岗位的班次"},
	{"no such volunteer in this community", "本社区没有该志愿者"},
	{"no such post in this community", "本社区没有该岗位"},
	{`exactly one of {"all":true}, {"postIds":[…]}, {"categories":[…]}`, `须为 {"all":true}、{"postIds":[…]}、{"categories":[…]} 三者之一`},
	{"YYYY-MM", "格式为 YYYY-MM"},
	{"the price is now %d", "现价为%d分"},
	{"give at least one field", "至少给出一个字段"},
	{"Unix seconds", "Unix 时间（秒）"},
	{"1 to 20 of a-z, 0-9 and -", "1到20个字符，只能是 a-z、0-9 和 -"},
	{"only a street admin changes it", "只有街道管理员可以修改"},
	{"step %t is the street's sign-off: only a street admin removes it or gives it to staff", "步骤 %t 须由街道签批：只有街道管理员可以删除它或交给社区工作人员"},
	{"only for delivered", "仅用于已送达"},
	{"why the household cannot show the code, at most 20 characters", "住户无法出示取货码的原因，最多20个字"},
	{"used twice", "重复使用"},
	{"staff or admin", "须为 staff 或 admin"},
	{"sealed or controlled", "须为 sealed 或 controlled"},
	{"emergency or normal", "须为 emergency 或 normal"},
	{"not taken by %t", "%t 不接受此字段"},
	{"%d to %d", "%d到%d个"},
	{`exactly one of {"all":true}, {"buildingIds":[…]}, {"toSealed":true}`, `须为 {"all":true}、{"buildingIds":[…]}、{"toSealed":true} 三者之一`},
	{"%d to %d tasks", "%d到%d条任务"},
	{"no such task in this community", "本社区没有这条任务"},
	{"a volunteer of this community on a screening post", "须为本社区在入户核查岗位有班次的志愿者"},
	{"no such resident in this street", "本街道没有这位居民"},
	{"a community of this street", "须为本街道的社区"},
	{"only with outcome away", "仅在核查结果为不在本地时填写"},
	{"where they are, with outcome away", "核查结果为不在本地时须填写去向"},
	{"say who the row is first (match), or no_such_person or wrong_address", "请先确认此人是谁（匹配），或填查无此人、地址错误"},
	{"none when the person was not found", "未找到此人时管控措施须为无"},
	{"a time in the future", "须为将来的时间"},
	{"RFC 3339 with an offset", "须为带时区的 RFC 3339 时间"},
	{"a header row with 姓名 and 手机号 or 现住址", "须有含“姓名”及“手机号”或“现住址”的表头"},
	{"at most %d columns", "最多%d列"},
	{"a CSV line", "须为有效的CSV行"},
	{"a time such as 2026-12-07 12:00", "时间格式如 2026-12-07 12:00"},
	{"at least one row under the header", "表头下至少要有一行"},
	{"UTF-8 text: save it as CSV UTF-8, or send the Excel file", "须为UTF-8文本：请另存为“CSV UTF-8”，或直接上传Excel文件"},
	{"from a day ago to 30 days ahead", "须在一天前到30天后之间"},
	{"a time in the future, within 30 days", "须为30天内的将来时间"},
	{"days of the watch, each once, in order", "须为观察期内的天数，不重复且按先后排列"},
	{"a date from 28 days ago to 7 days ahead", "须为28天前到7天后之间的日期"},
	{"residents of one household of this community", "须为本社区同一户的居民"},
	{"a watch that has not ended", "结束时间已过"},
	{"today or earlier for a home isolation", "居家隔离须从今天或更早开始"},
	{"a window begun, from %s to the watch's end", "须为已开始的报告时段，从%s到观察期结束"},
	{"a person of this watch", "须为这条记录中的人员"},
	{"each one of fever, cough, fatigue, sore_throat, diarrhoea, smell_taste, none", "每项须为 fever、cough、fatigue、sore_throat、diarrhoea、smell_taste、none 之一"},
	{"none alone, not beside a symptom", "“无”须单独填写，不能与症状同时填写"},
	{"one of am, pm", "须为 am（早间）或 pm（晚间）"},
	{"a time from an hour ago to 7 days ahead (RFC 3339)", "须为一小时前到7天后之间的时间（RFC 3339）"},
	{"1 to %d people, each once", "须为1到%d人，每人一次"},
	{"residents of this community", "须为本社区居民"},
	{"a household of a person transferred", "须为被转运人员的住户"},
	{"a member of the household who stays", "须为留在家中的本户成员"},
	{"one of elderly, child, pet, other", "须为 elderly（老人）、child（儿童）、pet（宠物）、other（其他）之一"},
	{"one of ready, boarded, arrived, exempted", "须为 ready、boarded、arrived、exempted 之一"},
	{"required with status exempted", "免于转运时须填写原因"},
	{"now %s", "当前为%s"},
	{"a date from 30 days ago to 10 months ahead", "须为30天前到10个月后之间的日期"},
	{"one of dialysis, chemotherapy, checkup, medicine, other", "须为 dialysis（透析）、chemotherapy（化疗）、checkup（复查）、medicine（取药）、other（其他）之一"},
	{"1 (Monday) to 7 (Sunday), each once", "须为1（周一）到7（周日），每天一次"},
	{"a hospital of the street", "须为本街道的定点医院"},
	{"overlaps needs[%d]", "与 needs[%d] 时间重叠"},
	{"a phone to ask on: the person's, the household's or a contact's", "须有可询问的电话：本人、本户或联系人的"},
	{"a need of the plan on that day", "须为照护计划中当天的一项"},
	{"a 24-hour phone: 3 to 16 digits and dashes, a dash only between digits", "须为24小时电话：3到16位数字和连字符，连字符只能在数字之间"},
	{"a day from yesterday to 14 days ahead", "须为昨天到14天后之间的日期"},
	{"a resident with a care plan", "须为有照护计划的居民"},
	{"a mainland mobile number", "须为中国大陆手机号"},
	{"HH:MM", "格式为 HH:MM"},
	{"one of protective, disinfectant, test_kit, food, medicine, other", "须为 protective（防护用品）、disinfectant（消毒用品）、test_kit（检测试剂）、food（食品）、medicine（药品）、other（其他）之一"},
	{"one of receipt, issue", "须为 receipt（入库）或 issue（出库）"},
	{"only with kind receipt", "仅入库时填写"},
	{"at most %d in stock after it", "入库后库存最多%d"},
	{"one of negative, positive", "须为 negative（阴性）或 positive（阳性）"},
	{"one of the watch's test days, today or before", "须为此人的检测日之一，且不晚于今天"},
	{"recorded already as %s", "已录入为%s"},
}

type reasonPattern struct {
	re    *regexp.Regexp
	slots []byte // the kinds of the captures, in order: d, s, q, t
	zh    string
}

// patterns compiles the table on first use, not at a function's cold start.
var patterns = sync.OnceValue(func() []reasonPattern {
	var out []reasonPattern
	for _, e := range reasonsZH {
		var expr strings.Builder
		var slots []byte
		rest := e[0]
		for {
			i := strings.IndexByte(rest, '%')
			if i < 0 || i == len(rest)-1 {
				expr.WriteString(regexp.QuoteMeta(rest))
				break
			}
			expr.WriteString(regexp.QuoteMeta(rest[:i]))
			switch k := rest[i+1]; k {
			case 'd':
				expr.WriteString(`(-?[0-9]+(?:\.[0-9]+)?)`)
				slots = append(slots, k)
			case 's', 't':
				expr.WriteString(`(.+)`)
				slots = append(slots, k)
			case 'q':
				expr.WriteString(`("(?:[^"\\]|\\.)*"?)`)
				slots = append(slots, k)
			default:
				expr.WriteString(regexp.QuoteMeta(rest[i : i+2]))
			}
			rest = rest[i+2:]
		}
		out = append(out, reasonPattern{re: regexp.MustCompile("^" + expr.String() + "$"), slots: slots, zh: e[1]})
	}
	return out
})

// ReasonIn is a field reason in lang ("en" or "zh"). A reason without a
// translation is given as it is.
func ReasonIn(lang, reason string) string {
	if lang == "en" {
		return reason
	}
	zh, ok := translate(reason)
	if !ok {
		return reason
	}
	return zh
}

func translate(reason string) (string, bool) {
	for _, p := range patterns() {
		m := p.re.FindStringSubmatch(reason)
		if m == nil {
			continue
		}
		out := p.zh
		for i, kind := range p.slots {
			v := m[i+1]
			if kind == 's' {
				if t, ok := translate(v); ok {
					v = t
				}
			}
			j := strings.Index(out, "%"+string(kind))
			if j < 0 {
				continue
			}
			out = out[:j] + v + out[j+2:]
		}
		return out, true
	}
	return "", false
}
