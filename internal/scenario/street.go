package scenario

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
)

// Daily is the street's daily report as the scenario read it: the demo
// community's day confirmed, the street's sheet downloaded as .xlsx.
type Daily struct {
	Day         string `json:"day"`
	Communities int    `json:"communities"`
	Switched    int    `json:"switchedTogether"`
	Columns     int    `json:"columns"`
	Unconfirmed int    `json:"unconfirmed"`
	// Figures are the demo community's figures the day added, as the
	// report counts them, beside the scenario's own counts.
	Figures map[string][2]int `json:"figures"`
	Seconds float64           `json:"seconds"`
}

// streetCommunities are the communities the street's switch moves: the
// demo community and its neighbour, or on a deployed stack the demo
// community alone.
func (r *runner) streetCommunities() []string {
	if r.c.Remote {
		return []string{community}
	}
	return []string{community, demo.NeighbourID}
}

// switchStreet moves the street's communities in one call and answers
// the demo community's run.
func (r *runner) switchStreet(ctx context.Context, mode string) (run, error) {
	var out struct {
		Switched int `json:"switched"`
		Results  []struct {
			CommunityID string `json:"communityId"`
			Run         *run   `json:"run"`
			Error       string `json:"error"`
		} `json:"results"`
	}
	body := map[string]any{"communities": r.streetCommunities(), "mode": mode, "drill": r.c.Drill}
	if err := r.call(ctx, "POST", "/v1/streets/"+demo.StreetID+"/mode", r.admin, body, &out); err != nil {
		return run{}, err
	}
	r.rep.Daily.Switched = out.Switched
	for _, res := range out.Results {
		if res.Error != "" {
			r.count("communities not switched", 1)
		}
		if res.CommunityID == community {
			if res.Run == nil {
				return run{}, fmt.Errorf("the street's switch did not move %s: %s", community, res.Error)
			}
			return *res.Run, nil
		}
	}
	return run{}, fmt.Errorf("the street's switch answered no result for %s", community)
}

// daily reads the demo community's figures of today.
func (r *runner) daily(ctx context.Context) (map[string]int, error) {
	var rep struct {
		Figures map[string]int `json:"figures"`
	}
	err := r.call(ctx, "GET", "/v1/communities/"+community+"/daily", r.staff, nil, &rep)
	return rep.Figures, err
}

// streetDaily is the night's last office task: the community confirms its
// day, the street downloads its sheet. The sheet is a real workbook: its
// demo row holds what the community confirmed, its neighbour's row is
// marked unconfirmed, and the day's figures are the scenario's own counts.
func (r *runner) streetDaily(ctx context.Context) error {
	started := time.Now()
	day := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	r.rep.Daily.Day = day
	var confirmed struct {
		Confirmation struct {
			Figures map[string]int `json:"figures"`
		} `json:"confirmation"`
	}
	if err := r.call(ctx, "POST", "/v1/communities/"+community+"/daily/confirm", r.staff, map[string]string{"day": day, "note": "夜间已核对"}, &confirmed); err != nil {
		return err
	}
	figures := confirmed.Confirmation.Figures
	var sheet struct {
		Columns []struct {
			Title  string `json:"title"`
			Figure string `json:"figure"`
		} `json:"columns"`
		Rows []struct {
			CommunityID string `json:"communityId"`
			Name        string `json:"name"`
			Confirmed   bool   `json:"confirmed"`
			Values      []int  `json:"values"`
		} `json:"rows"`
		Unconfirmed int `json:"unconfirmed"`
	}
	if err := r.call(ctx, "GET", "/v1/streets/"+demo.StreetID+"/daily?day="+day, r.admin, nil, &sheet); err != nil {
		return err
	}
	var xlsx []byte
	if err := r.do(ctx, "GET", "/v1/streets/"+demo.StreetID+"/daily?day="+day+"&format=xlsx", r.admin, nil, nil, &xlsx); err != nil {
		return err
	}
	r.rep.Daily.Communities, r.rep.Daily.Columns, r.rep.Daily.Unconfirmed = len(sheet.Rows), len(sheet.Columns), sheet.Unconfirmed
	book, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		r.rep.hold("the street's daily sheet is a workbook", "街道日报是可打开的Excel文件", false, err.Error(), err.Error())
		return nil
	}
	rows, err := book.GetRows(book.GetSheetList()[0])
	if err != nil {
		return err
	}
	// The workbook: a header, a row a community, a total; the demo row's
	// numbers are what the community confirmed, the others marked.
	wrong := 0
	var notes []string
	if len(rows) != len(sheet.Rows)+2 || len(rows[0]) != len(sheet.Columns)+3 {
		wrong++
		notes = append(notes, fmt.Sprintf("%d rows of %d columns", len(rows), len(rows[0])))
	}
	for i, row := range sheet.Rows {
		if i+1 >= len(rows) {
			break
		}
		cells := rows[i+1]
		state := "已确认"
		if !row.Confirmed {
			state = "未确认"
		}
		if len(cells) < 2+len(sheet.Columns) || cells[0] != row.Name || cells[1] != state {
			wrong++
			notes = append(notes, fmt.Sprintf("row %s: %q", row.CommunityID, cells))
			continue
		}
		for j, col := range sheet.Columns {
			v, err := strconv.Atoi(cells[2+j])
			want := row.Values[j]
			if row.CommunityID == community {
				want = figures[col.Figure]
			}
			if err != nil || v != want {
				wrong++
				notes = append(notes, fmt.Sprintf("%s %s: %q, want %d", row.CommunityID, col.Figure, cells[2+j], want))
			}
		}
	}
	r.rep.hold("the street's daily .xlsx holds what each community confirmed, the unconfirmed marked",
		"街道日报Excel与各社区确认的数字一致，未确认的社区有标注", wrong == 0 && sheet.Unconfirmed == len(sheet.Rows)-1,
		fmt.Sprintf("%d communities, %d columns, %d unconfirmed, %d cells wrong %v", len(sheet.Rows), len(sheet.Columns), sheet.Unconfirmed, wrong, notes),
		fmt.Sprintf("%d 个社区，%d 列，%d 个未确认，%d 处不符", len(sheet.Rows), len(sheet.Columns), sheet.Unconfirmed, wrong))
	// The day's own counts: what the scenario did, as the report counts it.
	r.rep.Daily.Figures = map[string][2]int{}
	mine := map[string]int{"orders_delivered": r.rep.Orders.Delivered}
	if !r.rep.Transfers.Skipped {
		mine["transferred"] = r.rep.Transfers.People
	}
	if !r.c.Drill {
		// A drill's round is the drill's, left out of the real report.
		mine["sampled"] = r.rep.Booking.Sampled
	}
	if g := r.rep.Gates; !g.Skipped {
		mine["gate_out"], mine["gate_in"], mine["gate_couriers"], mine["gate_visitors"] = g.Out, g.In, g.Couriers, g.Visitors
	}
	off := 0
	for name, want := range mine {
		got := figures[name] - r.st.daily0[name]
		r.rep.Daily.Figures[name] = [2]int{got, want}
		if got != want {
			off++
		}
	}
	r.rep.hold("the daily report counts what the day did", "日报的数字与当天实际一致", off == 0,
		fmt.Sprintf("report vs scenario: %v", r.rep.Daily.Figures), fmt.Sprintf("日报 与 实际：%v", r.rep.Daily.Figures))
	r.rep.Daily.Seconds = time.Since(started).Seconds()
	return nil
}

// Loans is the neighbour's two volunteers lent for the rush.
type Loans struct {
	Lent    int     `json:"lent"`
	Served  int     `json:"served"`
	Records int     `json:"records"`
	Seconds float64 `json:"seconds"`
	Skipped bool    `json:"skipped"`
}

// loans plays the rush's help from next door: the demo community asks the
// street's pool for the neighbour's two volunteers for the day's rush, the
// neighbour's staff approve, the demo's staff put them on a post, they
// check in and out there, and the demo's service record has them with
// their own community as home.
func (r *runner) loans(ctx context.Context) error {
	if r.c.Remote {
		r.rep.Loans.Skipped = true // a deployed stack's neighbour is not the demo's
		return nil
	}
	started := time.Now()
	neighbour, err := r.api.SignIn(ctx, demo.NeighbourStaffPhone)
	if err != nil {
		return fmt.Errorf("the neighbour's staff sign-in: %w", err)
	}
	var pool struct {
		Volunteers []struct {
			ID              string `json:"id"`
			Phone           string `json:"phone"`
			HomeCommunityID string `json:"homeCommunityId"`
		} `json:"volunteers"`
	}
	if err := r.call(ctx, "GET", "/v1/streets/"+demo.StreetID+"/volunteers", r.staff, nil, &pool); err != nil {
		return err
	}
	now := time.Now()
	type shift struct {
		ID     string    `json:"id"`
		EndsAt time.Time `json:"endsAt"`
	}
	var post struct {
		ID     string  `json:"id"`
		Name   string  `json:"name"`
		Shifts []shift `json:"shifts"`
	}
	// A short shift under way, after any an earlier day's run left on the
	// same stack: a volunteer serves one shift at a time.
	var posts struct {
		Posts []struct {
			Name   string  `json:"name"`
			Shifts []shift `json:"shifts"`
		} `json:"posts"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/posts", r.staff, nil, &posts); err != nil {
		return err
	}
	start := now.Add(-5 * time.Minute).Truncate(time.Minute)
	for _, p := range posts.Posts {
		for _, sh := range p.Shifts {
			if p.Name == "高峰引导（借调）" && !sh.EndsAt.Before(start) {
				start = sh.EndsAt.Add(time.Minute)
			}
		}
	}
	if err := r.call(ctx, "POST", "/v1/communities/"+community+"/posts", r.staff, map[string]any{"kind": "queue_marshal", "name": "高峰引导（借调）", "place": "东门采样点",
		"shifts": []map[string]any{{"startsAt": start.Format(time.RFC3339), "endsAt": start.Add(10 * time.Minute).Format(time.RFC3339), "need": 2}}}, &post); err != nil {
		return err
	}
	var lent []string
	for _, v := range pool.Volunteers {
		if v.HomeCommunityID != demo.NeighbourID || len(lent) == 2 {
			continue
		}
		var loan struct {
			ID string `json:"id"`
		}
		body := map[string]string{"volunteerId": v.ID, "from": now.Add(-30 * time.Minute).Format(time.RFC3339), "to": now.Add(3 * time.Hour).Format(time.RFC3339), "note": "采样高峰"}
		if err := r.call(ctx, "POST", "/v1/communities/"+community+"/volunteer-loans", r.staff, body, &loan); err != nil {
			return err
		}
		if err := r.call(ctx, "POST", "/v1/volunteer-loans/"+loan.ID+"/approve", neighbour.Token, nil, nil); err != nil {
			return err
		}
		if err := r.call(ctx, "POST", "/v1/posts/"+post.ID+"/assignments", r.staff, map[string]any{"volunteerId": v.ID, "shiftId": post.Shifts[0].ID, "role": "A"}, nil); err != nil {
			return err
		}
		lent = append(lent, v.ID)
	}
	r.rep.Loans.Lent = len(lent)
	for _, ph := range demo.NeighbourVolunteerPhones {
		s, err := r.api.SignIn(ctx, ph)
		if err != nil {
			return fmt.Errorf("a lent volunteer's sign-in: %w", err)
		}
		for _, way := range []string{"checkins", "checkouts"} {
			var qr struct {
				Token string `json:"token"`
			}
			if err := r.call(ctx, "GET", "/v1/posts/"+post.ID+"/qr", r.staff, nil, &qr); err != nil {
				return err
			}
			if err := r.call(ctx, "POST", "/v1/posts/"+post.ID+"/"+way, s.Token, map[string]string{"token": qr.Token}, nil); err != nil {
				return err
			}
		}
		r.rep.Loans.Served++
	}
	var recs struct {
		Records []struct {
			VolunteerID string `json:"volunteerId"`
			Home        string `json:"home"`
			Recorder    string `json:"recorder"`
		} `json:"records"`
	}
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/volunteer-records?month="+month, r.staff, nil, &recs); err != nil {
		return err
	}
	for _, x := range recs.Records {
		if slices.Contains(lent, x.VolunteerID) && strings.Contains(x.Home, "酒泉路") {
			r.rep.Loans.Records++
		}
	}
	r.rep.hold("the neighbour's lent volunteers served here and are recorded with their home", "借调的邻社区志愿者在本社区服务，记录中注明所属社区",
		len(lent) == 2 && r.rep.Loans.Served == 2 && r.rep.Loans.Records >= 2,
		fmt.Sprintf("%d lent, %d served, %d service records with their home", len(lent), r.rep.Loans.Served, r.rep.Loans.Records),
		fmt.Sprintf("借调 %d 人，到岗 %d 人，服务记录 %d 条注明所属社区", len(lent), r.rep.Loans.Served, r.rep.Loans.Records))
	r.rep.Loans.Seconds = time.Since(started).Seconds()
	return nil
}

// spent is SMS figures of the daily report: by Beijing day, the messages
// and parts the street's communities were sent.
type spent struct {
	day             string
	messages, parts map[string]int
}

// smsSpent reads the street's communities' SMS figures of today (and of
// the day the baseline was read, if the night passed midnight).
func (r *runner) smsSpent(ctx context.Context) (spent, error) {
	s := spent{day: time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly), messages: map[string]int{}, parts: map[string]int{}}
	days := []string{s.day}
	if r.st.spent0.day != "" && r.st.spent0.day != s.day {
		days = append(days, r.st.spent0.day)
	}
	for _, cid := range r.streetCommunities() {
		for _, day := range days {
			var rep struct {
				Figures map[string]int `json:"figures"`
			}
			if err := r.call(ctx, "GET", "/v1/communities/"+cid+"/daily?day="+day, r.admin, nil, &rep); err != nil {
				return s, err
			}
			s.messages[day] += rep.Figures["sms_messages"]
			s.parts[day] += rep.Figures["sms_parts"]
		}
	}
	return s, nil
}

// smsFigures holds the daily report's SMS figures to the outbox: every
// text the day sent for the street's communities, and only those (a
// sign-in code, or an answer to a phone of nobody, is no community's).
func (r *runner) smsFigures(ctx context.Context, box []apiclient.SMS) error {
	now, err := r.smsSpent(ctx)
	if err != nil {
		return err
	}
	var got, gotParts, want, wantParts int
	for day := range now.messages {
		got += now.messages[day] - r.st.spent0.messages[day]
		gotParts += now.parts[day] - r.st.spent0.parts[day]
	}
	for _, m := range box {
		switch m.Template {
		case "signin_code", "signup_code", "reply_unknown":
			continue
		}
		want++
		wantParts += m.Parts
	}
	r.rep.hold("the daily report's SMS figures are the texts sent", "日报的短信条数与实际发出的一致", got == want && gotParts == wantParts,
		fmt.Sprintf("report %d messages, %d parts; outbox %d messages, %d parts", got, gotParts, want, wantParts),
		fmt.Sprintf("日报 %d 条（计费 %d 条），发件箱 %d 条（计费 %d 条）", got, gotParts, want, wantParts))
	return nil
}
