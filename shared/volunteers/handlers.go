package volunteers

import (
	"net/http"
	"strconv"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

type answerInput struct {
	Answer string `json:"answer"`
}

type tokenInput struct {
	Token string `json:"token"`
}

// Handlers serves the volunteer ops.
func (s *Service) Handlers() httpapi.Handlers {
	decide := func(to string) http.Handler {
		return httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Decide(r.Context(), auth.Caller(r), r.PathValue("volunteerId"), to)
		})
	}
	return httpapi.Handlers{
		"listVolunteers": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			vs, err := s.List(r.Context(), auth.Caller(r), cid, r.URL.Query().Get("status"))
			return map[string]any{"volunteers": vs}, err
		}),
		"approveVolunteer":    decide(StatusApproved),
		"rejectVolunteer":     decide(StatusRejected),
		"deactivateVolunteer": decide(StatusInactive),
		"createPost": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *PostInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.CreatePost(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listPosts": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ps, err := s.Posts(r.Context(), auth.Caller(r), cid)
			return map[string]any{"posts": ps}, err
		}),
		"dutyBoard": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Duty(r.Context(), auth.Caller(r), cid)
		}),
		"assignVolunteer": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *AssignInput) (any, error) {
			return s.Assign(r.Context(), auth.Caller(r), r.PathValue("postId"), *in)
		}),
		"listAssignments": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			as, err := s.PostAssignments(r.Context(), auth.Caller(r), r.PathValue("postId"))
			return map[string]any{"assignments": as}, err
		}),
		"suggestVolunteers": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sg, err := s.Suggest(r.Context(), auth.Caller(r), r.PathValue("postId"), r.URL.Query().Get("shiftId"))
			return map[string]any{"suggestions": sg}, err
		}),
		"activate": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *ActivationInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Activate(r.Context(), auth.Caller(r), cid, *in)
		}),
		"getActivation": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.View(r.Context(), auth.Caller(r), r.PathValue("activationId"))
		}),
		"respondActivation": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *answerInput) (any, error) {
			asks, err := s.Respond(r.Context(), auth.Caller(r), r.PathValue("activationId"), in.Answer)
			return map[string]any{"asks": asks}, err
		}),
		"postCode": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Code(r.Context(), auth.Caller(r), r.PathValue("postId"))
		}),
		"postCheckIn": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *tokenInput) (any, error) {
			return s.CheckIn(r.Context(), auth.Caller(r), r.PathValue("postId"), in.Token)
		}),
		"postCheckOut": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *tokenInput) (any, error) {
			return s.CheckOut(r.Context(), auth.Caller(r), r.PathValue("postId"), in.Token)
		}),
		"myAssignments": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.ForVolunteer(r.Context(), auth.Caller(r))
		}),
		"volunteerHours": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			m, err := s.Hours(r.Context(), auth.Caller(r), cid, r.URL.Query().Get("month"))
			if err != nil {
				return nil, err
			}
			if !csv {
				return m, nil
			}
			var rows [][]string
			for _, v := range m.Volunteers {
				rows = append(rows, []string{m.Month, v.Name, CategoryNames[v.Category], "1", strconv.Itoa(v.Shifts), strconv.FormatFloat(v.Hours, 'f', 1, 64)})
			}
			for _, c := range m.Categories {
				rows = append(rows, []string{m.Month, "合计", CategoryNames[c.Category], strconv.Itoa(c.Volunteers), strconv.Itoa(c.Shifts), strconv.FormatFloat(c.Hours, 'f', 1, 64)})
			}
			return httpapi.CSV{Filename: "volunteer-hours-" + m.Month + ".csv", Header: []string{"月份", "志愿者", "类别", "人数", "班次", "时长(小时)"}, Rows: rows}, nil
		}),
		"volunteerRecords": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			file, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			month := r.URL.Query().Get("month")
			recs, err := s.Records(r.Context(), auth.Caller(r), cid, month)
			if err != nil || !file {
				return map[string]any{"month": month, "records": recs}, err
			}
			var rows [][]string
			for _, x := range recs {
				rows = append(rows, []string{x.Name, x.From.Format("2006-01-02 15:04") + "至" + x.To.Format("15:04"), x.Place, x.Content,
					strconv.FormatFloat(x.Hours, 'f', 1, 64), x.Recorder, x.Home, CategoryNames[x.Category]})
			}
			return httpapi.CSV{Filename: "志愿服务记录-" + month + ".csv",
				Header: []string{"姓名", "服务时间", "服务地点", "服务内容", "服务时长(小时)", "记录单位", "归属社区", "志愿者类别"}, Rows: rows}, nil
		}),
		"volunteerPool": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			pool, err := s.Pool(r.Context(), auth.Caller(r), sid)
			return map[string]any{"volunteers": pool}, err
		}),
		"requestLoan": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *LoanInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.RequestLoan(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listLoans": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			loans, err := s.LoansOf(r.Context(), auth.Caller(r), cid)
			return map[string]any{"loans": loans}, err
		}),
		"activateStreet": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *StreetActivationInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			res, err := s.ActivateStreet(r.Context(), auth.Caller(r), sid, *in)
			return map[string]any{"results": res}, err
		}),
		"createTraining": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *TrainingInput) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.CreateTraining(r.Context(), auth.Caller(r), sid, *in)
		}),
		"listTrainings": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			ts, err := s.TrainingsOf(r.Context(), auth.Caller(r), sid)
			return map[string]any{"trainings": ts}, err
		}),
		"recordAttendance": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *AttendInput) (any, error) {
			return s.Attend(r.Context(), auth.Caller(r), r.PathValue("trainingId"), *in)
		}),
		"getTrainingRules": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.RulesOf(r.Context(), auth.Caller(r), sid)
		}),
		"setTrainingRules": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *TrainingRules) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			return s.SetRules(r.Context(), auth.Caller(r), sid, *in)
		}),
		"volunteerRecord": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.RecordOf(r.Context(), auth.Caller(r), r.PathValue("volunteerId"))
		}),
		"volunteerRanking": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			sid, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			rs, err := s.Ranking(r.Context(), auth.Caller(r), sid, r.URL.Query().Get("by"))
			return map[string]any{"volunteers": rs}, err
		}),
		"approveLoan": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.DecideLoan(r.Context(), auth.Caller(r), r.PathValue("loanId"), true)
		}),
		"declineLoan": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.DecideLoan(r.Context(), auth.Caller(r), r.PathValue("loanId"), false)
		}),
	}
}

// SignupHandlers serves signing up, which proves the phone by its code
// (phones: the auth function's sign-in, which alone holds the code's key).
func (s *Service) SignupHandlers(phones Phones) httpapi.Handlers {
	return httpapi.Handlers{
		"volunteerSignup": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *SignupInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Signup(r.Context(), phones, cid, *in, httpapi.SourceIP(r))
		}),
	}
}
