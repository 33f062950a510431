package playbook

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the playbook ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"getPlaybook": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Get(r.Context(), auth.Caller(r), cid)
		}),
		"putPlaybook": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *Playbook) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Put(r.Context(), auth.Caller(r), cid, *in)
		}),
		"getMode": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Mode(r.Context(), auth.Caller(r), cid)
		}),
		"switchMode": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *ModeInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Switch(r.Context(), auth.Caller(r), cid, *in)
		}),
		"switchStreetMode": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *StreetModeInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.SwitchStreet(r.Context(), auth.Caller(r), sid, *in)
		}),
		"streetRuns": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.StreetRuns(r.Context(), auth.Caller(r), sid)
		}),
		"listPlaybookTemplates": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			ts, err := s.TemplatesOf(r.Context(), auth.Caller(r), sid)
			return map[string]any{"templates": ts}, err
		}),
		"createPlaybookTemplate": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *TemplateInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.SaveTemplate(r.Context(), auth.Caller(r), sid, "", *in)
		}),
		"putPlaybookTemplate": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *TemplateInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.SaveTemplate(r.Context(), auth.Caller(r), sid, r.PathValue("templateId"), *in)
		}),
		"playbookFromTemplate": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *FromTemplateInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.FromTemplate(r.Context(), auth.Caller(r), cid, *in)
		}),
		"getRun": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Run(r.Context(), auth.Caller(r), r.PathValue("runId"))
		}),
		"tickStep": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			var in TickInput
			// The body is optional: a tick needs no words.
			if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
				if err := httpapi.DecodeJSON(r, &in); err != nil {
					return nil, err
				}
			}
			return s.Tick(r.Context(), auth.Caller(r), r.PathValue("runId"), r.PathValue("stepId"), in)
		}),
		"runReport": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			rep, err := s.Report(r.Context(), auth.Caller(r), r.PathValue("runId"))
			if err != nil {
				return nil, err
			}
			if !csv {
				return rep, nil
			}
			return httpapi.CSV{Filename: "run-" + rep.Run.ID + ".csv", Header: ReportHeader, Rows: ReportRows(rep.Run)}, nil
		}),
		"drillOutbox": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Outbox(r.Context(), auth.Caller(r), r.PathValue("runId"))
		}),
		"removeDrillData": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.RemoveDrillData(r.Context(), auth.Caller(r), r.PathValue("runId"))
		}),
	}
}

// ReportHeader heads a run's CSV report.
var ReportHeader = []string{"步骤", "标题", "负责角色", "时限(分钟)", "状态", "完成时间", "距启动(秒)", "超时", "超时(秒)", "完成人", "结果", "备注"}

// ReportRows are a run's steps as CSV rows, in the playbook's order.
func ReportRows(run Run) [][]string {
	rows := make([][]string, 0, len(run.Steps))
	for _, st := range run.Steps {
		done, from := "", ""
		if st.DoneAt != nil {
			done = chinatime.In(*st.DoneAt).Format("2006-01-02 15:04:05")
		}
		if st.SecondsFromSwitch != nil {
			from = strconv.Itoa(*st.SecondsFromSwitch)
		}
		late := "否"
		if st.Late {
			late = "是"
		}
		result := st.Result
		if st.Error != "" {
			result = strings.TrimSpace(st.Error + " " + st.Result)
		}
		rows = append(rows, []string{st.ID, st.Title, st.Owner, strconv.Itoa(st.DueMinutes), st.Status, done, from, late,
			strconv.Itoa(st.LateBySeconds), st.DoneBy, result, st.Note})
	}
	return rows
}
