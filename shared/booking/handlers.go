package booking

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/registry"
)

// Handlers serves the booking function's ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"createRound": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid := r.PathValue("communityId")
			if !registry.ValidID(cid) {
				return apperr.NotFound
			}
			var in RoundInput
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			round, err := s.CreateRound(r.Context(), auth.Caller(r), cid, in)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, round)
			return nil
		}),
		"listRounds": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid := r.PathValue("communityId")
			if !registry.ValidID(cid) {
				return apperr.NotFound
			}
			rounds, err := s.Rounds(r.Context(), auth.Caller(r), cid)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"rounds": rounds})
			return nil
		}),
		"getRound": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			round, err := s.GetRound(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, round)
			return nil
		}),
		"addSite": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in SiteInput
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			site, slots, err := s.AddSite(r.Context(), auth.Caller(r), r.PathValue("roundId"), in)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"id": site.ID, "site": site, "slots": slots})
			return nil
		}),
		"closeSite": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			c, err := s.CloseSite(r.Context(), auth.Caller(r), r.PathValue("siteId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, c)
			return nil
		}),
		"planRound": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			plan, err := s.PlanRound(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, plan)
			return nil
		}),
		"listSlots": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			slots, err := s.Slots(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"slots": slots})
			return nil
		}),
		"createBookings": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			key := r.Header.Get("Idempotency-Key")
			if key != "" && !httpapi.ValidIdempotencyKey(key) {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "Idempotency-Key", Reason: "8 to 128 letters, digits or _.:-"})
			}
			var in struct {
				SlotID      string   `json:"slotId"`
				ResidentIDs []string `json:"residentIds"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			res, err := s.BookSteered(r.Context(), auth.Caller(r), r.PathValue("roundId"), in.SlotID, in.ResidentIDs, key)
			if err != nil {
				return err
			}
			if res.Replayed {
				// As every other replay says (shared/httpapi's idempotent).
				w.Header().Set("Idempotent-Replayed", "true")
			}
			httpapi.WriteJSON(w, http.StatusCreated, res)
			return nil
		}),
		"myBookings": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			bookings, err := s.HouseholdBookings(r.Context(), auth.Caller(r))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"bookings": bookings})
			return nil
		}),
		"cancelBooking": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			b, err := s.Cancel(r.Context(), auth.Caller(r), r.PathValue("bookingId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, b)
			return nil
		}),
		"rescheduleBooking": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				SlotID string `json:"slotId"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			b, err := s.Reschedule(r.Context(), auth.Caller(r), r.PathValue("bookingId"), in.SlotID)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, b)
			return nil
		}),
		"checkIn": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				Code       string `json:"code"`
				ResidentID string `json:"residentId"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			res, err := s.CheckIn(r.Context(), auth.Caller(r), r.PathValue("roundId"), in.Code, in.ResidentID)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, res)
			return nil
		}),
		"roundProgress": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			rows, err := s.Progress(r.Context(), auth.Caller(r), r.PathValue("roundId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"buildings": rows})
			return nil
		}),
		"listUnsampled": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			format := r.URL.Query().Get("format")
			if format != "" && format != "json" && format != "csv" {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "format", Reason: "one of json, csv"})
			}
			rows, err := s.UnsampledList(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.URL.Query().Get("buildingId"))
			if err != nil {
				return err
			}
			if format == "csv" {
				return writeUnsampledCSV(w, rows)
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"residents": rows})
			return nil
		}),
		"setUnsampledReason": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				Reason string `json:"reason"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			if err := s.SetReason(r.Context(), auth.Caller(r), r.PathValue("roundId"), r.PathValue("residentId"), in.Reason); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"residentId": r.PathValue("residentId"), "reason": in.Reason})
			return nil
		}),
	}
}

// reasonNames are the list's reasons as Excel users read them.
var reasonNames = map[string]string{"bedridden": "卧床", "away": "外出", "isolating": "隔离中", "refused": "拒绝"}

// writeUnsampledCSV answers the list as a file Excel opens.
func writeUnsampledCSV(w http.ResponseWriter, rows []Unsampled) error {
	var out [][]string
	for _, u := range rows {
		out = append(out, []string{u.Building, u.Unit, u.Room, u.Name, u.Phone, reasonNames[u.Reason], u.ResidentID})
	}
	return httpapi.WriteCSV(w, "unsampled.csv", []string{"楼栋", "单元", "房号", "姓名", "手机号", "未采样原因", "居民编号"}, out)
}
