// Package daily is the community's daily report (日报) and the street's
// roll-up of it in the street's own sheet: a day's residents, sampling,
// results, people under watch, transfers, screening, fevers, help
// requests, deliveries, volunteers and reserves, gathered from what the
// other capabilities keep. A community confirms its figures (with a note)
// before the street's cut-off the morning after; the street's sheet then
// has every community's row, those not confirmed marked.
package daily

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/gate"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

// Figure is one number of the report: a stable name a street's sheet maps
// a column to, and how the sheet titles it by default.
type Figure struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Holds says what it counts.
	Holds string `json:"holds"`
}

// Figures are every figure of the report, in the default sheet's order.
var Figures = []Figure{
	{"residents", "户籍居民数", "residents in the register now"},
	{"sampled", "已采样", "people sampled in the day's testing rounds"},
	{"not_sampled", "未采样", "residents not sampled in the day's rounds"},
	{"unsampled_bedridden", "未采样-卧床待上门", "not sampled: bedridden"},
	{"unsampled_away", "未采样-不在社区", "not sampled: away"},
	{"unsampled_isolating", "未采样-隔离中", "not sampled: isolating"},
	{"unsampled_refused", "未采样-拒绝", "not sampled: refused"},
	{"unsampled_none", "未采样-未说明", "not sampled with no reason given"},
	{"results_pending", "结果待出", "people sampled whose tube has no result yet"},
	{"pooled_positive", "混管阳性涉及人数", "people in a pooled-positive or positive tube"},
	{"watch_in", "新增居家隔离/健康监测", "people put under watch that day"},
	{"watch_out", "解除居家隔离/健康监测", "people whose watch ended that day"},
	{"under_watch", "在管居家隔离/健康监测", "people under watch at the day's end"},
	{"transferred", "转运人数", "people taken to central quarantine that day (not exempted)"},
	{"screening_done", "协查核查完成", "screening tasks verified at the door that day"},
	{"screening_overdue", "协查超时未完成", "screening tasks past their deadline and not done at the day's end"},
	{"fevers", "发热人数", "people with a reading of 37.3 °C or more that day"},
	{"help_requests", "求助总数", "help requests made that day"},
	{"help_childbirth", "求助-临产分娩", "help requests: childbirth"},
	{"help_dialysis", "求助-透析", "help requests: dialysis"},
	{"help_chronic_medicine", "求助-慢病用药", "help requests: chronic medicine"},
	{"help_medical_visit", "求助-就医", "help requests: medical visit"},
	{"help_other", "求助-其他", "help requests: other"},
	{"help_response_minutes", "求助平均响应分钟", "average minutes from request to claim, of those claimed"},
	{"help_late", "求助超时响应", "requests claimed after their deadline, or unclaimed past it"},
	{"orders_delivered", "物资送达单数", "supply orders delivered that day"},
	{"volunteers_on_duty", "在岗志愿者", "volunteers who checked in that day"},
	{"volunteer_no_shows", "志愿者未到岗", "A-role shifts of the day begun with nobody checked in"},
	{"gate_out", "卡口外出人次", "households let out at the gates that day"},
	{"gate_in", "卡口返回人次", "returns through the gates that day"},
	{"gate_refused", "卡口劝返", "passes refused at the gates that day, every reason"},
	{"gate_visitors", "访客登记", "visitors logged at the gates that day, in and out"},
	{"gate_couriers", "快递外卖登记", "couriers logged at the gates that day"},
	{"gate_late", "逾期未归", "outings of the day back late, or out past their time or 20:00"},
	{"sms_messages", "短信条数", "SMS the provider took for the community that day (a drill's and a sign-in code's not counted)"},
	{"sms_parts", "短信计费条数", "the billed parts of those SMS (a long text is several)"},
	{"reserves_below", "储备低于下限品类", "reserve items below their minimum now"},
}

// Known says whether a name is a figure's.
func Known(name string) bool {
	return slices.ContainsFunc(Figures, func(f Figure) bool { return f.Name == name })
}

// Report is one community's figures of a day.
type Report struct {
	CommunityID string         `json:"communityId"`
	Name        string         `json:"name"`
	Day         string         `json:"day"`
	Figures     map[string]int `json:"figures"`
	// At is when the figures were gathered (the confirmation's time for a
	// confirmed report).
	At time.Time `json:"at"`
	// Confirmation is the community's, if it confirmed the day.
	Confirmation *Confirmation `json:"confirmation,omitempty"`
	// CutoffAt is the street's cut-off for the day: the morning after.
	CutoffAt time.Time `json:"cutoffAt"`
}

// Confirmation is a community's word that a day's figures are right.
type Confirmation struct {
	CommunityID string         `json:"communityId"`
	Day         string         `json:"day"`
	Figures     map[string]int `json:"figures"`
	Note        string         `json:"note,omitempty"`
	At          time.Time      `json:"at"`
	By          string         `json:"by"`
}

// Column is a column of the street's sheet: its title and the figure it
// holds.
type Column struct {
	Title  string `json:"title"`
	Figure string `json:"figure"`
}

// Template is a street's sheet: its columns in order and its cut-off.
type Template struct {
	StreetID string   `json:"streetId"`
	Cutoff   string   `json:"cutoff"`
	Columns  []Column `json:"columns"`
	// Default says the street has not set its own.
	Default bool `json:"default"`
	// Cutoffs are the cut-offs the street set, each with when: a day's is
	// the one in force as the day ended, so a change closes or reopens no
	// day already over.
	Cutoffs   []CutoffSince `json:"cutoffs,omitempty"`
	Version   int           `json:"version"`
	UpdatedAt *time.Time    `json:"updatedAt,omitempty"`
	UpdatedBy string        `json:"updatedBy,omitempty"`
}

// CutoffSince is a cut-off and when the street set it.
type CutoffSince struct {
	Since  time.Time `json:"since"`
	Cutoff string    `json:"cutoff"`
}

// cutoffAt is day d's cut-off: the morning after, at the cut-off in force
// when d ended.
func (t Template) cutoffAt(d time.Time) time.Time {
	end := d.AddDate(0, 0, 1)
	at := DefaultCutoff
	if len(t.Cutoffs) == 0 {
		at = t.Cutoff
	}
	for _, c := range t.Cutoffs {
		if c.Since.Before(end) {
			at = c.Cutoff
		}
	}
	return cutoffOf(d, at)
}

// DefaultCutoff is the cut-off of a street that set none.
const DefaultCutoff = "11:00"

// MaxColumns bounds a sheet.
const MaxColumns = 60

// Store is what the report reads and keeps.
type Store interface {
	auth.StreetResolver
	StreetCommunities(ctx context.Context, streetID string) ([]registry.Community, error)
	Community(ctx context.Context, id string) (registry.Community, error)
	Buildings(ctx context.Context, cid, cursor string, limit int) ([]registry.Building, string, error)
	Watches(ctx context.Context, cid string) ([]watch.Watch, error)
	Transfers(ctx context.Context, cid string) ([]watch.Transfer, error)
	CommunityTasks(ctx context.Context, cid, status string) ([]screening.Task, error)
	Readings(ctx context.Context, cid, day string) (map[string]notices.Reading, error)
	Checks(ctx context.Context, cid, day string) ([]watch.Check, error)
	// HelpCreated lists a community's help requests made in [from, to).
	HelpCreated(ctx context.Context, cid string, from, to time.Time) ([]help.Request, error)
	OrdersByStatus(ctx context.Context, cid, status, buildingID string) ([]supplies.Order, error)
	Hours(ctx context.Context, cid, month string) ([]volunteers.Checkin, error)
	Posts(ctx context.Context, cid string) ([]volunteers.Post, error)
	Assignments(ctx context.Context, postID string) ([]volunteers.Assignment, error)
	OpenCheckins(ctx context.Context, vids []string) ([]volunteers.Checkin, error)
	// SMSSpend is what the providers took for a community in a day.
	SMSSpend(ctx context.Context, cid, day string) (messages, parts int, err error)

	// ReportTemplate reads a street's sheet; false when it set none.
	ReportTemplate(ctx context.Context, sid string) (Template, bool, error)
	// PutReportTemplate writes it over version prev (0: none);
	// ErrChanged otherwise.
	PutReportTemplate(ctx context.Context, t Template, prev int) error
	// Confirmation reads a community's confirmation of a day.
	Confirmation(ctx context.Context, cid, day string) (Confirmation, bool, error)
	PutConfirmation(ctx context.Context, c Confirmation) error
}

// Gates reads the day's gate figures (gate.Service).
type Gates interface {
	Figures(ctx context.Context, cid string, d, asOf time.Time) (gate.DayFigures, error)
}

// Rounds reads the testing rounds and their reviews (booking.Service).
type Rounds interface {
	Rounds(ctx context.Context, p auth.Principal, cid string) ([]booking.Round, error)
	Review(ctx context.Context, p auth.Principal, roundID string) (booking.Review, error)
}

// Reserves reads the reserve's items below their minimum
// (reserve.Service).
type Reserves interface {
	Short(ctx context.Context, cid string) ([]reserve.Item, error)
}

// Service gathers, confirms and rolls up daily reports.
type Service struct {
	Store    Store
	Rounds   Rounds
	Reserves Reserves
	Gates    Gates
	Now      func() time.Time
}

// Errors of the report.
var (
	ErrCutoffPassed = apperr.New(apperr.KindConflict, "DAILY_CUTOFF_PASSED", "已过街道截止时间，本日报表不能再确认", "The street's cut-off for that day has passed")
	ErrChanged      = apperr.New(apperr.KindConflict, "CHANGED_MEANWHILE", "数据已被他人修改，请刷新后重试", "Someone changed it meanwhile: reload and try again")
)

// day parses a Beijing day, today by default; a day after today is
// refused.
func (s *Service) day(v string) (time.Time, string, error) {
	now := chinatime.In(s.Now())
	if v == "" {
		v = now.Format(time.DateOnly)
	}
	d, err := time.ParseInLocation(time.DateOnly, v, chinatime.Zone)
	if err != nil || d.After(now) || now.Sub(d) > 400*24*time.Hour {
		return time.Time{}, "", apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "a day (YYYY-MM-DD) of the last 400, not after today"})
	}
	return d, v, nil
}

// cutoffOf is a day's cut-off: the cut-off time of the morning after.
func cutoffOf(d time.Time, cutoff string) time.Time {
	hm, _ := time.ParseInLocation("15:04", cutoff, chinatime.Zone)
	next := d.AddDate(0, 0, 1)
	return time.Date(next.Year(), next.Month(), next.Day(), hm.Hour(), hm.Minute(), 0, 0, chinatime.Zone)
}

// Community is a community's figures of a day (its staff, the street's
// admins), with its confirmation if it confirmed.
func (s *Service) Community(ctx context.Context, p auth.Principal, cid, day string) (Report, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Report{}, err
	}
	d, day, err := s.day(day)
	if err != nil {
		return Report{}, err
	}
	sid, err := s.Store.StreetOf(ctx, cid)
	if err != nil {
		return Report{}, err
	}
	t, err := s.template(ctx, sid)
	if err != nil {
		return Report{}, err
	}
	rep, err := s.gather(ctx, p, cid, d)
	if err != nil {
		return Report{}, err
	}
	rep.CutoffAt = t.cutoffAt(d)
	if c, ok, err := s.Store.Confirmation(ctx, cid, day); err != nil {
		return Report{}, err
	} else if ok {
		rep.Confirmation = &c
	}
	return rep, nil
}

// ConfirmInput confirms a day's figures.
type ConfirmInput struct {
	Day  string `json:"day"`
	Note string `json:"note"`
}

// Confirm records the community's figures of a day as they are now, with
// a note, until the street's cut-off the morning after; confirming again
// before it replaces the last.
func (s *Service) Confirm(ctx context.Context, p auth.Principal, cid string, in ConfirmInput) (Report, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Report{}, err
	}
	note, problem := safetext.Text(in.Note, 500, false)
	if problem != "" {
		return Report{}, apperr.Validation.WithFields(apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	if in.Day == "" {
		return Report{}, apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "required"})
	}
	d, day, err := s.day(in.Day)
	if err != nil {
		return Report{}, err
	}
	sid, err := s.Store.StreetOf(ctx, cid)
	if err != nil {
		return Report{}, err
	}
	t, err := s.template(ctx, sid)
	if err != nil {
		return Report{}, err
	}
	now := chinatime.In(s.Now())
	if cut := t.cutoffAt(d); !now.Before(cut) {
		return Report{}, ErrCutoffPassed
	}
	rep, err := s.gather(ctx, p, cid, d)
	if err != nil {
		return Report{}, err
	}
	c := Confirmation{CommunityID: cid, Day: day, Figures: rep.Figures, Note: note, At: now, By: p.UserID}
	if err := s.Store.PutConfirmation(ctx, c); err != nil {
		return Report{}, err
	}
	audit.Changed(ctx, "daily", nil, map[string]any{"day": day})
	rep.Confirmation, rep.CutoffAt = &c, t.cutoffAt(d)
	return rep, nil
}

// template is a street's sheet, or the default one.
func (s *Service) template(ctx context.Context, sid string) (Template, error) {
	t, ok, err := s.Store.ReportTemplate(ctx, sid)
	if err != nil || ok {
		return t, err
	}
	t = Template{StreetID: sid, Cutoff: DefaultCutoff, Default: true}
	for _, f := range Figures {
		t.Columns = append(t.Columns, Column{Title: f.Title, Figure: f.Name})
	}
	return t, nil
}

// TemplateOf is a street's sheet (its admins and its communities' staff).
func (s *Service) TemplateOf(ctx context.Context, p auth.Principal, sid string) (Template, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Store); err != nil {
		return Template{}, err
	}
	return s.template(ctx, sid)
}

// TemplateInput sets a street's sheet.
type TemplateInput struct {
	Cutoff  string   `json:"cutoff"`
	Columns []Column `json:"columns"`
	// Version is the one read (0 for a street that set none).
	Version int `json:"version"`
}

// ErrUnknownFigure is a column mapped to no figure of the report.
var ErrUnknownFigure = apperr.New(apperr.KindInvalid, "UNKNOWN_FIGURE", "表头对应的指标不存在", "A column maps to no figure of the report")

// SetTemplate sets a street's sheet (its admins): the columns' titles in
// the street's words and order, each mapped to a figure, and the cut-off.
func (s *Service) SetTemplate(ctx context.Context, p auth.Principal, sid string, in TemplateInput) (Template, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return Template{}, apperr.Forbidden
	}
	var fields, unknown []apperr.FieldError
	if _, err := time.Parse("15:04", in.Cutoff); err != nil || len(in.Cutoff) != 5 {
		fields = append(fields, apperr.FieldError{Field: "cutoff", Reason: "a time of day, HH:MM"})
	}
	if len(in.Columns) == 0 || len(in.Columns) > MaxColumns {
		fields = append(fields, apperr.FieldError{Field: "columns", Reason: fmt.Sprintf("from %d to %d", 1, MaxColumns)})
	}
	titles := map[string]bool{}
	cols := make([]Column, len(in.Columns))
	for i, c := range in.Columns {
		title, problem := safetext.Line(c.Title, 40, true)
		if problem != "" {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("columns[%d].title", i), Reason: string(problem)})
		} else if titles[title] {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("columns[%d].title", i), Reason: "a title not used by another column"})
		}
		titles[title] = true
		if !Known(c.Figure) {
			unknown = append(unknown, apperr.FieldError{Field: fmt.Sprintf("columns[%d].figure", i), Reason: "a figure of the report (GET …/report-figures)"})
		}
		cols[i] = Column{Title: title, Figure: c.Figure}
	}
	if len(fields) > 0 {
		return Template{}, apperr.Validation.WithFields(append(fields, unknown...)...)
	}
	if len(unknown) > 0 {
		return Template{}, ErrUnknownFigure.WithFields(unknown...)
	}
	now := chinatime.In(s.Now())
	stored, err := s.template(ctx, sid)
	if err != nil {
		return Template{}, err
	}
	t := Template{StreetID: sid, Cutoff: in.Cutoff, Columns: cols, Version: in.Version + 1, UpdatedAt: &now, UpdatedBy: p.UserID,
		Cutoffs: slices.Clone(stored.Cutoffs)}
	if len(t.Cutoffs) == 0 || t.Cutoffs[len(t.Cutoffs)-1].Cutoff != in.Cutoff {
		t.Cutoffs = append(t.Cutoffs, CutoffSince{Since: now, Cutoff: in.Cutoff})
	}
	if len(t.Cutoffs) > 100 {
		t.Cutoffs = t.Cutoffs[len(t.Cutoffs)-100:]
	}
	if err := s.Store.PutReportTemplate(ctx, t, in.Version); err != nil {
		return Template{}, err
	}
	audit.Changed(ctx, "reportTemplate", nil, map[string]any{"columns": len(cols), "cutoff": t.Cutoff})
	return t, nil
}

// Row is one community's row of the street's sheet.
type Row struct {
	CommunityID string `json:"communityId"`
	Name        string `json:"name"`
	// Confirmed rows hold the figures the community confirmed; the others
	// hold them as gathered now, marked.
	Confirmed   bool       `json:"confirmed"`
	ConfirmedAt *time.Time `json:"confirmedAt,omitempty"`
	Note        string     `json:"note,omitempty"`
	// Values are the sheet's columns, in its order.
	Values []int `json:"values"`
}

// StreetReport is the street's sheet of a day.
type StreetReport struct {
	StreetID string    `json:"streetId"`
	Day      string    `json:"day"`
	CutoffAt time.Time `json:"cutoffAt"`
	// CutOff says the cut-off has passed: the sheet is the day's last word.
	CutOff      bool     `json:"cutOff"`
	Columns     []Column `json:"columns"`
	Rows        []Row    `json:"rows"`
	Total       []int    `json:"total"`
	Unconfirmed int      `json:"unconfirmed"`
}

// Street rolls up the street's communities of a day in its sheet (its
// admins).
func (s *Service) Street(ctx context.Context, p auth.Principal, sid, day string) (StreetReport, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return StreetReport{}, apperr.Forbidden
	}
	d, day, err := s.day(day)
	if err != nil {
		return StreetReport{}, err
	}
	t, err := s.template(ctx, sid)
	if err != nil {
		return StreetReport{}, err
	}
	all, err := s.Store.StreetCommunities(ctx, sid)
	if err != nil {
		return StreetReport{}, err
	}
	cut := t.cutoffAt(d)
	out := StreetReport{StreetID: sid, Day: day, CutoffAt: cut, CutOff: !s.Now().Before(cut), Columns: t.Columns,
		Rows: []Row{}, Total: make([]int, len(t.Columns))}
	// A row a community, four read side by side: a street's sheet is read
	// inside one request's 30 seconds.
	rows := make([]Row, len(all))
	figures := make([]map[string]int, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, c := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i] = Row{CommunityID: c.ID, Name: c.Name}
			conf, ok, err := s.Store.Confirmation(ctx, c.ID, day)
			if errs[i] = err; err != nil {
				return
			}
			if ok {
				rows[i].Confirmed, rows[i].ConfirmedAt, rows[i].Note, figures[i] = true, &conf.At, conf.Note, conf.Figures
				return
			}
			rep, err := s.gather(ctx, p, c.ID, d)
			figures[i], errs[i] = rep.Figures, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return StreetReport{}, err
	}
	for i, row := range rows {
		if !row.Confirmed {
			out.Unconfirmed++
		}
		for j, col := range t.Columns {
			row.Values = append(row.Values, figures[i][col.Figure])
			if col.Figure != "help_response_minutes" {
				out.Total[j] += figures[i][col.Figure]
			}
		}
		out.Rows = append(out.Rows, row)
	}
	slices.SortStableFunc(out.Rows, func(a, b Row) int { return strings.Compare(a.CommunityID, b.CommunityID) })
	return out, nil
}

// Sheet is the street's report as a sheet's header and rows: the
// community, whether it confirmed, the columns, the note; a total row.
func (r StreetReport) Sheet() ([]string, [][]string) {
	header := []string{"社区", "确认状态"}
	for _, c := range r.Columns {
		header = append(header, c.Title)
	}
	header = append(header, "备注")
	var rows [][]string
	for _, row := range r.Rows {
		state := "已确认"
		if !row.Confirmed {
			state = "未确认"
		}
		line := []string{row.Name, state}
		for _, v := range row.Values {
			line = append(line, fmt.Sprint(v))
		}
		rows = append(rows, append(line, row.Note))
	}
	total := []string{"合计", fmt.Sprintf("%d个社区未确认", r.Unconfirmed)}
	for i, c := range r.Columns {
		if c.Figure == "help_response_minutes" {
			total = append(total, "")
			continue
		}
		total = append(total, fmt.Sprint(r.Total[i]))
	}
	return header, append(rows, append(total, ""))
}
