package gate

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the gate's ops.
func (s *Service) Handlers() httpapi.Handlers {
	community := func(r *http.Request) (string, error) { return httpapi.PathID(r, "communityId") }
	household := func(r *http.Request) (string, string, error) {
		cid, err := community(r)
		if err != nil {
			return "", "", err
		}
		hid, err := httpapi.PathID(r, "householdId")
		return cid, hid, err
	}
	return httpapi.Handlers{
		"getPassRules": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := community(r)
			if err != nil {
				return nil, err
			}
			return s.RulesOf(r.Context(), auth.Caller(r), cid)
		}),
		"setPassRules": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *RulesInput) (any, error) {
			cid, err := community(r)
			if err != nil {
				return nil, err
			}
			return s.SetRules(r.Context(), auth.Caller(r), cid, *in)
		}),
		"myPass": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Mine(r.Context(), auth.Caller(r))
		}),
		"passCards": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := community(r)
			if err != nil {
				return nil, err
			}
			file, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			building, err := httpapi.OptionalQuery(r, "buildingId", "a building of the community, or leave it out for all")
			if err != nil {
				return nil, err
			}
			cards, err := s.Cards(r.Context(), auth.Caller(r), cid, building)
			if err != nil || !file {
				return map[string]any{"cards": cards}, err
			}
			header := []string{"楼栋", "单元", "房号", "通行码"}
			rows := make([][]string, len(cards))
			for i, c := range cards {
				rows[i] = []string{c.Building, c.Unit, c.Room, c.Code}
			}
			if r.URL.Query().Get("format") == "csv" {
				return httpapi.CSV{Filename: "通行证-" + cid + ".csv", Header: header, Rows: rows}, nil
			}
			return httpapi.Workbook{Filename: "通行证-" + cid + ".xlsx", Sheet: "通行证", Header: header, Rows: rows}, nil
		}),
		"newPassCode": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, hid, err := household(r)
			if err != nil {
				return nil, err
			}
			return s.NewCode(r.Context(), auth.Caller(r), cid, hid)
		}),
		"setPassPermit": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *PermitInput) (any, error) {
			cid, hid, err := household(r)
			if err != nil {
				return nil, err
			}
			return s.SetPermit(r.Context(), auth.Caller(r), cid, hid, *in)
		}),
		"recordGateEvent": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *EventInput) (any, error) {
			pid, err := httpapi.PathID(r, "postId")
			if err != nil {
				return nil, err
			}
			return s.Record(r.Context(), auth.Caller(r), pid, *in)
		}),
		"gateView": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			pid, err := httpapi.PathID(r, "postId")
			if err != nil {
				return nil, err
			}
			return s.ViewOf(r.Context(), auth.Caller(r), pid)
		}),
		"markGateReturn": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, hid, err := household(r)
			if err != nil {
				return nil, err
			}
			return s.MarkBack(r.Context(), auth.Caller(r), cid, hid)
		}),
		"gateLate": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := community(r)
			if err != nil {
				return nil, err
			}
			day, err := dayOf(r)
			if err != nil {
				return nil, err
			}
			return s.LateOf(r.Context(), auth.Caller(r), cid, day)
		}),
		"gateCounts": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := community(r)
			if err != nil {
				return nil, err
			}
			day, err := dayOf(r)
			if err != nil {
				return nil, err
			}
			post, err := httpapi.OptionalQuery(r, "postId", "a checkpoint post, or leave it out for every gate")
			if err != nil {
				return nil, err
			}
			return s.CountsOf(r.Context(), auth.Caller(r), cid, post, day)
		}),
	}
}

// dayOf is the query's day: absent is today, present it must be a day.
func dayOf(r *http.Request) (string, error) {
	return httpapi.OptionalQuery(r, "day", "a day (YYYY-MM-DD) of the last 60, not after today")
}
