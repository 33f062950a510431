package scenario

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

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
