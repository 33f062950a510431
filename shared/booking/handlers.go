package booking

import (
	"context"
	"mime"
	"net/http"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/sheet"
)

// Handlers serves the booking function's ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"createRound": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *RoundInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.CreateRound(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listRounds": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			rounds, err := s.Rounds(r.Context(), auth.Caller(r), cid)
			return map[string]any{"rounds": rounds}, err
		}),
		"missedRounds": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			m, err := s.Missed(r.Context(), auth.Caller(r), cid)
			if err == nil {
				audit.Counted(r.Context(), len(m.Residents))
			}
			return m, err
		}),
		"getRound": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.GetRound(r.Context(), auth.Caller(r), r.PathValue("roundId"))
		}),
		"addSite": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *SiteInput) (any, error) {
			site, slots, err := s.AddSite(r.Context(), auth.Caller(r), r.PathValue("roundId"), *in)
			return map[string]any{"id": site.ID, "site": site, "slots": slots}, err
		}),
		"closeSite": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			confirm, err := confirmed(r)
			if err != nil {
				return nil, err
			}
			return s.CloseSite(r.Context(), auth.Caller(r), r.PathValue("siteId"), confirm, r.URL.Query().Get("open"))
		}),
		"openSite": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.OpenSite(r.Context(), auth.Caller(r), r.PathValue("siteId"))
		}),
		"patchSite": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *SitePatch) (any, error) {
			confirm, err := confirmed(r)
			if err != nil {
				return nil, err
			}
			return s.PatchSite(r.Context(), auth.Caller(r), r.PathValue("siteId"), *in, confirm)
		}),
		"callBuilding": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *CallInput) (any, error) {
			return s.CallBuilding(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.PathValue("buildingId"), *in)
		}),
		"myField": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.MyField(r.Context(), auth.Caller(r), r.PathValue("roundId"))
		}),
		"roundBuilding": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			q := r.URL.Query()
			return s.BuildingView(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.PathValue("buildingId"), q.Get("unit"), q.Get("room"))
		}),
		"doorList": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			rows, err := s.DoorList(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			return map[string]any{"residents": rows}, err
		}),
		"roundReview": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			rv, err := s.Review(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			if err != nil || !csv {
				return rv, err
			}
			return reviewCSV(rv), nil
		}),
		"saveRoundNote": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *struct {
			Text string `json:"text"`
		}) (any, error) {
			return s.SaveNote(r.Context(), auth.Caller(r), r.PathValue("roundId"), in.Text)
		}),
		"planRound": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			publish := false
			switch r.URL.Query().Get("publish") {
			case "", "false":
			case "true":
				publish = true
			default:
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "publish", Reason: "true or false"})
			}
			return s.PlanRound(r.Context(), auth.Caller(r), r.PathValue("roundId"), publish)
		}),
		"listSlots": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			slots, err := s.Slots(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			return map[string]any{"slots": slots}, err
		}),
		"createBookings": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *struct {
			SlotID      string   `json:"slotId"`
			ResidentIDs []string `json:"residentIds"`
		}) (any, error) {
			key := r.Header.Get("Idempotency-Key")
			if key != "" && !httpapi.ValidIdempotencyKey(key) {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "Idempotency-Key", Reason: "8 to 128 letters, digits or _.:-"})
			}
			res, err := s.BookSteered(r.Context(), auth.Caller(r), r.PathValue("roundId"), in.SlotID, in.ResidentIDs, key)
			if err != nil || !res.Replayed {
				return res, err
			}
			// As every other replay says (shared/httpapi's idempotent).
			return httpapi.Status{Code: http.StatusCreated, Body: res, Headers: map[string]string{"Idempotent-Replayed": "true"}}, nil
		}),
		"myBookings": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			bookings, err := s.HouseholdBookings(r.Context(), auth.Caller(r))
			return map[string]any{"bookings": bookings}, err
		}),
		"cancelBooking": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Cancel(r.Context(), auth.Caller(r), r.PathValue("bookingId"))
		}),
		"rescheduleBooking": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *struct {
			SlotID string `json:"slotId"`
		}) (any, error) {
			return s.Reschedule(r.Context(), auth.Caller(r), r.PathValue("bookingId"), in.SlotID)
		}),
		"checkIn": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *CheckInInput) (any, error) {
			return s.CheckIn(r.Context(), auth.Caller(r), r.PathValue("roundId"), *in)
		}),
		"recordResults": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			var rows []ResultRow
			var problems []ResultProblem
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" || mt == sheet.MediaType {
				body, err := httpapi.ReadTable(r)
				if err != nil {
					return nil, err
				}
				if rows, problems, err = ParseResultsCSV(body); err != nil {
					return nil, err
				}
			} else {
				var in ResultsInput
				if err := httpapi.DecodeJSON(r, &in); err != nil {
					return nil, err
				}
				rows = in.Results
			}
			// Stop a few seconds before the function's deadline and say so
			// (the same file again finishes it).
			ctx := r.Context()
			if deadline, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline.Add(-3*time.Second))
				defer cancel()
			}
			rep, err := s.RecordResults(ctx, auth.Caller(r), r.PathValue("roundId"), rows, problems)
			return rep.In(httpapi.Language(r)), err
		}),
		"importSamples": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			body, err := httpapi.ReadTable(r)
			if err != nil {
				return nil, err
			}
			rows, err := ParseSamplesCSV(body)
			if err != nil {
				return nil, err
			}
			// Stop a few seconds before the function's deadline and say so
			// (the same file again finishes it), rather than let API
			// Gateway cut the request at 30 s.
			ctx := r.Context()
			if deadline, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline.Add(-3*time.Second))
				defer cancel()
			}
			rep, err := s.ImportSamples(ctx, auth.Caller(r), r.PathValue("roundId"), rows)
			return rep.In(httpapi.Language(r)), err
		}),
		"listTraces": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			ts, err := s.Traces(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			return map[string]any{"traces": ts}, err
		}),
		"takeSingle": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *SingleInput) (any, error) {
			return s.TakeSingle(r.Context(), auth.Caller(r), r.PathValue("roundId"), *in)
		}),
		"getTube": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.TubeOf(r.Context(), auth.Caller(r), r.PathValue("tubeId"))
		}),
		"myResults": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			rs, err := s.MyResults(r.Context(), auth.Caller(r))
			return map[string]any{"results": rs}, err
		}),
		"roundProgress": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Progress(r.Context(), auth.Caller(r), r.PathValue("roundId"))
		}),
		"listUnsampled": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			rows, err := s.UnsampledList(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.URL.Query().Get("buildingId"))
			if err != nil || !csv {
				return map[string]any{"residents": rows}, err
			}
			return unsampledCSV(rows), nil
		}),
		"setUnsampledReason": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *struct {
			Reason string `json:"reason"`
		}) (any, error) {
			err := s.SetReason(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.PathValue("residentId"), in.Reason)
			return map[string]string{"residentId": r.PathValue("residentId"), "reason": in.Reason}, err
		}),
	}
}

// confirmed reads ?confirm=true: the caller read what a change costs and
// goes on.
func confirmed(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("confirm") {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, apperr.Validation.WithFields(apperr.FieldError{Field: "confirm", Reason: "true or false"})
}

// reasonNames are the list's reasons as Excel users read them.
var reasonNames = map[string]string{"bedridden": "卧床", "away": "外出", "isolating": "隔离中", "refused": "拒绝"}

// unsampledCSV is the list as a file Excel opens.
func unsampledCSV(rows []Unsampled) httpapi.CSV {
	var out [][]string
	for _, u := range rows {
		out = append(out, []string{u.Building, u.Unit, u.Room, u.Name, u.Phone, reasonNames[u.Reason], u.ResidentID})
	}
	return httpapi.CSV{Filename: "unsampled.csv", Header: []string{"楼栋", "单元", "房号", "姓名", "手机号", "未采样原因", "居民编号"}, Rows: out}
}
