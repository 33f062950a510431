package volunteers

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// PostKinds are the posts a community staffs.
var PostKinds = []string{
	"queue_marshal",  // 采样点排队引导
	"checkpoint",     // 卡口登记
	"disinfection",   // 消杀
	"delivery",       // 送货到府
	"site_assistant", // 采样点协助
	"building_lead",  // 楼栋长: calls the post's building down, sees its sampled state
	"door_sampling",  // 上门采样: samples the bed-bound at their doors
	"screening",      // 入户核查: verifies screening lists door by door
	"other",
}

// Roles on a shift: A serves, B stands by and is called when A does not come.
const (
	RoleA = "A"
	RoleB = "B"
)

// Shift is a time a post needs people.
type Shift struct {
	ID       string    `json:"id"`
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
	// Need is how many people the shift needs: as many A roles, and as
	// many B roles to stand by.
	Need int `json:"need"`
}

// Post is a place volunteers serve.
type Post struct {
	ID          string `json:"id"`
	CommunityID string `json:"communityId"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Place       string `json:"place"`
	// BuildingID is the building the post is at, if any: volunteers who
	// live there are suggested first.
	BuildingID string `json:"buildingId,omitempty"`
	// SiteID is the sampling site the post is at, if any: its volunteers
	// on shift check residents in there (and nowhere else).
	SiteID string   `json:"siteId,omitempty"`
	Skills []string `json:"skills"`
	Shifts []Shift  `json:"shifts"`
	// SquadLeader is the volunteer who leads the post's team.
	SquadLeader string    `json:"squadLeader,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	// CodeSecret signs the post's check-in codes; it never leaves the
	// server (the device is shown codes, not the secret).
	CodeSecret []byte `json:"-"`
}

// shift finds one of the post's shifts.
func (p Post) shift(id string) (Shift, bool) {
	for _, s := range p.Shifts {
		if s.ID == id {
			return s, true
		}
	}
	return Shift{}, false
}

// ShiftInput is a shift to create.
type ShiftInput struct {
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
	Need     int       `json:"need"`
}

// PostInput is a post to create.
type PostInput struct {
	Kind       string       `json:"kind"`
	Name       string       `json:"name"`
	Place      string       `json:"place"`
	BuildingID string       `json:"buildingId"`
	SiteID     string       `json:"siteId"`
	Skills     []string     `json:"skills"`
	Shifts     []ShiftInput `json:"shifts"`
}

// Bounds of posts.
const (
	MaxShifts   = 42 // three a day for a fortnight
	MaxNeed     = 50
	MaxShiftLen = 12 * time.Hour
	// MaxAhead is how far ahead a shift may be planned.
	MaxAhead = 90 * 24 * time.Hour
)

// CreatePost adds a post with its shifts.
func (s *Service) CreatePost(ctx context.Context, p auth.Principal, cid string, in PostInput) (Post, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Post{}, err
	}
	var fields []apperr.FieldError
	if !slices.Contains(PostKinds, in.Kind) {
		fields = append(fields, apperr.FieldError{Field: "kind", Reason: fmt.Sprint("one of ", PostKinds)})
	}
	name, problem := safetext.Line(in.Name, 10, true)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	place, problem := safetext.Line(in.Place, 64, false)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "place", Reason: string(problem)})
	}
	if in.BuildingID != "" {
		ours := registry.ValidID(in.BuildingID) && registry.BuildingOf(in.BuildingID) == in.BuildingID
		if ours {
			var err error
			if ours, err = s.Directory.HasBuilding(ctx, cid, in.BuildingID); err != nil {
				return Post{}, err
			}
		}
		if !ours { // another community's is none of this one's
			fields = append(fields, apperr.FieldError{Field: "buildingId", Reason: "no building " + in.BuildingID + " in this community"})
		}
	}
	if in.Kind == "building_lead" && in.BuildingID == "" {
		fields = append(fields, apperr.FieldError{Field: "buildingId", Reason: "a 楼栋长's post names their building"})
	}
	if in.SiteID != "" {
		ours, err := s.Sites.SiteInCommunity(ctx, cid, in.SiteID)
		if err != nil {
			return Post{}, err
		}
		if !ours {
			fields = append(fields, apperr.FieldError{Field: "siteId", Reason: "no open site " + in.SiteID + " in this community"})
		}
	}
	fields = append(fields, checkSkills("skills", in.Skills)...)
	if len(in.Shifts) == 0 || len(in.Shifts) > MaxShifts {
		fields = append(fields, apperr.FieldError{Field: "shifts", Reason: fmt.Sprintf("%d to %d shifts", 1, MaxShifts)})
	}
	now := s.Now()
	post := Post{ID: registry.NewID("p"), CommunityID: cid, Kind: in.Kind, Name: name, Place: place, BuildingID: in.BuildingID,
		SiteID: in.SiteID, Skills: uniq(in.Skills), CreatedAt: chinatime.In(now), CodeSecret: make([]byte, 32)}
	if _, err := rand.Read(post.CodeSecret); err != nil {
		return Post{}, err
	}
	for i, sh := range in.Shifts {
		if sh.StartsAt.IsZero() || !sh.EndsAt.After(sh.StartsAt) || sh.EndsAt.Sub(sh.StartsAt) > MaxShiftLen || sh.EndsAt.Before(now) ||
			sh.StartsAt.After(now.Add(MaxAhead)) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("shifts[%d]", i), Reason: "RFC 3339 times, endsAt after startsAt, at most 12 hours, not over, within 90 days"})
		}
		if sh.Need < 1 || sh.Need > MaxNeed {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("shifts[%d].need", i), Reason: fmt.Sprintf("from %d to %d", 1, MaxNeed)})
		}
		post.Shifts = append(post.Shifts, Shift{ID: "s" + strconv.Itoa(i+1), StartsAt: chinatime.In(sh.StartsAt), EndsAt: chinatime.In(sh.EndsAt), Need: sh.Need})
	}
	if len(fields) > 0 {
		return Post{}, apperr.Validation.WithFields(fields...)
	}
	return post, s.Store.CreatePost(ctx, post)
}

// Posts lists a community's posts: all for staff; for a volunteer, the
// ones they serve.
func (s *Service) Posts(ctx context.Context, p auth.Principal, cid string) ([]Post, error) {
	staff := isStaffOf(ctx, p, cid, s.Directory)
	vid := volunteerOf(p, cid)
	if !staff && vid == "" {
		return nil, apperr.Forbidden
	}
	posts, err := s.Store.Posts(ctx, cid)
	if err != nil || staff {
		return posts, err
	}
	mine, err := s.Store.VolunteerAssignments(ctx, vid)
	if err != nil {
		return nil, err
	}
	out := []Post{}
	for _, post := range posts {
		if post.SquadLeader == vid || slices.ContainsFunc(mine, func(a Assignment) bool { return a.PostID == post.ID }) {
			out = append(out, post)
		}
	}
	return out, nil
}

// managedPost reads a post its community's staff manage.
func (s *Service) managedPost(ctx context.Context, p auth.Principal, id string) (Post, error) {
	if !registry.ValidID(id) {
		return Post{}, ErrPostNotFound
	}
	post, err := s.Store.Post(ctx, id)
	if err != nil {
		return Post{}, err
	}
	if err := auth.RequireCommunity(ctx, p, post.CommunityID, s.Directory); err != nil {
		return Post{}, err
	}
	return post, nil
}

// Assignment puts a volunteer on a shift of a post in a role.
type Assignment struct {
	PostID      string    `json:"postId"`
	ShiftID     string    `json:"shiftId"`
	VolunteerID string    `json:"volunteerId"`
	Role        string    `json:"role"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone,omitempty"`
	Category    string    `json:"category"`
	Post        string    `json:"post"`
	Place       string    `json:"place"`
	StartsAt    time.Time `json:"startsAt"`
	EndsAt      time.Time `json:"endsAt"`
	SquadLeader bool      `json:"squadLeader"`
	// Untrained says, in the answer of an assignment, that the post's kind
	// requires a training the volunteer has not attended: the assignment
	// stands, staff are told.
	Untrained bool `json:"untrained,omitempty"`
}

// AssignInput names who serves which shift in which role.
type AssignInput struct {
	VolunteerID string `json:"volunteerId"`
	ShiftID     string `json:"shiftId"`
	Role        string `json:"role"`
	SquadLeader bool   `json:"squadLeader"`
}

// Assign puts an approved volunteer of the community on a shift of a post,
// as A or B; squadLeader makes them the post's squad leader as well.
func (s *Service) Assign(ctx context.Context, p auth.Principal, postID string, in AssignInput) (Assignment, error) {
	post, err := s.managedPost(ctx, p, postID)
	if err != nil {
		return Assignment{}, err
	}
	var fields []apperr.FieldError
	if !registry.ValidID(in.VolunteerID) {
		fields = append(fields, apperr.FieldError{Field: "volunteerId", Reason: "required"})
	}
	sh, ok := post.shift(in.ShiftID)
	if !ok {
		fields = append(fields, apperr.FieldError{Field: "shiftId", Reason: "a shift of this post"})
	}
	if in.Role != RoleA && in.Role != RoleB {
		fields = append(fields, apperr.FieldError{Field: "role", Reason: "one of A, B"})
	}
	if len(fields) > 0 {
		return Assignment{}, apperr.Validation.WithFields(fields...)
	}
	v, err := s.Store.Volunteer(ctx, in.VolunteerID)
	if apperr.As(err).Code == ErrVolunteerNotFound.Code {
		return Assignment{}, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerId", Reason: "no such volunteer in this community"})
	}
	if err != nil {
		return Assignment{}, err
	}
	if v.CommunityID == post.CommunityID {
		// Their home does not take them while they are lent elsewhere.
		away, err := s.lentAway(ctx, v, sh)
		if err != nil {
			return Assignment{}, err
		}
		if away {
			return Assignment{}, ErrLoanOverlap
		}
	} else {
		// Another community's volunteer serves here only on a loan its
		// home community approved for the shift's whole time.
		lent, err := s.lentFor(ctx, v, post.CommunityID, sh)
		if err != nil {
			return Assignment{}, err
		}
		if !lent {
			return Assignment{}, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerId", Reason: "no such volunteer in this community, nor one lent to it for the shift"})
		}
	}
	if v.Status != StatusApproved {
		return Assignment{}, ErrNotApproved
	}
	theirs, err := s.Store.VolunteerAssignments(ctx, v.ID)
	if err != nil {
		return Assignment{}, err
	}
	for _, o := range theirs {
		if (o.PostID != post.ID || o.ShiftID != sh.ID) && o.StartsAt.Before(sh.EndsAt) && sh.StartsAt.Before(o.EndsAt) {
			return Assignment{}, ErrOverlap
		}
	}
	a := Assignment{PostID: post.ID, ShiftID: sh.ID, VolunteerID: v.ID, Role: in.Role, Name: v.Name, Phone: v.Phone, Category: v.Category,
		Post: post.Name, Place: post.Place, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt, SquadLeader: in.SquadLeader}
	required, trained, err := s.trained(ctx, post, []string{v.ID})
	if err != nil {
		return Assignment{}, err
	}
	if err := s.Store.Assign(ctx, post, a, in.SquadLeader); err != nil {
		return Assignment{}, err
	}
	a.Untrained = required && !trained[v.ID]
	return a, nil
}

// PostAssignments lists who serves a post, for its staff.
func (s *Service) PostAssignments(ctx context.Context, p auth.Principal, postID string) ([]Assignment, error) {
	if _, err := s.managedPost(ctx, p, postID); err != nil {
		return nil, err
	}
	return s.Store.Assignments(ctx, postID)
}

// Mine is what a volunteer sees: their assignments and what they are being
// asked to answer.
type Mine struct {
	Assignments []Assignment `json:"assignments"`
	Asks        []Ask        `json:"asks"`
}

// ForVolunteer lists the caller's assignments of shifts not yet over and
// their asks of the last day.
func (s *Service) ForVolunteer(ctx context.Context, p auth.Principal) (Mine, error) {
	if p.VolunteerID == "" {
		return Mine{}, apperr.Forbidden
	}
	all, err := s.Store.VolunteerAssignments(ctx, p.VolunteerID)
	if err != nil {
		return Mine{}, err
	}
	now := s.Now()
	out := Mine{Assignments: []Assignment{}, Asks: []Ask{}}
	for _, a := range all {
		if a.EndsAt.After(now) {
			a.Phone = ""
			out.Assignments = append(out.Assignments, a)
		}
	}
	asks, err := s.Store.VolunteerAsks(ctx, p.VolunteerID, now.Add(-24*time.Hour))
	if err != nil {
		return Mine{}, err
	}
	for _, a := range asks {
		a.Phone = ""
		out.Asks = append(out.Asks, a)
	}
	return out, nil
}

// Suggestion is a volunteer who could serve a shift, with why.
type Suggestion struct {
	VolunteerID string   `json:"volunteerId"`
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	Score       int      `json:"score"`
	Skills      []string `json:"matchingSkills"`
	Available   bool     `json:"available"`
	SameBuiding bool     `json:"sameBuilding"`
	// Trained is set where the post's kind requires a training: those who
	// attended one come first.
	Trained *bool `json:"trained,omitempty"`
}

// Suggest ranks the community's approved volunteers for a shift of a post:
// matching skills first, then those available at the shift's time, then
// those who live in the post's building, then emergency teams and party
// members (who answer calls first in the seed report). Those on the shift
// already are left out.
func (s *Service) Suggest(ctx context.Context, p auth.Principal, postID, shiftID string) ([]Suggestion, error) {
	post, err := s.managedPost(ctx, p, postID)
	if err != nil {
		return nil, err
	}
	sh, ok := post.shift(shiftID)
	if !ok {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "shiftId", Reason: "a shift of this post"})
	}
	vols, err := s.Store.Volunteers(ctx, post.CommunityID)
	if err != nil {
		return nil, err
	}
	// Those lent to the community for the shift's time are suggested too.
	loans, err := s.Loans.LoansTo(ctx, post.CommunityID)
	if err != nil {
		return nil, err
	}
	for _, l := range loans {
		if !l.covers(post.CommunityID, sh.StartsAt, sh.EndsAt) {
			continue
		}
		v, err := s.Store.Volunteer(ctx, l.VolunteerID)
		if err != nil {
			return nil, err
		}
		vols = append(vols, v)
	}
	on, err := s.Store.Assignments(ctx, post.ID)
	if err != nil {
		return nil, err
	}
	out := []Suggestion{}
	for _, v := range vols {
		if v.Status != StatusApproved || slices.ContainsFunc(on, func(a Assignment) bool { return a.ShiftID == sh.ID && a.VolunteerID == v.ID }) {
			continue
		}
		sg := Suggestion{VolunteerID: v.ID, Name: v.Name, Category: v.Category, Skills: []string{}}
		for _, sk := range post.Skills {
			if slices.Contains(v.Skills, sk) {
				sg.Skills = append(sg.Skills, sk)
			}
		}
		sg.Available = available(v.Availability, sh)
		sg.SameBuiding = post.BuildingID != "" && v.BuildingID == post.BuildingID
		sg.Score = 8*len(sg.Skills) + 4*b2i(sg.Available) + 2*b2i(sg.SameBuiding) + b2i(v.Category == "emergency_team" || v.Category == "party_member")
		out = append(out, sg)
	}
	ids := make([]string, len(out))
	for i, sg := range out {
		ids[i] = sg.VolunteerID
	}
	required, trained, err := s.trained(ctx, post, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if required {
			t := trained[out[i].VolunteerID]
			out[i].Trained = &t
			out[i].Score += 32 * b2i(t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Name < out[j].Name
	})
	return out[:min(len(out), 20)], nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// available says whether a weekly window covers the shift's start.
func available(ws []Window, sh Shift) bool {
	start := sh.StartsAt.In(chinatime.Zone)
	day := int(start.Weekday())
	if day == 0 {
		day = 7
	}
	at := start.Format("15:04")
	end := sh.EndsAt.In(chinatime.Zone).Format("15:04")
	for _, w := range ws {
		if w.Day == day && w.From <= at && (end <= w.To || end < at) {
			return true
		}
	}
	return false
}
