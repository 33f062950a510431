package booking

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
	"golang.org/x/sync/errgroup"
)

// SampleRow is one row of the official sampling system's export: who was
// swabbed when, where, into which tube. The identity number stays in the
// file: only a masked one is accepted, and it is not kept.
type SampleRow struct {
	Row   int
	Name  string
	Phone string
	ID    string
	At    string
	Site  string
	Tube  string
}

// SamplesReport says what an import of the sampling system's export did.
type SamplesReport struct {
	Rows int `json:"rows"`
	// Matched rows marked their resident sampled into their tube;
	// AlreadySampled rows found the resident sampled into the same tube
	// (the same file twice changes nothing).
	Matched        int `json:"matched"`
	AlreadySampled int `json:"alreadySampled"`
	// Bound rows put a person checked in at the site without a tube into
	// the tube the export names.
	Bound int `json:"bound"`
	// Unmatched rows name nobody of the community (or several people).
	Unmatched []SampleProblem `json:"unmatched"`
	// Conflicting rows would put a person in two tubes or a tube over
	// its size.
	Conflicting []SampleProblem `json:"conflicting"`
	Invalid     []SampleProblem `json:"invalid"`
}

// SampleProblem is a row not taken, and why; the phone is masked.
type SampleProblem struct {
	Row    int    `json:"row"`
	Name   string `json:"name,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Reason string `json:"reason"`
	Code   string `json:"code,omitempty"`
}

// fullID is an identity number written out: 18 characters (or the old 15)
// with no mask. The file may carry it masked (620102********1234).
var fullID = regexp.MustCompile(`^\d{17}[\dXx]$|^\d{15}$`)

// ParseSamplesCSV reads the sampling system's export: a header row with
// 姓名, 手机号, 证件号码, 采集时间, 采样点 and 试管码 (the last four may be
// missing but 试管码), UTF-8 with or without its BOM.
func ParseSamplesCSV(data []byte) ([]SampleRow, error) {
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.FieldsPerRecord = -1
	head, err := rd.Read()
	if err != nil {
		return nil, ErrSamplesFileInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 姓名, 手机号 and 试管码"})
	}
	col := map[string]int{}
	for i, h := range head {
		switch strings.TrimSpace(h) {
		case "姓名", "name":
			col["name"] = i
		case "手机号", "手机号码", "联系电话", "phone":
			col["phone"] = i
		case "证件号码", "身份证号", "idNumber":
			col["id"] = i
		case "采集时间", "采样时间", "sampledAt":
			col["at"] = i
		case "采样点", "采集点", "site":
			col["site"] = i
		case "试管码", "管码", "试管编号", "tube":
			col["tube"] = i
		}
	}
	if _, ok := col["name"]; !ok {
		return nil, ErrSamplesFileInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 姓名, 手机号 and 试管码"})
	}
	if _, ok := col["tube"]; !ok {
		return nil, ErrSamplesFileInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 姓名, 手机号 and 试管码"})
	}
	get := func(rec []string, k string) string {
		i, ok := col[k]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []SampleRow
	for n := 2; ; n++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if len(rows) >= MaxResultRows*3 {
			return nil, ErrSamplesFileInvalid.WithFields(apperr.FieldError{Field: "rows", Reason: "at most 15000 rows"})
		}
		if err != nil {
			rows = append(rows, SampleRow{Row: n})
			continue
		}
		rows = append(rows, SampleRow{Row: n, Name: get(rec, "name"), Phone: get(rec, "phone"), ID: get(rec, "id"), At: get(rec, "at"),
			Site: get(rec, "site"), Tube: get(rec, "tube")})
	}
	return rows, nil
}

// Errors of sample imports.
var ErrSamplesFileInvalid = apperr.New(apperr.KindInvalid, "SAMPLES_FILE_INVALID", "采样记录文件无法读取", "The sampling export cannot be read")

// ImportSamples marks the people of the sampling system's export sampled
// in the round, bound to their tubes: each row matched to the register by
// phone and name, or by a name only one resident has.
func (s *Service) ImportSamples(ctx context.Context, p auth.Principal, roundID string, rows []SampleRow) (SamplesReport, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return SamplesReport{}, err
	}
	out := SamplesReport{Rows: len(rows), Unmatched: []SampleProblem{}, Conflicting: []SampleProblem{}, Invalid: []SampleProblem{}}
	_, residents, err := s.register(ctx, r.CommunityID)
	if err != nil {
		return out, err
	}
	byPhone := map[string][]registry.Resident{}
	byName := map[string][]registry.Resident{}
	for _, rs := range residents {
		for _, res := range rs {
			if res.Phone != "" {
				byPhone[res.Phone] = append(byPhone[res.Phone], res)
			}
			byName[res.Name] = append(byName[res.Name], res)
		}
	}
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return out, err
	}
	siteByName := map[string]string{}
	for _, st := range sites {
		siteByName[st.Name] = st.ID
	}
	// What the round holds already, read once: each sample's tube; and
	// each building's zone level as rows need it.
	samples, err := s.Work.Samples(ctx, roundID)
	if err != nil {
		return out, err
	}
	tubeOf := map[string]string{}
	for _, sm := range samples {
		tubeOf[sm.ResidentID] = sm.Tube
	}
	levels := s.levels(r.CommunityID)
	// Rows are read and matched first; a person's rows are then written in
	// the file's order (a person twice in a file is decided the same way
	// every time), people side by side.
	var order []string
	byPerson := map[string][]matchedRow{}
	for _, row := range rows {
		m, problem, kind := s.readSampleRow(row, byPhone, byName)
		switch kind {
		case "invalid":
			out.Invalid = append(out.Invalid, problem)
			continue
		case "unmatched":
			out.Unmatched = append(out.Unmatched, problem)
			continue
		}
		if _, ok := byPerson[m.res.ID]; !ok {
			order = append(order, m.res.ID)
		}
		byPerson[m.res.ID] = append(byPerson[m.res.ID], m)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(importWorkers)
	for _, id := range order {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			for _, m := range byPerson[id] {
				mu.Lock()
				had, sampled := tubeOf[id]
				mu.Unlock()
				kind, problem, err := s.importSample(gctx, r, p, m, siteByName[m.row.Site], had, sampled, levels)
				if err != nil {
					return err
				}
				mu.Lock()
				switch kind {
				case "matched":
					out.Matched++
					tubeOf[id] = m.code
				case "bound":
					out.Bound++
					tubeOf[id] = m.code
				case "already":
					out.AlreadySampled++
				case "conflicting":
					out.Conflicting = append(out.Conflicting, problem)
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return out, ErrSamplesIncomplete.Wrap(err).WithRetryAfter(time.Second)
		}
		return out, err
	}
	for _, list := range [][]SampleProblem{out.Unmatched, out.Conflicting, out.Invalid} {
		sort.Slice(list, func(i, j int) bool { return list[i].Row < list[j].Row })
	}
	return out, nil
}

// importWorkers are the rows of an export written at once.
const importWorkers = 8

// ErrSamplesIncomplete: the function's time ran out; what was written is
// whole rows, and the same file again finishes the import.
var ErrSamplesIncomplete = apperr.New(apperr.KindUnavailable, "IMPORT_INCOMPLETE", "导入未完成，请重新上传同一文件以继续", "The import stopped before its end: upload the same file again to finish it")

// levelCache reads each building's zones once (an import, a check-in),
// and its households only where a zone covers a unit.
type levelCache struct {
	zones     ZoneLevels
	directory Directory
	community string
	mu        sync.Mutex
	buildings map[string][]zone.Zone
	units     map[string]registry.Household
}

func (s *Service) levels(communityID string) *levelCache {
	return &levelCache{zones: s.Zones, directory: s.Directory, community: communityID,
		buildings: map[string][]zone.Zone{}, units: map[string]registry.Household{}}
}

// level is a household's effective zone level: "" in none.
func (c *levelCache) level(ctx context.Context, householdID string) (string, error) {
	bid := registry.BuildingOf(householdID)
	c.mu.Lock()
	zones, ok := c.buildings[bid]
	c.mu.Unlock()
	if !ok {
		var err error
		if zones, err = c.zones.BuildingZones(ctx, c.community, bid); err != nil {
			return "", err
		}
		var hs []registry.Household
		if zone.NeedsUnit(zones) {
			if hs, err = c.directory.BuildingHouseholds(ctx, bid); err != nil {
				return "", err
			}
		}
		c.mu.Lock()
		c.buildings[bid] = zones
		for _, h := range hs {
			c.units[h.ID] = h
		}
		c.mu.Unlock()
	}
	h := registry.Household{ID: householdID, BuildingID: bid}
	c.mu.Lock()
	if known, ok := c.units[householdID]; ok {
		h = known
	}
	c.mu.Unlock()
	z, _ := zone.Strictest(zones, h)
	return z.Level, nil
}

// matchedRow is a row of the export read and matched to a resident.
type matchedRow struct {
	row     SampleRow
	res     registry.Resident
	code    string
	at      time.Time
	problem SampleProblem
}

// readSampleRow checks a row and finds its resident: "invalid" or
// "unmatched" with the problem, else the row to write.
func (s *Service) readSampleRow(row SampleRow, byPhone, byName map[string][]registry.Resident) (matchedRow, SampleProblem, string) {
	problem := SampleProblem{Row: row.Row, Name: row.Name, Phone: logging.MaskPhones(row.Phone)}
	at, reason := sampleTime(row.At, s.Now())
	code, ok := TubeCode(row.Tube)
	switch {
	case row.Name == "" && row.Tube == "":
		problem.Reason = "not a CSV line"
	case fullID.MatchString(strings.ReplaceAll(row.ID, " ", "")):
		problem.Reason = "a full identity number: the file must mask it"
	case !ok:
		problem.Reason = "the 4 to 32 letters and digits of a tube code"
	case reason != "":
		problem.Reason = reason
	}
	if problem.Reason != "" {
		return matchedRow{}, problem, "invalid"
	}
	res, found := matchResident(row, byPhone, byName)
	if !found {
		problem.Reason = "nobody of the community, or several people, by this phone and name"
		return matchedRow{}, problem, "unmatched"
	}
	return matchedRow{row: row, res: res, code: code, at: at, problem: problem}, problem, ""
}

// importSample writes one matched row, whose person was sampled (sampled)
// into tube had or not: what it did, and the problem when it conflicts.
func (s *Service) importSample(ctx context.Context, r Round, p auth.Principal, m matchedRow, siteID, had string, sampled bool,
	levels *levelCache) (string, SampleProblem, error) {
	res, code, at, problem := m.res, m.code, m.at, m.problem
	level, err := levels.level(ctx, registry.HouseholdOf(res.ID))

	if err != nil {
		return "", problem, err
	}
	sm := Sample{RoundID: r.ID, ResidentID: res.ID, CommunityID: r.CommunityID, At: at, By: p.UserID, SiteID: siteID}
	putInTube(r, &sm, code, level)
	switch {
	case sampled && had == code:
		return "already", problem, nil
	case sampled && had != "":
		err = ErrTwoTubes
	case sampled:
		// Checked in at the site without a tube: the export binds it.
		if err = s.Tubes.BindTube(ctx, sm); err == nil {
			return "bound", problem, nil
		}
		if errors.Is(err, ErrConflict) {
			err = ErrTwoTubes // bound meanwhile, by another row of the file
		}
	default:
		if _, err = s.Store.CheckIn(ctx, sm); err == nil {
			return "matched", problem, nil
		}
		if errors.Is(err, ErrAlreadySampled) {
			err = ErrTwoTubes // the same person twice in the file
		}
	}
	if errors.Is(err, ErrTubeRefused) {
		err = s.tubeRefusal(ctx, sm)
	}
	if e := apperr.As(err); e.Kind == apperr.KindConflict {
		problem.Reason, problem.Code = e.MessageEN, e.Code
		return "conflicting", problem, nil
	}
	return "", problem, err
}

// In says a report's reasons in lang ("en" or "zh"), as errors are.
func (r SamplesReport) In(lang string) SamplesReport {
	for _, list := range [][]SampleProblem{r.Unmatched, r.Conflicting, r.Invalid} {
		for i := range list {
			list[i].Reason = apperr.ReasonIn(lang, list[i].Reason)
		}
	}
	return r
}

// ErrTwoTubes refuses a row that would put a person sampled into one tube
// into another.
var ErrTwoTubes = apperr.New(apperr.KindConflict, "SAMPLED_IN_ANOTHER_TUBE", "此人本轮已采样并在另一试管中", "This person was sampled into another tube in this round")

// matchResident finds a row's resident: by phone, when the name agrees
// (or the row has none); else by a name only one resident has.
func matchResident(row SampleRow, byPhone, byName map[string][]registry.Resident) (registry.Resident, bool) {
	if n, err := phone.Normalize(row.Phone); err == nil {
		for _, res := range byPhone[n] {
			if row.Name == "" || res.Name == row.Name {
				return res, true
			}
		}
	}
	if rs := byName[row.Name]; row.Name != "" && len(rs) == 1 {
		return rs[0], true
	}
	return registry.Resident{}, false
}

// sampleTime reads a row's 采集时间 in Beijing time ("2006-01-02 15:04:05",
// or without seconds); empty is now. A time in the future is refused.
func sampleTime(s string, now time.Time) (time.Time, string) {
	if s == "" {
		return chinatime.In(now), ""
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, chinatime.Zone); err == nil {
			if t.After(now.Add(time.Minute)) {
				return time.Time{}, "a sampling time in the future"
			}
			return chinatime.In(t), ""
		}
	}
	return time.Time{}, "a sampling time as 2006-01-02 15:04:05"
}
