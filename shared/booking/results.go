package booking

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
	"golang.org/x/sync/errgroup"
)

// ResultRow is one tube's result as the lab sends it.
type ResultRow struct {
	Tube   string `json:"tube"`
	Result string `json:"result"`
}

// ResultsInput is a results file as JSON.
type ResultsInput struct {
	Results []ResultRow `json:"results"`
}

// MaxResultRows bounds one upload: a community's round is some 800 tubes.
const MaxResultRows = 5000

// ResultsReport says what an upload did, tube by tube.
type ResultsReport struct {
	Rows int `json:"rows"`
	// Applied tubes took their result; Unchanged had it already (the same
	// file twice changes nothing).
	Applied   int `json:"applied"`
	Unchanged int `json:"unchanged"`
	// Unknown tubes are not in the round: reported, not guessed.
	Unknown []string `json:"unknown"`
	// Conflicting tubes came with two different results: nothing is
	// written for them.
	Conflicting []string `json:"conflicting"`
	// Invalid rows are those that could not be read.
	Invalid []ResultProblem `json:"invalid"`
	// PooledPositive are the tubes of this upload that came back pooled
	// positive or positive: their people are to be found now.
	PooledPositive []string `json:"pooledPositive"`
	// Traced are the households of those tubes texted to stay in place
	// (written with the results: the queue sends them).
	Traced int `json:"traced"`
}

// In says a report's reasons in lang ("en" or "zh"), as errors are.
func (r ResultsReport) In(lang string) ResultsReport {
	for i := range r.Invalid {
		r.Invalid[i].Reason = apperr.ReasonIn(lang, r.Invalid[i].Reason)
	}
	return r
}

// ResultProblem is a row that could not be read.
type ResultProblem struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// ParseResultsCSV reads a lab's results file: a header row with 试管码
// (or 管码, tube) and 结果 (or result), UTF-8 with or without its BOM.
func ParseResultsCSV(data []byte) ([]ResultRow, []ResultProblem, error) {
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.FieldsPerRecord = -1
	head, err := rd.Read()
	if err != nil {
		return nil, nil, ErrResultsFileInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 试管码 and 结果"})
	}
	tubeCol, resultCol := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(h) {
		case "试管码", "管码", "试管编号", "tube":
			tubeCol = i
		case "结果", "检测结果", "result":
			resultCol = i
		}
	}
	if tubeCol < 0 || resultCol < 0 {
		return nil, nil, ErrResultsFileInvalid.WithFields(apperr.FieldError{Field: "header", Reason: "a header row with 试管码 and 结果"})
	}
	var rows []ResultRow
	var problems []ResultProblem
	for n := 2; ; n++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, ResultProblem{Row: n, Reason: "not a CSV line"})
			continue
		}
		if len(rows)+len(problems) >= MaxResultRows {
			return nil, nil, ErrResultsFileInvalid.WithFields(apperr.FieldError{Field: "rows", Reason: fmt.Sprintf("at most %d rows", MaxResultRows)})
		}
		if tubeCol >= len(rec) || resultCol >= len(rec) {
			problems = append(problems, ResultProblem{Row: n, Reason: "a tube code and a result"})
			continue
		}
		rows = append(rows, ResultRow{Tube: rec[tubeCol], Result: rec[resultCol]})
	}
	return rows, problems, nil
}

// resultWorkers are the tubes of an upload written at once.
const resultWorkers = 8

// Errors of results.
var (
	ErrResultsFileInvalid = apperr.New(apperr.KindInvalid, "RESULTS_FILE_INVALID", "结果文件无法读取", "The results file cannot be read")
	// ErrResultsIncomplete: the function's time ran out; what was written
	// is whole tubes, and the same file again finishes the upload.
	ErrResultsIncomplete = apperr.New(apperr.KindUnavailable, "RESULTS_INCOMPLETE", "结果未全部写入，请重新上传同一文件以继续", "The upload stopped before its end: upload the same file again to finish it")
)

// RecordResults takes a lab's results for a round's tubes: each row read
// and checked before anything is written; a tube given two different
// results is refused whole; an unknown tube is reported; a result a tube
// has already changes nothing.
func (s *Service) RecordResults(ctx context.Context, p auth.Principal, roundID string, rows []ResultRow, problems []ResultProblem) (ResultsReport, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return ResultsReport{}, err
	}
	// A drill's round: its traces' texts go to the drill's outbox.
	ctx = drill.With(ctx, r.Drill)
	if len(rows) > MaxResultRows {
		return ResultsReport{}, apperr.Validation.WithFields(apperr.FieldError{Field: "results", Reason: fmt.Sprintf("at most %d rows", MaxResultRows)})
	}
	out := ResultsReport{Rows: len(rows) + len(problems), Unknown: []string{}, Conflicting: []string{}, Invalid: problems, PooledPositive: []string{}}
	if out.Invalid == nil {
		out.Invalid = []ResultProblem{}
	}
	want := map[string]string{}
	conflicting := map[string]bool{}
	for i, row := range rows {
		code, ok := TubeCode(row.Tube)
		result, known := resultWords[strings.ToLower(strings.TrimSpace(row.Result))]
		switch {
		case !ok:
			out.Invalid = append(out.Invalid, ResultProblem{Row: i + 2, Reason: "the 4 to 32 letters and digits of a tube code"})
			continue
		case !known:
			out.Invalid = append(out.Invalid, ResultProblem{Row: i + 2, Reason: "negative, pooled_positive, positive or invalid (阴性, 混管阳性, 阳性, 无效)"})
			continue
		}
		if prev, seen := want[code]; seen && prev != result {
			conflicting[code] = true
		}
		want[code] = result
	}
	tubes, err := s.Tubes.Tubes(ctx, roundID)
	if err != nil {
		return out, err
	}
	codes := make([]string, 0, len(want))
	for code := range want {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	now := s.Now()
	var (
		mu      sync.Mutex
		singles bool
	)
	// Tubes are written side by side, each in its own transaction with
	// the trace it opens: a stop at the deadline leaves whole tubes, and
	// the same file again finishes the upload.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(resultWorkers)
	for _, code := range codes {
		switch {
		case conflicting[code]:
			out.Conflicting = append(out.Conflicting, code)
			continue
		case tubes[code].Code == "":
			out.Unknown = append(out.Unknown, code)
			continue
		}
		// A single sample's result settles its trace, whether written now
		// or by an upload that stopped before settling (the same file
		// again finishes it).
		singles = singles || tubes[code].Single != ""
		g.Go(func() error {
			// A pooled tube back positive opens its trace in the same
			// write: the households' texts and control cannot be lost
			// between the two.
			var trace *Trace
			var zones []zone.Zone
			var texts []dispatch.Text
			var err error
			positive := want[code] == ResultPooledPositive || want[code] == ResultPositive
			var pending *dispatch.Pending
			var changed bool
			// A household staff sealed between the trace's read and its
			// write keeps staff's zone: the trace is opened again from it.
			for try := 0; ; try++ {
				if positive && tubes[code].Single == "" && tubes[code].Result != want[code] {
					if trace, zones, texts, err = s.openTrace(gctx, r, code, want[code], now, p.UserID); err != nil {
						return err
					}
				}
				pending = dispatch.PendingTexts(gctx, now, r.CommunityID, texts)
				changed, err = s.Trace.SetResultAndTrace(gctx, roundID, code, want[code], now, p.UserID, trace, zones, pending)
				if errors.Is(err, ErrZonesChanged) && try < 2 {
					continue
				}
				if err != nil {
					return err
				}
				break
			}
			mu.Lock()
			defer mu.Unlock()
			if !changed {
				out.Unchanged++
				return nil
			}
			s.Outbox.Flush(ctx, pending)
			out.Applied++
			if positive && tubes[code].Single == "" {
				out.PooledPositive = append(out.PooledPositive, code)
				out.Traced += len(texts)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return out, ErrResultsIncomplete.Wrap(err).WithRetryAfter(time.Second)
		}
		return out, err
	}
	sort.Strings(out.PooledPositive)
	if singles {
		if err := s.settleTraces(ctx, r); err != nil {
			return out, err
		}
	}
	// The log keeps what the upload changed: a pooled positive is the
	// start of a trace the office answers for.
	audit.Changed(ctx, "results", nil, map[string]any{"applied": out.Applied, "pooledPositive": out.PooledPositive, "traced": out.Traced})
	return out, nil
}

// TubeView is a tube with its people and their households: who to find
// when it comes back pooled positive.
type TubeView struct {
	ID         string          `json:"id"`
	Tube       Tube            `json:"tube"`
	Members    []TubePerson    `json:"members"`
	Households []TubeHousehold `json:"households"`
}

// TubePerson is one person of a tube.
type TubePerson struct {
	ResidentID  string `json:"residentId"`
	Name        string `json:"name"`
	HouseholdID string `json:"householdId"`
	Position    int    `json:"position,omitempty"`
}

// TubeHousehold is a household with a person in a tube: where to knock.
type TubeHousehold struct {
	HouseholdID string `json:"householdId"`
	Building    string `json:"building"`
	Unit        string `json:"unit"`
	Room        string `json:"room"`
	// Members are all its people (the tube's and the others at home).
	Members int `json:"members"`
}

// TubeOf reads a tube of a round by its path id, for staff.
func (s *Service) TubeOf(ctx context.Context, p auth.Principal, tubeID string) (TubeView, error) {
	roundID, code, ok := ParseTubeID(tubeID)
	if !ok {
		return TubeView{}, ErrTubeNotFound
	}
	r, err := s.managedRound(ctx, p, roundID)
	if errors.Is(err, ErrRoundNotFound) {
		return TubeView{}, ErrTubeNotFound
	}
	if err != nil {
		return TubeView{}, err
	}
	return s.tubeView(ctx, r, code)
}

// tubeView reads a tube of round r with its people and their doors.
func (s *Service) tubeView(ctx context.Context, r Round, code string) (TubeView, error) {
	tubeID := TubeID(r.ID, code)
	t, members, err := s.Tubes.Tube(ctx, r.ID, code)
	if errors.Is(err, ErrNotFound) {
		return TubeView{}, ErrTubeNotFound
	}
	if err != nil {
		return TubeView{}, err
	}
	out := TubeView{ID: tubeID, Tube: t, Members: []TubePerson{}, Households: []TubeHousehold{}}
	buildings, residents, err := s.register(ctx, r.CommunityID)
	if err != nil {
		return out, err
	}
	names := map[string]string{}
	inHousehold := map[string]int{}
	for _, rs := range residents {
		for _, res := range rs {
			names[res.ID] = res.Name
			inHousehold[res.HouseholdID]++
		}
	}
	seen := map[string]bool{}
	for _, m := range members {
		out.Members = append(out.Members, TubePerson{ResidentID: m.ResidentID, Name: names[m.ResidentID], HouseholdID: m.HouseholdID, Position: m.Position})
		if seen[m.HouseholdID] {
			continue
		}
		seen[m.HouseholdID] = true
		hh := TubeHousehold{HouseholdID: m.HouseholdID, Members: inHousehold[m.HouseholdID]}
		b := registry.BuildingOf(m.ResidentID)
		for _, bl := range buildings {
			if bl.ID == b {
				hh.Building = bl.Name
			}
		}
		out.Households = append(out.Households, hh)
	}
	if err := s.doors(ctx, out.Households); err != nil {
		return out, err
	}
	return out, nil
}

// doors fills in each household's unit and room from its building's
// households.
func (s *Service) doors(ctx context.Context, hs []TubeHousehold) error {
	byBuilding := map[string][]int{}
	for i, h := range hs {
		b := registry.BuildingOf(h.HouseholdID)
		byBuilding[b] = append(byBuilding[b], i)
	}
	for b, idx := range byBuilding {
		households, err := s.Directory.BuildingHouseholds(ctx, b)
		if err != nil {
			return err
		}
		for _, i := range idx {
			for _, h := range households {
				if h.ID == hs[i].HouseholdID {
					hs[i].Unit, hs[i].Room = h.Unit, h.Room
				}
			}
		}
	}
	return nil
}

// MyResult is a household member's result in a round.
type MyResult struct {
	RoundID    string `json:"roundId"`
	Round      string `json:"round"`
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	// Result is "" while the lab has not reported (待出结果).
	Result string `json:"result"`
}

// myResultRounds is how many of the latest rounds a household sees its
// results of.
const myResultRounds = 3

// MyResults reads the results of the caller's household in the latest
// rounds it was sampled in: each member's, "" while pending.
func (s *Service) MyResults(ctx context.Context, p auth.Principal) ([]MyResult, error) {
	if p.HouseholdID == "" || p.CommunityID == "" {
		return nil, apperr.Forbidden
	}
	rounds, err := s.Rounds(ctx, p, p.CommunityID)
	if err != nil {
		return nil, err
	}
	members, err := s.Directory.BuildingResidents(ctx, registry.BuildingOf(p.HouseholdID))
	if err != nil {
		return nil, err
	}
	var ids []string
	names := map[string]string{}
	for _, m := range members {
		if m.HouseholdID == p.HouseholdID {
			ids = append(ids, m.ID)
			names[m.ID] = m.Name
		}
	}
	sort.Strings(ids)
	out := []MyResult{}
	seen := 0
	for _, r := range rounds {
		if seen == myResultRounds || len(ids) == 0 {
			break
		}
		tubes, err := s.Tubes.SampleTubes(ctx, r.ID, ids)
		if err != nil {
			return nil, err
		}
		if len(tubes) == 0 {
			continue
		}
		seen++
		results := map[string]string{}
		for _, id := range ids {
			code, ok := tubes[id]
			if !ok {
				continue
			}
			if _, done := results[code]; !done {
				t, _, err := s.Tubes.Tube(ctx, r.ID, code)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return nil, err
				}
				results[code] = t.Result
			}
			out = append(out, MyResult{RoundID: r.ID, Round: r.Name, ResidentID: id, Name: names[id], Result: results[code]})
		}
	}
	return out, nil
}

// tubeCounts adds the results to a round's progress per building: people
// whose tube has its result, those waiting for it, and those in a pooled
// positive (or positive) tube.
func tubeCounts(rows []BuildingProgress, samples []SampleRecord, tubes map[string]Tube) {
	at := map[string]int{}
	for i, b := range rows {
		at[b.BuildingID] = i
	}
	for _, sm := range samples {
		if sm.Tube == "" {
			continue
		}
		i, ok := at[registry.BuildingOf(sm.ResidentID)]
		if !ok {
			continue
		}
		switch tubes[sm.Tube].Result {
		case "":
			rows[i].Pending++
		case ResultPooledPositive, ResultPositive:
			rows[i].Resulted++
			rows[i].PooledPositive++
		default:
			rows[i].Resulted++
		}
	}
}
