package notices

import (
	"context"
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/registry"
)

// Handlers serves the notices function's ops.
func (s *Service) Handlers() httpapi.Handlers {
	community := func(r *http.Request) (string, error) {
		cid := r.PathValue("communityId")
		if !registry.ValidID(cid) {
			return "", apperr.NotFound
		}
		return cid, nil
	}
	return httpapi.Handlers{
		"setZones": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid, err := community(r)
			if err != nil {
				return err
			}
			var in struct {
				BuildingIDs []string `json:"buildingIds"`
				Level       string   `json:"level"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			zones, err := s.SetZones(r.Context(), auth.Caller(r), cid, in.BuildingIDs, in.Level)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"zones": zones})
			return nil
		}),
		"listZones": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid, err := community(r)
			if err != nil {
				return err
			}
			zones, err := s.Zones(r.Context(), auth.Caller(r), cid)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"zones": zones})
			return nil
		}),
		// A notice is sent, or previewed, from the same body.
		"createNotice": s.noticeHandler(community, http.StatusCreated, func(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (any, error) {
			return s.Create(ctx, p, cid, in)
		}),
		"previewNotice": s.noticeHandler(community, http.StatusOK, func(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (any, error) {
			return s.Preview(ctx, p, cid, in)
		}),
		"listNotices": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid, err := community(r)
			if err != nil {
				return err
			}
			ns, err := s.List(r.Context(), auth.Caller(r), cid)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"notices": ns})
			return nil
		}),
		"setDrillOptIn": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *DrillOptInInput) (any, error) {
			if in.OptIn == nil {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "optIn", Reason: "required"})
			}
			return DrillOptInInput{OptIn: in.OptIn}, s.SetDrillOptIn(r.Context(), auth.Caller(r), *in.OptIn)
		}),
		"myNotices": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			feed, err := s.Feed(r.Context(), auth.Caller(r))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"notices": feed})
			return nil
		}),
		"ackNotice": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			first, err := s.Acknowledge(r.Context(), auth.Caller(r), r.PathValue("noticeId"))
			if err != nil {
				return err
			}
			status := http.StatusCreated
			if !first {
				status = http.StatusOK // acknowledged before: once per household
			}
			httpapi.WriteJSON(w, status, map[string]any{"noticeId": r.PathValue("noticeId"), "acknowledged": true})
			return nil
		}),
		"reportTemperature": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				Celsius    *float64 `json:"celsius"`
				ResidentID string   `json:"residentId"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			if in.Celsius == nil {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "celsius", Reason: "required"})
			}
			reading, err := s.Report(r.Context(), auth.Caller(r), in.ResidentID, *in.Celsius)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, reading)
			return nil
		}),
		"listTemperatures": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			cid, err := community(r)
			if err != nil {
				return err
			}
			q := r.URL.Query()
			if q.Has("day") && q.Get("day") == "" {
				return apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
			}
			day, err := s.Temperatures(r.Context(), auth.Caller(r), cid, q.Get("day"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, day)
			return nil
		}),
		"noticeDelivery": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			rep, err := s.Delivery(r.Context(), auth.Caller(r), r.PathValue("noticeId"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, rep)
			return nil
		}),
	}
}

// noticeHandler decodes a notice's body for the community of the path and
// answers what do makes of it.
func (s *Service) noticeHandler(community func(*http.Request) (string, error), status int,
	do func(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (any, error)) http.Handler {
	return httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		cid, err := community(r)
		if err != nil {
			return err
		}
		var in NoticeInput
		if err := httpapi.DecodeJSON(r, &in); err != nil {
			return err
		}
		out, err := do(r.Context(), auth.Caller(r), cid, in)
		if err != nil {
			return err
		}
		httpapi.WriteJSON(w, status, out)
		return nil
	})
}
