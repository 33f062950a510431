package scenario

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/shared/chinatime"
)

// invariants reads the state back and checks what must hold whatever the
// load: no slot over capacity, nobody booked twice, no stock oversold nor a
// household over its limit, no message to a phone that opted out, no
// drill message to a real phone, no 5xx.
func (r *runner) invariants(ctx context.Context) error {
	var slots struct {
		Slots []slot `json:"slots"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/slots", r.staff, nil, &slots); err != nil {
		return err
	}
	full := 0
	for _, s := range slots.Slots {
		if s.Booked > s.Capacity {
			full++
		}
	}
	r.rep.hold("no slot over its capacity", "没有时段超过容量", full == 0, fmt.Sprintf("%d slots, %d over", len(slots.Slots), full),
		fmt.Sprintf("%d 个时段，超出 %d 个", len(slots.Slots), full))
	// A limit that keeps residents out on the morning they must book is an
	// outage, however it is worded.
	r.rep.hold("everyone signs in", "人人都能登录", r.st.signInFailed == 0,
		fmt.Sprintf("%d of %d households and volunteers could not sign in", r.st.signInFailed, r.st.signInTried),
		fmt.Sprintf("%d 户居民和志愿者中 %d 个未能登录", r.st.signInTried, r.st.signInFailed))
	// Nobody holds two bookings in the round: every household with the app
	// reads its own, and no building has more booked than residents.
	twice := 0
	var mu sync.Mutex
	var app []*household
	for _, h := range r.hs {
		if h.token != "" {
			app = append(app, h)
		}
	}
	r.parallel(len(app), func(i int) {
		var mine struct {
			Bookings []struct {
				RoundID    string `json:"roundId"`
				ResidentID string `json:"residentId"`
				Status     string `json:"status"`
			} `json:"bookings"`
		}
		if r.fail(r.call(ctx, "GET", "/v1/me/bookings", app[i].token, nil, &mine)) {
			return
		}
		seen := map[string]bool{}
		for _, b := range mine.Bookings {
			if b.RoundID != r.st.round || b.Status == "cancelled" {
				continue
			}
			if seen[b.ResidentID] {
				mu.Lock()
				twice++
				mu.Unlock()
			}
			seen[b.ResidentID] = true
		}
	})
	over := 0
	for _, b := range r.rep.Buildings {
		if b.Booked > b.Residents {
			over++
		}
	}
	r.rep.hold("nobody booked twice", "没有人重复预约", twice == 0 && over == 0,
		fmt.Sprintf("%d households read their bookings, %d residents with two; %d buildings with more booked than residents", len(app), twice, over),
		fmt.Sprintf("%d 户查看了本户预约，%d 人有两个预约；%d 栋楼预约数超过居民数", len(app), twice, over))
	r.queues(slots.Slots)

	var items struct {
		Items []item `json:"items"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/items", r.staff, nil, &items); err != nil {
		return err
	}
	negative := 0
	for _, it := range items.Items {
		if it.Stock < 0 {
			negative++
		}
	}
	limit := map[string]int{}
	for _, it := range r.st.items {
		limit[it.ID] = it.Limit
	}
	perHousehold := map[string]int{}
	overLimit := 0
	for _, o := range r.st.orders {
		for _, l := range o.Lines {
			perHousehold[o.Household+"/"+l.ItemID] += l.Quantity
			if lim := limit[l.ItemID]; lim > 0 && perHousehold[o.Household+"/"+l.ItemID] > lim {
				overLimit++
			}
		}
	}
	r.rep.hold("no stock oversold, no household over its limit", "没有超卖，没有一户超过限购", negative == 0 && overLimit == 0,
		fmt.Sprintf("%d items below zero, %d lines over a limit", negative, overLimit),
		fmt.Sprintf("库存为负的商品 %d 种，超过限购的订单行 %d 条", negative, overLimit))

	var box []apiclient.SMS
	if !r.c.Remote {
		r.settle(ctx) // every text of the day, sent
		var err error
		if box, err = r.outbox(ctx); err != nil {
			return err
		}
		box = box[r.st.outbox0:]
	}
	toOptedOut := 0
	for _, m := range box {
		if at, ok := r.st.optedOut[m.To]; ok && m.SentAt.After(at.Add(time.Second)) {
			toOptedOut++
		}
	}
	if !r.c.Remote {
		if err := r.smsFigures(ctx, box); err != nil {
			return err
		}
		r.rep.hold("no SMS to a phone that opted out", "退订的手机不再收到短信", toOptedOut == 0,
			fmt.Sprintf("%d phones opted out, %d messages to them after", len(r.st.optedOut), toOptedOut),
			fmt.Sprintf("%d 个手机退订，之后发给它们的短信 %d 条", len(r.st.optedOut), toOptedOut))
	}
	for _, m := range box {
		p := r.rep.SMSByPurpose[purposeOf(m.Template)]
		p.Messages++
		p.Parts += m.Parts
		r.rep.SMSByPurpose[purposeOf(m.Template)] = p
		r.rep.SMSParts += m.Parts
	}
	if r.c.Drill {
		var drill struct {
			Messages []struct {
				Template string `json:"template"`
				Parts    int    `json:"parts"`
			} `json:"messages"`
		}
		if err := r.call(ctx, "GET", "/v1/runs/"+r.st.run.ID+"/outbox", r.staff, nil, &drill); err != nil {
			return err
		}
		for _, m := range drill.Messages {
			p := r.rep.DrillSMSByPurpose[purposeOf(m.Template)]
			p.Messages++
			p.Parts += m.Parts
			r.rep.DrillSMSByPurpose[purposeOf(m.Template)] = p
		}
		// In a drill only sign-in codes and the answers to texts people
		// sent themselves reach phones (a deployed stack's phones are not
		// visible from here: its drill outbox is what the report shows).
		if !r.c.Remote {
			leaked := 0
			for _, m := range box {
				switch purposeOf(m.Template) {
				case "signin", "reply":
				default:
					leaked++
				}
			}
			r.rep.hold("no drill message to a real phone", "演练短信没有发到真实手机", leaked == 0,
				fmt.Sprintf("%d real messages other than sign-in codes and replies", leaked),
				fmt.Sprintf("除登录验证码和回复外的真实短信 %d 条", leaked))
		}
	}
	fives := 0
	for code, n := range r.rep.Errors {
		if strings.HasPrefix(code, "5") {
			fives += n
		}
	}
	f := r.rep.Field
	r.rep.hold("every resident sampled or accounted for", "全员核酸，一个不漏（≥99%）", f.DoneShare >= 0.99,
		fmt.Sprintf("%d of %d residents of the households that took part (%s): sampled, or given a reason", f.Done, f.Residents, pct(f.DoneShare)),
		fmt.Sprintf("参与本次演练的住户共 %d 人，已采样或已登记原因 %d 人（%s）", f.Residents, f.Done, pct(f.DoneShare)))
	r.rep.hold("nobody checked in by a volunteer at a site not theirs", "志愿者不能在非本岗采样点登记", f.WrongSiteAccepted == 0 && f.WrongSiteRefused == f.WrongSiteTried,
		fmt.Sprintf("%d tried at another site, %d refused", f.WrongSiteTried, f.WrongSiteRefused),
		fmt.Sprintf("在其他采样点尝试登记 %d 次，拒绝 %d 次", f.WrongSiteTried, f.WrongSiteRefused))
	r.rep.hold("no phone number in a volunteer's answer", "志愿者看到的数据中没有手机号", f.PhonesShown == 0,
		fmt.Sprintf("%d answers to volunteers, %d phone numbers in them", f.VolunteerAnswers, f.PhonesShown),
		fmt.Sprintf("返回给志愿者的 %d 个应答中有手机号 %d 个", f.VolunteerAnswers, f.PhonesShown))
	if !r.c.Remote {
		// A deployed stack's residents cannot sign in from here (their
		// codes go to real phones): their feeds are read locally only.
		r.rep.hold("a call reaches the building's app feed", "叫楼通知进入本楼居民的小程序消息", f.FeedsRead > 0 && f.FeedsWithCall == f.FeedsRead,
			fmt.Sprintf("%d feeds read right after their building's call, %d with the call first", f.FeedsRead, f.FeedsWithCall),
			fmt.Sprintf("叫楼后读取 %d 户的消息，%d 户第一条是叫楼通知", f.FeedsRead, f.FeedsWithCall))
	}
	ev := r.rep.Evening
	if r.c.Drill || !r.c.Remote {
		r.rep.hold("every household of a pooled-positive tube told within 10 minutes", "混管阳性试管的每户都在10分钟内收到原地居家通知",
			ev.Phoned > 0 && ev.Told == ev.Phoned && ev.ToldSeconds <= 600,
			fmt.Sprintf("tube %s: %d households, %d with a phone, %d told, the last %.1f s after the results' upload", ev.PositiveTube, ev.Households, ev.Phoned, ev.Told, ev.ToldSeconds),
			fmt.Sprintf("试管 %s：%d 户，有手机 %d 户，已通知 %d 户，最后一户在上传结果后 %.1f 秒", ev.PositiveTube, ev.Households, ev.Phoned, ev.Told, ev.ToldSeconds))
	}
	r.rep.hold("no household released before all its single results", "单采结果未全部返回前不解除管控", ev.Singles > 0 && !ev.ReleasedEarly && ev.Status == "released",
		fmt.Sprintf("%d single samples; released early: %t; at the end: %s", ev.Singles, ev.ReleasedEarly, ev.Status),
		fmt.Sprintf("单采 %d 人；提前解除：%s；最终：%s", ev.Singles, yesNo(ev.ReleasedEarly), traceStatusZH[ev.Status]))
	wantControlled := ev.Households
	if r.c.Drill {
		wantControlled = 0 // a drill's trace controls on paper
	}
	r.rep.hold("a pooled-positive tube's households controlled until released", "混管阳性试管的各户原地管控，解除后撤销",
		ev.Households > 0 && ev.Controlled == wantControlled && ev.ControlLeft == 0,
		fmt.Sprintf("%d households; %d under a household zone (controlled, pooled_positive) after the upload, %d after the release", ev.Households, ev.Controlled, ev.ControlLeft),
		fmt.Sprintf("%d 户；上传结果后原地管控 %d 户，解除后仍管控 %d 户", ev.Households, ev.Controlled, ev.ControlLeft))
	if ev.AppRead {
		r.rep.hold("a traced household's app says to stay in place", "被追踪住户的小程序提示原地居家", ev.AppTold,
			fmt.Sprintf("the feed has the trace's word: %t", ev.AppTold), fmt.Sprintf("小程序消息中有原地居家提示：%s", yesNo(ev.AppTold)))
	}
	if rg := r.rep.Register; !rg.Skipped {
		r.rep.hold("a correction at the door survives the next import", "入户更正在再次导入名册后仍然有效", rg.Kept && rg.Conflicts > 0,
			fmt.Sprintf("%d away, %d moved out, %d added; the whole file again: %d lines in conflict reported, corrections kept: %t", rg.Away, rg.MovedOut, rg.Added, rg.Conflicts, rg.Kept),
			fmt.Sprintf("外出 %d 人、迁出 %d 人、新增 %d 人；再次导入整份名册：报告冲突 %d 行，更正保持有效：%s", rg.Away, rg.MovedOut, rg.Added, rg.Conflicts, yesNo(rg.Kept)))
	}
	if sc := r.rep.Screening; !sc.Skipped {
		found := sc.Tasks == sc.PlantedMatch && sc.ToFind == sc.PlantedToFind && sc.Unplaced == sc.PlantedUnplaced
		r.rep.hold("a screening list is found, verified and sent back in the sender's columns", "协查名单逐行匹配、入户核查，并按原表列反馈",
			found && sc.Mine == sc.Tasks && sc.Verified == sc.Rows && sc.BackHeader && sc.BackRows == sc.Rows && sc.Answered == sc.Rows && sc.FullIDs == 0,
			fmt.Sprintf("%d rows: %d tasks (planted %d), %d to find (%d), %d outside the street (%d); %d verified; back: %d rows, %d answered, the sender's columns: %t, full identity numbers: %d",
				sc.Rows, sc.Tasks, sc.PlantedMatch, sc.ToFind, sc.PlantedToFind, sc.Unplaced, sc.PlantedUnplaced, sc.Verified, sc.BackRows, sc.Answered, sc.BackHeader, sc.FullIDs),
			fmt.Sprintf("%d 行：任务 %d（应为 %d），待查找 %d（%d），不在本街道 %d（%d）；已核查 %d；反馈 %d 行，已填结果 %d 行，保持原表列：%s，完整证件号码 %d 个",
				sc.Rows, sc.Tasks, sc.PlantedMatch, sc.ToFind, sc.PlantedToFind, sc.Unplaced, sc.PlantedUnplaced, sc.Verified, sc.BackRows, sc.Answered, yesNo(sc.BackHeader), sc.FullIDs))
	}
	if sc := r.rep.Screening; !sc.Skipped {
		r.rep.hold("a measure at the door puts the person under watch, a home isolation seals the household", "入户核查的管控措施转为居家隔离/健康监测，居家隔离的住户封控",
			sc.Measures > 0 && sc.Watches == sc.Measures && sc.IsolatedHouseholds > 0 && sc.SealedHouseholds == sc.IsolatedHouseholds,
			fmt.Sprintf("%d measures, %d watches; %d households in home isolation, %d sealed as a household", sc.Measures, sc.Watches, sc.IsolatedHouseholds, sc.SealedHouseholds),
			fmt.Sprintf("管控措施 %d 项，居家隔离/健康监测 %d 人；居家隔离 %d 户，按户封控 %d 户", sc.Measures, sc.Watches, sc.IsolatedHouseholds, sc.SealedHouseholds))
	}
	if wc := r.rep.WatchChecks; !wc.Skipped {
		r.rep.hold("every watched person's windows are reported or on the door list", "居家隔离/健康监测人员每日两次报告：已报告或列入上门名单",
			wc.People > 0 && wc.Windows > 0 && wc.Covered == wc.Windows && wc.Missed > 0 && wc.Alerts == 1 && wc.AlertTexts == 1,
			fmt.Sprintf("%d people, %d windows: %d reported or on the list (%d missed, %d doors); fevers or symptoms on the list %d, staff texted %d", wc.People, wc.Windows, wc.Covered, wc.Missed, wc.Doors, wc.Alerts, wc.AlertTexts),
			fmt.Sprintf("%d 人，%d 个报告时段：已报告或列入名单 %d 个（未报 %d 个，上门 %d 户）；发热或有症状 %d 人次，提醒工作人员短信 %d 条", wc.People, wc.Windows, wc.Covered, wc.Missed, wc.Doors, wc.Alerts, wc.AlertTexts))
	}
	if tr := r.rep.Transfers; !tr.Skipped {
		r.rep.hold("no transfer person untold, the parent left behind a help request", "转运人员全部收到通知，留守老人已建求助单",
			tr.People == 3 && tr.Told == tr.People && tr.Arrived == tr.People && tr.LeftBehind == 1 && tr.CareRaised == 1,
			fmt.Sprintf("%d people: %d told, %d arrived; %d left behind, %d with a help request", tr.People, tr.Told, tr.Arrived, tr.LeftBehind, tr.CareRaised),
			fmt.Sprintf("转运 %d 人：已通知 %d 人，已送达 %d 人；留守 %d 人，已建求助单 %d 人", tr.People, tr.Told, tr.Arrived, tr.LeftBehind, tr.CareRaised))
	}
	if cr := r.rep.Care; !cr.Skipped {
		r.rep.hold("a trip with no car and an unanswered daily check each become one help request", "未派车的就医出行和未回复的报平安各转为一条求助",
			cr.Plans == 2 && cr.Asked >= 1 && cr.Unanswered >= 1 && cr.NoCar >= 1 && cr.BoardTrips == 1 && cr.BoardHelp == 2,
			fmt.Sprintf("%d plans: %d asked, %d unanswered by noon, %d trips with no car by 18:00; on the board %d trip, %d help requests", cr.Plans, cr.Asked, cr.Unanswered, cr.NoCar, cr.BoardTrips, cr.BoardHelp),
			fmt.Sprintf("照护计划 %d 份：询问 %d 人，中午未回复 %d 人，18:00 未派车 %d 次；看板上出行 %d 次，求助 %d 条", cr.Plans, cr.Asked, cr.Unanswered, cr.NoCar, cr.BoardTrips, cr.BoardHelp))
	}
	if cr := r.rep.Care; !cr.Skipped {
		r.rep.hold("no volunteer answer carries a diagnosis", "志愿者看到的内容不含诊断信息",
			cr.VolunteerReads > 0 && cr.Leaks == 0,
			fmt.Sprintf("%d answers to volunteers read (calls, posts, deliveries, doors to verify): %d named a watch, a reading, a symptom or a care need", cr.VolunteerReads, cr.Leaks),
			fmt.Sprintf("读取志愿者可见内容 %d 次（呼叫、岗位、配送、入户核查）：含隔离类型、体温、症状或照护需求 %d 次", cr.VolunteerReads, cr.Leaks))
	}
	r.rep.hold("no full identity number kept", "不保存完整证件号码", ev.FullIDRefused,
		fmt.Sprintf("the export's row with a full number refused: %t", ev.FullIDRefused),
		fmt.Sprintf("导出文件中含完整证件号码的行被拒绝：%s", yesNo(ev.FullIDRefused)))
	r.rep.hold("the office's pace by site counts what the review counts", "今日各采样点速度与复盘的采样数一致", f.SitesPaced > 0 && f.SitesPaceDisagree == 0,
		fmt.Sprintf("%d sites, %d disagree", f.SitesPaced, f.SitesPaceDisagree),
		fmt.Sprintf("%d 个采样点，不一致 %d 个", f.SitesPaced, f.SitesPaceDisagree))
	r.rep.hold("no 5xx answer", "没有 5xx 服务器错误", fives == 0, fmt.Sprintf("%d", fives), fmt.Sprintf("%d 次", fives))
	r.count("invariants", len(r.rep.Invariants))
	r.count("broken", len(r.rep.Broken()))
	return nil
}

// queues is the longest queue at a site in each slot: the people booked
// into its slot at the site with the most.
func (r *runner) queues(slots []slot) {
	names := map[string]string{}
	for _, st := range r.rep.Field.Sites {
		names[st.SiteID] = st.Site
	}
	by := map[time.Time]SlotQueue{}
	for _, s := range slots {
		q := by[s.StartsAt]
		if s.Booked >= q.Booked {
			name := names[s.SiteID]
			if name == "" {
				name = s.SiteID
			}
			by[s.StartsAt] = SlotQueue{Starts: chinatime.In(s.StartsAt).Format("15:04"), Site: name, Booked: s.Booked, Capacity: s.Capacity, at: s.StartsAt}
		}
	}
	for _, q := range by {
		r.rep.Queues = append(r.rep.Queues, q)
	}
	sortQueues(r.rep.Queues)
}

// switchOff ends the emergency (or the drill, removing its data), so that
// the next run starts at peace.
func (r *runner) switchOff(ctx context.Context) error {
	end, err := r.switchStreet(ctx, "normal")
	if err != nil {
		return err
	}
	r.count("steps", len(end.Steps))
	if r.c.Drill {
		var removed struct {
			Removed struct{ Items int } `json:"drillDataRemoved"`
		}
		if err := r.call(ctx, "DELETE", "/v1/runs/"+r.st.run.ID+"/drill-data", r.staff, nil, &removed); err != nil {
			return err
		}
		r.count("drill items removed", removed.Removed.Items)
	}
	var report struct {
		Run struct {
			Steps []struct {
				ID                string `json:"id"`
				Status            string `json:"status"`
				SecondsFromSwitch *int   `json:"secondsFromSwitch"`
				Late              bool   `json:"late"`
			} `json:"steps"`
		} `json:"run"`
	}
	if err := r.call(ctx, "GET", "/v1/runs/"+r.st.run.ID+"/report", r.staff, nil, &report); err != nil {
		return err
	}
	for _, s := range report.Run.Steps {
		st := StepTime{ID: s.ID, Status: s.Status, Late: s.Late}
		if s.SecondsFromSwitch != nil {
			st.Seconds = s.SecondsFromSwitch
		}
		r.rep.Steps = append(r.rep.Steps, st)
	}
	return nil
}
