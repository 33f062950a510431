package screening

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the screening ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"uploadScreeningList": httpapi.Reply(http.StatusCreated, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			in := UploadInput{Name: r.URL.Query().Get("name")}
			if d := r.URL.Query().Get("deadline"); d != "" {
				at, err := time.Parse(time.RFC3339, d)
				if err != nil {
					return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "deadline", Reason: "RFC 3339 with an offset"})
				}
				in.Deadline = &at
			}
			body, err := httpapi.ReadTable(r)
			if err != nil {
				return nil, err
			}
			// Stop a few seconds before the function's deadline and say so
			// (the same file again goes on), rather than let API Gateway
			// cut the request at 30 s.
			ctx := r.Context()
			if deadline, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline.Add(-3*time.Second))
				defer cancel()
			}
			sum, err := s.Upload(ctx, auth.Caller(r), sid, body, in)
			if err == nil && sum.Existing {
				return httpapi.Status{Code: http.StatusOK, Body: sum}, nil
			}
			return sum, err
		}),
		"listScreeningLists": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			ls, err := s.Lists(r.Context(), auth.Caller(r), sid)
			return map[string]any{"lists": ls}, err
		}),
		"getScreeningList": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			id, err := httpapi.PathID(r, "listId")
			if err != nil {
				return nil, err
			}
			return s.Progress(r.Context(), auth.Caller(r), id)
		}),
		"screeningFeedback": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			id, err := httpapi.PathID(r, "listId")
			if err != nil {
				return nil, err
			}
			if f := r.URL.Query().Get("format"); f != "csv" && f != "xlsx" && f != "" {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "format", Reason: "one of csv, xlsx"})
			}
			header, rows, name, err := s.Feedback(r.Context(), auth.Caller(r), id)
			if err != nil {
				return nil, err
			}
			return httpapi.CSV{Filename: name, Header: header, Rows: rows}, nil
		}),
		"listScreeningTasks": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			q := r.URL.Query()
			limit := DefaultPage
			if v := q.Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > MaxPage {
					return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "limit", Reason: fmt.Sprintf("%d to %d", 1, MaxPage)})
				}
				limit = n
			}
			ts, next, err := s.Tasks(r.Context(), auth.Caller(r), cid, q.Get("status"), q.Get("cursor"), limit)
			return map[string]any{"tasks": ts, "cursor": next}, err
		}),
		"assignScreeningTasks": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *AssignInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ts, err := s.Assign(r.Context(), auth.Caller(r), cid, *in)
			return map[string]any{"tasks": ts}, err
		}),
		"myScreeningTasks": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			ts, err := s.Mine(r.Context(), auth.Caller(r))
			return map[string]any{"tasks": ts}, err
		}),
		"matchScreeningTask": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *MatchInput) (any, error) {
			id, err := httpapi.PathID(r, "taskId")
			if err != nil {
				return nil, err
			}
			return s.Match(r.Context(), auth.Caller(r), id, *in)
		}),
		"recordScreeningOutcome": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *OutcomeInput) (any, error) {
			id, err := httpapi.PathID(r, "taskId")
			if err != nil {
				return nil, err
			}
			return s.Record(r.Context(), auth.Caller(r), id, *in)
		}),
	}
}
