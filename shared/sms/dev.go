package sms

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/phone"
)

// DevHandler serves GET /dev/sms?to=PHONE on a developer machine: the
// messages the outbox holds for that phone, or every message without `to`.
// It is never deployed.
func (o *Outbox) DevHandler() http.Handler {
	return httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !r.URL.Query().Has("to") {
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"messages": o.All()})
			return nil
		}
		to, err := phone.Normalize(r.URL.Query().Get("to"))
		if err != nil {
			return apperr.Validation.WithFields(apperr.FieldError{Field: "to", Reason: "11-digit mainland mobile number"})
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"messages": o.To(to)})
		return nil
	})
}
