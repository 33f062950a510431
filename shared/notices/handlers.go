package notices

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the notices function's ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"setZones": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *struct {
			ZoneTargets
			Level string `json:"level"`
		}) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			zones, err := s.SetZones(r.Context(), auth.Caller(r), cid, in.ZoneTargets, in.Level)
			return map[string]any{"zones": zones}, err
		}),
		"listZones": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			zones, err := s.Zones(r.Context(), auth.Caller(r), cid)
			return map[string]any{"zones": zones}, err
		}),
		// A notice is sent, or previewed, from the same body.
		"createNotice": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *NoticeInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Create(r.Context(), auth.Caller(r), cid, *in)
		}),
		"previewNotice": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *NoticeInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Preview(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listNotices": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ns, err := s.List(r.Context(), auth.Caller(r), cid)
			return map[string]any{"notices": ns}, err
		}),
		"setDrillOptIn": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *DrillOptInInput) (any, error) {
			if in.OptIn == nil {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "optIn", Reason: "required"})
			}
			return DrillOptInInput{OptIn: in.OptIn}, s.SetDrillOptIn(r.Context(), auth.Caller(r), *in.OptIn)
		}),
		"myNotices": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			feed, err := s.Feed(r.Context(), auth.Caller(r))
			return map[string]any{"notices": feed}, err
		}),
		"ackNotice": httpapi.Reply(http.StatusCreated, func(r *http.Request) (any, error) {
			first, err := s.Acknowledge(r.Context(), auth.Caller(r), r.PathValue("noticeId"))
			ack := map[string]any{"noticeId": r.PathValue("noticeId"), "acknowledged": true}
			if err != nil || first {
				return ack, err
			}
			return httpapi.Status{Code: http.StatusOK, Body: ack}, nil // acknowledged before: once per household
		}),
		"reportTemperature": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *struct {
			Celsius    *float64 `json:"celsius"`
			ResidentID string   `json:"residentId"`
			Symptoms   []string `json:"symptoms"`
		}) (any, error) {
			if in.Celsius == nil {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "celsius", Reason: "required"})
			}
			return s.Report(r.Context(), auth.Caller(r), in.ResidentID, *in.Celsius, in.Symptoms)
		}),
		"listTemperatures": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			day, err := httpapi.OptionalQuery(r, "day", "YYYY-MM-DD")
			if err != nil {
				return nil, err
			}
			return s.Temperatures(r.Context(), auth.Caller(r), cid, day)
		}),
		"noticeDelivery": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Delivery(r.Context(), auth.Caller(r), r.PathValue("noticeId"))
		}),
	}
}
