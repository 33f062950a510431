package watch

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the watch ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"openWatch": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *Input) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Open(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listWatches": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ws, err := s.List(r.Context(), auth.Caller(r), cid, r.URL.Query().Get("status"))
			return map[string]any{"watches": ws}, err
		}),
		"enterWatchCheck": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *Reading) (any, error) {
			cid, id, err := watchPath(r)
			if err != nil {
				return nil, err
			}
			return s.Enter(r.Context(), auth.Caller(r), cid, id, *in)
		}),
		"recordWatchTest": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *TestInput) (any, error) {
			cid, id, err := watchPath(r)
			if err != nil {
				return nil, err
			}
			return s.RecordTest(r.Context(), auth.Caller(r), cid, id, *in)
		}),
		"watchDoors": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			day, err := httpapi.OptionalQuery(r, "day", "YYYY-MM-DD")
			if err != nil {
				return nil, err
			}
			return s.Doors(r.Context(), auth.Caller(r), cid, day)
		}),
		"createTransfer": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *TransferInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.CreateTransfer(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listTransfers": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ts, err := s.TransferList(r.Context(), auth.Caller(r), cid)
			return map[string]any{"transfers": ts}, err
		}),
		"getTransfer": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, id, err := transferPath(r)
			if err != nil {
				return nil, err
			}
			file, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			t, err := s.TransferOf(r.Context(), auth.Caller(r), cid, id)
			if err != nil || !file {
				return t, err
			}
			header, rows := t.Sheet()
			return httpapi.CSV{Filename: "转运名单.csv", Header: header, Rows: rows}, nil
		}),
		"setTransferStatus": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *StatusChange) (any, error) {
			cid, id, err := transferPath(r)
			if err != nil {
				return nil, err
			}
			rid, err := httpapi.PathID(r, "residentId")
			if err != nil {
				return nil, err
			}
			return s.SetStatus(r.Context(), auth.Caller(r), cid, id, rid, *in)
		}),
		"returnTransfer": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *ReturnInput) (any, error) {
			cid, id, err := transferPath(r)
			if err != nil {
				return nil, err
			}
			return s.Return(r.Context(), auth.Caller(r), cid, id, *in)
		}),
		"endWatch": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, id, err := watchPath(r)
			if err != nil {
				return nil, err
			}
			return s.End(r.Context(), auth.Caller(r), cid, id)
		}),
	}
}

func transferPath(r *http.Request) (string, string, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return "", "", err
	}
	id, err := httpapi.PathID(r, "transferId")
	return cid, id, err
}

func watchPath(r *http.Request) (string, string, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return "", "", err
	}
	id, err := httpapi.PathID(r, "watchId")
	return cid, id, err
}
