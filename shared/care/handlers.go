package care

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the care ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"setCarePlan": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *PlanInput) (any, error) {
			rid, err := httpapi.PathID(r, "residentId")
			if err != nil {
				return nil, err
			}
			return s.SetPlan(r.Context(), auth.Caller(r), rid, *in)
		}),
		"getCarePlan": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			rid, err := httpapi.PathID(r, "residentId")
			if err != nil {
				return nil, err
			}
			return s.PlanOf(r.Context(), auth.Caller(r), rid)
		}),
		"removeCarePlan": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			rid, err := httpapi.PathID(r, "residentId")
			if err != nil {
				return nil, err
			}
			return map[string]string{"removed": rid}, s.Remove(r.Context(), auth.Caller(r), rid)
		}),
		"careBoard": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			day, err := httpapi.OptionalQuery(r, "day", "YYYY-MM-DD")
			if err != nil {
				return nil, err
			}
			return s.BoardOf(r.Context(), auth.Caller(r), cid, day)
		}),
		"giveCareCar": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *CarInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.GiveCar(r.Context(), auth.Caller(r), cid, *in)
		}),
		"answerCareCheck": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.AnswerCheck(r.Context(), auth.Caller(r), "app")
		}),
		"listHospitals": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			hs, err := s.HospitalsOf(r.Context(), auth.Caller(r), sid)
			return map[string]any{"hospitals": hs}, err
		}),
		"addHospital": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *HospitalInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.AddHospital(r.Context(), auth.Caller(r), sid, *in)
		}),
		"removeHospital": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			id, err := httpapi.PathID(r, "hospitalId")
			if err != nil {
				return nil, err
			}
			return map[string]string{"removed": id}, s.RemoveHospital(r.Context(), auth.Caller(r), sid, id)
		}),
	}
}
