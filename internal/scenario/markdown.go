package scenario

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fangxian/fangxian/shared/chinatime"
)

// Languages a report is written in: Chinese for the committee (the
// report's first reader, the 书记), English beside it.
const (
	Chinese = "zh"
	English = "en"
)

// zhWords are the report's fixed words in Chinese: the phases, what each
// counts, the reasons staff give and the SMS purposes. A word without one
// is printed as it is (a test keeps the list whole).
var zhWords = map[string]string{
	"prepare":                                      "准备",
	"07:00 case found: switch to emergency":        "07:00 发现病例：切换到应急状态",
	"sealed households told":                       "通知封控住户",
	"booking opens":                                "开放预约",
	"residents sampled":                            "居民采样",
	"volunteers answer":                            "志愿者响应",
	"supplies ordered and delivered":               "物资下单与配送",
	"childbirth help request":                      "临产求助",
	"temperatures reported":                        "体温上报",
	"door-to-door list":                            "入户排查名单",
	"evening: results and a pooled-positive trace": "晚间：检测结果与混管阳性追踪",
	"export rows":                                  "采样系统导出行",
	"bound to tubes":                               "绑定试管",
	"unmatched":                                    "未匹配",
	"tubes":                                        "试管",
	"pooled positive":                              "混管阳性",
	"households held and told":                     "原地管控并通知的住户",
	"single samples":                               "单采复核",
	"households released":                          "解除管控的住户",
	"households controlled":                        "原地管控（住户级管控区）",
	"night: the register corrected at the door":    "夜间：入户核实更正名册",
	"residents found away":                         "核实外出",
	"residents moved out":                          "核实迁出",
	"residents added":                              "核实新增",
	"import lines in conflict":                     "导入冲突行",
	"night: the district's screening list verified door by door": "夜间：区里下发的协查名单逐户核查",
	"list rows":               "名单行数",
	"doors verified":          "入户核查",
	"rows to find":            "待查找",
	"rows outside the street": "不在本街道",
	"people put under watch":  "居家隔离/健康监测人数",
	"households isolated":     "居家隔离户数",
	"night: people under watch report morning and evening": "夜间：居家隔离/健康监测人员早晚两次报告",
	"people under watch": "居家隔离/健康监测人员",
	"checks by the app":  "小程序报告",
	"checks by SMS":      "短信报告",
	"checks at the door": "上门录入",
	"windows missed":     "未按时报告",
	"doors to visit":     "需上门户数",
	"night: three people transferred to central quarantine": "夜间：三人转运至集中隔离点",
	"people transferred":                                       "转运人数",
	"transfer texts":                                           "转运通知短信",
	"left behind, help requested":                              "留守人员已建求助单",
	"the care board: a dialysis trip and a daily check":        "照护看板：透析出行与每日报平安",
	"the way out: passes at the gate":                          "有序动：卡口凭证出入",
	"the street's daily report: confirmed, rolled up as .xlsx": "街道日报：社区确认，汇总为Excel",
	"communities not switched":                                 "未切换的社区",
	"the neighbour lends two volunteers for the rush":          "邻社区借调两名志愿者支援高峰",
	"care plans":                        "照护计划",
	"households out and back":           "外出并返回的户",
	"late":                              "逾期返回",
	"daily checks asked":                "报平安询问",
	"help requests from the care board": "照护转求助",
	"invariants":                        "不变量",
	"switch back":                       "恢复常态",
	"costs":                             "费用",

	"SMS 预约 sent":                     "短信预约发送",
	"app bookings refused":            "小程序预约被拒",
	"app households signed in":        "已登录小程序的住户",
	"asked":                           "呼叫",
	"backups called":                  "呼叫替补",
	"broken":                          "未满足",
	"buildings called":                "叫楼楼栋",
	"buildings":                       "楼栋",
	"checked in at the lanes":         "采样台登记",
	"claimed":                         "已接单",
	"closure refused until confirmed": "关闭采样点被拒（待确认）",
	"confirmed":                       "已确认收货",
	"declined":                        "婉拒",
	"delivered":                       "已送达",
	"drill items removed":             "删除的演练数据",
	"dynamodb read units":             "DynamoDB 读取单位",
	"dynamodb write units":            "DynamoDB 写入单位",
	"fevers":                          "发热",
	"given a reason":                  "登记未采原因",
	"households (booked by staff)":    "工作人员代约住户",
	"households":                      "住户",
	"invocations":                     "函数调用",
	"items in the catalogue":          "在售商品",
	"no /dev/stats: not priced":       "无 /dev/stats：未计价",
	"opted out (TD)":                  "退订（TD）",
	"opted out, skipped":              "已退订，跳过",
	"orders placed":                   "下单",
	"phones texted":                   "发送短信的手机",
	"reports":                         "上报",
	"residents booked in the app":     "小程序预约居民",
	"sampled at the door":             "上门采样",
	"site closed: bookings moved":     "关闭采样点：改约",
	"site lanes raised (remedy)":      "增开采样台（按建议）",
	"skipped in a drill (fevers would alert real staff)": "演练中跳过（发热会提醒真实工作人员）",
	"skipped in a drill (it would alert real staff)":     "演练中跳过（会提醒真实工作人员）",
	"skipped in a drill (zones on paper)":                "演练中跳过（封控区仅在纸面上）",
	"sms-only households":                                "仅用短信的住户",
	"steps done":                                         "已完成步骤",
	"steps pending":                                      "待完成步骤",
	"steps failed":                                       "失败步骤",
	"steps running":                                      "进行中步骤",
	"steps":                                              "步骤",
	"tick failed":                                        "勾选失败",
	"to knock on":                                        "需敲门",
	"volunteers signed in":                               "已登录志愿者",

	"away":      "外出",
	"isolating": "隔离中",
	"refused":   "拒绝",
	"exempt":    "免检",
	"other":     "其他",

	"booking":     "预约",
	"help":        "求助",
	"notice":      "通知",
	"reply":       "回复",
	"signin":      "登录验证码",
	"supplies":    "物资",
	"temperature": "体温",
	"volunteer":   "志愿者",
}

// say is the report's words in one language.
type say struct{ lang string }

// t picks the Chinese or the English of a line.
func (s say) t(zh, en string) string {
	if s.lang == English {
		return en
	}
	return zh
}

// word is a fixed word in the report's language.
func (s say) word(en string) string {
	if zh, ok := zhWords[en]; ok && s.lang != English {
		return zh
	}
	return en
}

// yesNo says a flag.
func (s say) yesNo(b bool) string {
	if b {
		return s.t("是", "yes")
	}
	return s.t("否", "no")
}

// minutes says a span in scenario minutes, or that it was not reached.
func (s say) minutes(m float64) string {
	if m < 0 {
		return s.t("未达到", "not reached")
	}
	return fmt.Sprintf(s.t("%.0f 分钟", "%.0f min"), m)
}

// reasons says the reasons given, most common first.
func (s say) reasons(rs map[string]int) string {
	if len(rs) == 0 {
		return s.t("0", "none")
	}
	keys := make([]string, 0, len(rs))
	n := 0
	for k, v := range rs {
		keys = append(keys, k)
		n += v
	}
	sort.Slice(keys, func(i, j int) bool {
		return rs[keys[i]] > rs[keys[j]] || rs[keys[i]] == rs[keys[j]] && keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", s.word(k), rs[k]))
	}
	return fmt.Sprintf(s.t("%d 人（%s）", "%d (%s)"), n, strings.Join(parts, s.t("、", ", ")))
}

// Markdown writes the report for people, in lang (Chinese or English):
// every time in Beijing time, sites and buildings by name, shares over the
// households that took part.
func (r *Report) Markdown(w io.Writer, lang string) {
	s := say{lang}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	put := func(text string) { _, _ = io.WriteString(w, text) }
	mode := s.t("应急", "emergency")
	if r.Drill {
		mode = s.t("演练", "drill (演练)")
	}
	begun := chinatime.In(r.StartedAt)
	put(s.t("# 疫情中的一天（回放）\n\n", "# A day of the outbreak, replayed\n\n"))
	p(s.t("社区 `%s`，%s，时钟 ×%.0f（场景中的一小时用 %.0f 秒），执行记录 `%s`，北京时间 %s 至 %s（%.0f 秒）。%s\n\n",
		"Community `%s`, %s, clock ×%.0f (a scenario hour in %.0f s), run `%s`, Beijing time %s → %s (%.0f s).%s\n\n"),
		r.Community, mode, r.Speed, 3600/r.Speed, r.RunID, begun.Format("2006-01-02 15:04:05"), chinatime.In(r.FinishedAt).Format("15:04:05"),
		r.FinishedAt.Sub(r.StartedAt).Seconds(), s.t(" English: [scenario.en.md](scenario.en.md)。", " 中文版：[scenario.md](scenario.md)."))
	put(s.t("## 书记要问的\n\n| 问题 | 回答 |\n| --- | --- |\n", "## What the party secretary asks\n\n| question | answer |\n| --- | --- |\n"))
	p(s.t("| 从发现病例到所有封控住户收到通知 | %.1f 秒（场景中 %.1f 分钟）：%d 户，%d 个手机，发出 %d 条，%d 个已退订，%d 条失败 |\n",
		"| from the case to every sealed household told | %.1f s (%.1f scenario minutes): %d households, %d phones, %d sent, %d opted out, %d failed |\n"),
		r.Told.Seconds, r.Told.ScenarioMinutes, r.Told.Households, r.Told.Phones, r.Told.Sent, r.Told.Skipped, r.Told.Failed)
	b := r.Booking
	share := func(n int) string {
		if b.Residents == 0 {
			return "-"
		}
		return pct(float64(n) / float64(b.Residents))
	}
	p(s.t("| 已预约居民（结束时） | 参与住户 %[2]d 人中 %[1]d 人（%[3]s）；小程序预约 %[4]d 人，短信预约 %[5]d 人（%[6]d 条短信） |\n",
		"| residents booked (at the end) | %d of %d (%s); %d booked in the app, %d by SMS (%d texts) |\n"),
		b.Booked, b.Residents, share(b.Booked), b.AppResidents, b.SMSResidents, b.SMSTexts)
	p(s.t("| 已采样居民（含现场登记） | %d 人（%s） |\n", "| residents sampled (walk-ins included) | %d (%s) |\n"), b.Sampled, share(b.Sampled))
	p(s.t("| 开放预约 | %.1f 秒内所有住户完成预约；小程序预约耗时 p50 %.0f 毫秒，p99 %.0f 毫秒 |\n",
		"| the opening | %.1f s for every household's booking; app booking p50 %.0f ms, p99 %.0f ms |\n"), b.Seconds, b.P50ms, b.P99ms)
	if o := r.Opening; o.Transactions > o.Cancelled {
		placed := o.Transactions - o.Cancelled // each a booking (app or SMS) or a closure's move
		p(s.t("| 开放预约的数据库开销 | %d 个事务完成 %d 个预约和改约（每个 %.2f 个），%d 个因时段已满被取消；写入 %.0f 个写入单位（每个 %.1f 个），被取消的事务计费 %.0f 个（%.1f%%） |\n",
			"| what the opening's bookings cost | %d transactions for %d bookings and moves placed (%.2f a placed one), %d cancelled for a full slot; %.0f write units written (%.1f a placed one) and %.0f billed for the cancelled (%.1f%%) |\n"),
			o.Transactions, placed, float64(o.Transactions)/float64(placed), o.Cancelled, o.WriteUnits, o.WriteUnits/float64(placed),
			o.CancelledWriteUnits, 100*o.CancelledWriteUnits/max(o.WriteUnits, 1))
	}
	sc := r.SiteClosed
	p(s.t("| 轮中关闭采样点 | %s（场景时间 %s）：改约 %d 人，取消 %d 人，短信告知 %d 人，用时 %.1f 秒 |\n",
		"| site closed mid-round | %s at %s (scenario time): %d bookings moved, %d cancelled, %d people told, in %.1f s |\n"),
		sc.Site, sc.AtScenario, sc.Moved, sc.Cancelled, sc.Notified, sc.Seconds)
	v := r.Volunteers
	p(s.t("| 志愿者 | 呼叫 %d 人，婉拒 %d 人，呼叫替补 %d 人，接受 %d 人，未补齐班次 %d 个 |\n",
		"| volunteers | %d asked, %d declined, %d backups called, %d accepted, %d shifts unfilled |\n"), v.Asked, v.Declined, v.BackupsCalled, v.Accepted, v.Unfilled)
	o := r.Orders
	p(s.t("| 物资订单 | 下单 %d，送达 %d，确认收货 %d；送到门口 p50 %.1f 秒，最长 %.1f 秒 |\n",
		"| orders | %d placed, %d delivered, %d confirmed; to the door p50 %.1f s, max %.1f s |\n"), o.Placed, o.Delivered, o.Confirmed, o.P50Seconds, o.MaxSeconds)
	p(s.t("| 临产求助被接单 | %.1f 秒后（场景中 %.1f 分钟） |\n", "| childbirth help request claimed after | %.1f s (%.1f scenario minutes) |\n"), r.Help.Seconds, r.Help.ScenarioMinutes)
	p(s.t("| 体温上报 | %d 次，发热 %d 人（已提醒工作人员） |\n", "| temperature reports | %d, %d fevers (staff alerted) |\n"), r.Temperatures.Reports, r.Temperatures.Fevers)
	fd := r.Field
	p(s.t("| 轮次结束时已采样或已登记原因（全员核酸，一个不漏） | 参与住户 %[2]d 人中 %[1]d 人（%[3]s）：采样台 %[4]d 人（其中现场登记 %[5]d 人），上门采样 %[6]d 人，敲门后下楼 %[7]d 人，登记原因 %[8]s |\n",
		"| sampled or accounted for at the round's end (全员核酸，一个不漏) | %d of %d residents of the households that took part (%s): %d at the lanes (%d walk-ins), %d at their doors, %d came down after a knock, %s given a reason |\n"),
		fd.Done, fd.Residents, pct(fd.DoneShare), fd.AtLanes, fd.WalkIns, fd.AtDoors, fd.Knocked, s.reasons(fd.Reasons))
	p(s.t("| 达到 95%% 和 99%% 的时间（自第一次叫楼起，场景分钟） | %s 和 %s |\n", "| time to 95 %% and 99 %% (scenario minutes from the first call) | %s and %s |\n"),
		s.minutes(fd.To95), s.minutes(fd.To99))
	p(s.t("| 叫楼 | 叫楼 %d 栋（楼栋长叫 %d 栋），短信 %d 个手机，30 分钟内下楼 %d 人 |\n",
		"| call-downs (叫楼) | %d buildings called (%d by their 楼栋长), %d phones texted, %d residents came within 30 minutes |\n"), fd.Calls, fd.LeadCalls, fd.Texted, fd.CameWithin30)
	if rm := fd.Remedy; rm != nil {
		p(s.t("| 关闭采样点后的缺口 | 缺 %d 个位置；%s 增至 %d 个采样台；之后缺 %d 个 |\n", "| the closure's shortfall answered | %d people short; %s raised to %d lanes; short after: %d |\n"),
			rm.ShortBefore, rm.Site, rm.Lanes, rm.ShortAfter)
	}
	p(s.t("| 留给入户排查的（未采样、无原因） | %d 人 |\n", "| left for the door-to-door check (not sampled, no reason) | %d residents |\n"), r.DoorToDoor)
	d := r.Daily
	p(s.t("| 街道统筹 | 一次调用切换 %d 个社区；邻社区借调志愿者 %d 人、到岗 %d 人；日报 %d 个社区、%d 列，未确认 %d 个 |\n", "| the street | one call switched %d communities; %d volunteers lent by the neighbour, %d served; the daily sheet: %d communities, %d columns, %d unconfirmed |\n"),
		d.Switched, r.Loans.Lent, r.Loans.Served, d.Communities, d.Columns, d.Unconfirmed)
	p(s.t("| 短信计费条数 | %d |\n\n", "| SMS parts | %d |\n\n"), r.SMSParts)

	if len(r.Field.Sites) > 0 {
		put(s.t("## 采样点（来自当晚复盘）\n\n| 采样点 | 采样台 | 已关闭 | 采样 | 现场登记 | 最忙的一小时 | 其中每台 | 各台采样 |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
			"## Sites (from the night's review)\n\n| site | lanes | closed | sampled | walk-ins | busiest hour | per lane in it | by lane |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"))
		for _, st := range r.Field.Sites {
			var lanes []string
			for _, l := range st.ByLane {
				lanes = append(lanes, fmt.Sprintf(s.t("%d号台 %d", "lane %d: %d"), l.Lane, l.Sampled))
			}
			if len(lanes) == 0 {
				lanes = append(lanes, "-")
			}
			p("| %s | %d | %s | %d | %d | %d | %.0f | %s |\n", st.Site, st.Lanes, s.yesNo(st.Closed), st.Sampled, st.WalkIns, st.PeakPerHour, st.PerLanePerHour,
				strings.Join(lanes, s.t("、", ", ")))
		}
		p("\n")
	}
	put(s.t("## 不变量\n\n| 规则 | 满足 | 详情 |\n| --- | --- | --- |\n", "## Invariants\n\n| rule | held | detail |\n| --- | --- | --- |\n"))
	for _, i := range r.Invariants {
		held := s.yesNo(true)
		if !i.Held {
			held = "**" + s.t("否", "NO") + "**"
		}
		p("| %s | %s | %s |\n", s.t(i.NameZH, i.Name), held, s.t(i.DetailZH, i.Detail))
	}
	put(s.t("\n## 进度\n\n| 阶段 | 秒 | 计数 |\n| --- | --- | --- |\n", "\n## Progress\n\n| phase | seconds | counts |\n| --- | --- | --- |\n"))
	for _, ph := range r.Phases {
		var parts []string
		for _, k := range sortedKeys(ph.Counts) {
			parts = append(parts, fmt.Sprintf("%s %d", s.word(k), ph.Counts[k]))
		}
		p("| %s | %.1f | %s |\n", s.word(ph.Name), ph.Seconds, strings.Join(parts, s.t("，", ", ")))
	}
	put(s.t("\n## 预案步骤（自切换起）\n\n| 步骤 | 状态 | 秒 | 超时 |\n| --- | --- | --- | --- |\n",
		"\n## Playbook steps, from the switch\n\n| step | status | seconds | late |\n| --- | --- | --- | --- |\n"))
	statuses := map[string]string{"done": "已完成", "pending": "待完成", "running": "进行中", "failed": "失败"}
	for _, st := range r.Steps {
		secs := "-"
		if st.Seconds != nil {
			secs = fmt.Sprint(*st.Seconds)
		}
		status := st.Status
		if zh, ok := statuses[status]; ok && lang != English {
			status = zh
		}
		p("| %s | %s | %s | %s |\n", st.ID, status, secs, s.yesNo(st.Late))
	}
	put(s.t("\n## 各楼栋\n\n| 楼栋 | 居民 | 已预约 | 已采样 |\n| --- | --- | --- | --- |\n", "\n## By building\n\n| building | residents | booked | sampled |\n| --- | --- | --- | --- |\n"))
	for _, bs := range r.Buildings {
		p("| %s | %d | %d (%s) | %d (%s) |\n", bs.Name, bs.Residents, bs.Booked, pct(bs.BookedShare), bs.Sampled, pct(bs.SampledShare))
	}
	put(s.t("\n## 各时段人数最多的采样点（北京时间）\n\n| 时段 | 采样点 | 已预约 | 容量 |\n| --- | --- | --- | --- |\n",
		"\n## Longest queue at a site, per slot (Beijing time)\n\n| slot | site | booked | capacity |\n| --- | --- | --- | --- |\n"))
	for _, q := range r.Queues {
		p("| %s | %s | %d | %d |\n", q.Starts, q.Site, q.Booked, q.Capacity)
	}
	put(s.t("\n## 短信（按用途）\n\n| 用途 | 条数 | 计费条数 |\n| --- | --- | --- |\n", "\n## SMS by purpose\n\n| purpose | messages | parts |\n| --- | --- | --- |\n"))
	for _, k := range sortedKeys(r.SMSByPurpose) {
		p("| %s | %d | %d |\n", s.word(k), r.SMSByPurpose[k].Messages, r.SMSByPurpose[k].Parts)
	}
	if len(r.DrillSMSByPurpose) > 0 {
		put(s.t("\n演练发件箱中（从未发出）：\n\n| 用途 | 条数 | 计费条数 |\n| --- | --- | --- |\n", "\nIn the drill's outbox (never sent):\n\n| purpose | messages | parts |\n| --- | --- | --- |\n"))
		for _, k := range sortedKeys(r.DrillSMSByPurpose) {
			p("| %s | %d | %d |\n", s.word(k), r.DrillSMSByPurpose[k].Messages, r.DrillSMSByPurpose[k].Parts)
		}
	}
	put(s.t("\n## 错误（按错误码）\n\n", "\n## Errors by code\n\n"))
	if len(r.Errors) == 0 {
		put(s.t("无。\n", "None.\n"))
	}
	for _, k := range sortedKeys(r.Errors) {
		p("- %s: %d\n", k, r.Errors[k])
	}
	if r.Cost != nil {
		r.Cost.markdown(w, s)
	}
}
