package daily

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the daily report's ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"reportFigures": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return Figures, nil
		}),
		"communityDaily": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			day, err := dayOf(r)
			if err != nil {
				return nil, err
			}
			return s.Community(r.Context(), auth.Caller(r), cid, day)
		}),
		"confirmDaily": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *ConfirmInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Confirm(r.Context(), auth.Caller(r), cid, *in)
		}),
		"getReportTemplate": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.TemplateOf(r.Context(), auth.Caller(r), sid)
		}),
		"setReportTemplate": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *TemplateInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.SetTemplate(r.Context(), auth.Caller(r), sid, *in)
		}),
		"streetDaily": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			file, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			day, err := dayOf(r)
			if err != nil {
				return nil, err
			}
			rep, err := s.Street(r.Context(), auth.Caller(r), sid, day)
			if err != nil || !file {
				return rep, err
			}
			header, rows := rep.Sheet()
			name := "日报-" + rep.Day
			if r.URL.Query().Get("format") == "csv" {
				return httpapi.CSV{Filename: name + ".csv", Header: header, Rows: rows}, nil
			}
			numeric := make([]bool, len(header))
			for i := 2; i < len(header)-1; i++ {
				numeric[i] = true
			}
			return httpapi.Workbook{Filename: name + ".xlsx", Sheet: rep.Day, Header: header, Rows: rows, Numeric: numeric}, nil
		}),
	}
}

// dayOf is the query's day: absent is today, present it must be a day.
func dayOf(r *http.Request) (string, error) {
	return httpapi.OptionalQuery(r, "day", "a day (YYYY-MM-DD) of the last 400, not after today")
}
