package volunteers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
)

// CodeWindow is how often a post's check-in code changes; a code is good
// in its window and the next, so one scanned just before a change works.
const CodeWindow = time.Minute

// Early is how long before a shift starts its volunteers may check in;
// Late is how long after it ends a check-out still counts to the end.
const (
	Early = 30 * time.Minute
	Late  = time.Hour
)

// QR is what the post's device shows: the code to put in a QR code, and
// when to fetch the next.
type QR struct {
	PostID    string    `json:"postId"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	RefreshAt time.Time `json:"refreshAt"`
}

// Code is a post's current check-in code, for its staff and its squad
// leader (whose phone is often the post's device).
func (s *Service) Code(ctx context.Context, p auth.Principal, postID string) (QR, error) {
	if !registry.ValidID(postID) {
		return QR{}, ErrPostNotFound
	}
	post, err := s.Store.Post(ctx, postID)
	if err != nil {
		return QR{}, err
	}
	leader := post.SquadLeader != "" && volunteerOf(p, post.CommunityID) == post.SquadLeader
	if !leader && !isStaffOf(ctx, p, post.CommunityID, s.Directory) {
		return QR{}, apperr.Forbidden
	}
	key := post.CodeSecret
	now := s.Now()
	w := now.Unix() / int64(CodeWindow.Seconds())
	next := time.Unix((w+1)*int64(CodeWindow.Seconds()), 0)
	return QR{PostID: post.ID, Token: sign(key, post.ID, w), RefreshAt: chinatime.In(next), ExpiresAt: chinatime.In(next.Add(CodeWindow))}, nil
}

// sign makes the code of a post for a window: the post, the window and a
// MAC over both, so a code names its post and its time and cannot be made
// without the key.
func sign(key []byte, postID string, window int64) string {
	payload := postID + "." + strconv.FormatInt(window, 36)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("checkin:" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

var tokenRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}\.[0-9a-z]{1,13}\.[A-Za-z0-9_-]{22}$`)

// verify checks a scanned code against its post and the time.
func (s *Service) verify(ctx context.Context, postID, token string) (Post, error) {
	if !tokenRE.MatchString(token) {
		return Post{}, ErrCodeRefused
	}
	parts := strings.Split(token, ".")
	w, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil || parts[0] != postID {
		return Post{}, ErrCodeRefused
	}
	now := s.Now().Unix() / int64(CodeWindow.Seconds())
	if w != now && w != now-1 {
		return Post{}, ErrCodeRefused
	}
	post, err := s.Store.Post(ctx, postID)
	if errors.Is(err, ErrPostNotFound) {
		return Post{}, ErrCodeRefused
	}
	if err != nil {
		return Post{}, err
	}
	if len(post.CodeSecret) == 0 || !hmac.Equal([]byte(sign(post.CodeSecret, postID, w)), []byte(token)) {
		return Post{}, ErrCodeRefused
	}
	return post, nil
}

// Checkin is a volunteer's time at a post: open until they check out.
type Checkin struct {
	VolunteerID string     `json:"volunteerId"`
	CommunityID string     `json:"communityId"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	PostID      string     `json:"postId"`
	Post        string     `json:"post"`
	ShiftID     string     `json:"shiftId"`
	In          time.Time  `json:"checkedInAt"`
	Out         *time.Time `json:"checkedOutAt,omitempty"`
	Minutes     int        `json:"minutes"`
	// ShiftEnds bounds what a forgotten check-out can count.
	ShiftEnds time.Time `json:"shiftEndsAt"`
}

// CheckIn records the caller's arrival at a post with the code its device
// shows: only a volunteer on a shift of the post that starts within Early
// or is under way.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, postID, token string) (Checkin, error) {
	if p.VolunteerID == "" {
		return Checkin{}, apperr.Forbidden
	}
	if !registry.ValidID(postID) {
		return Checkin{}, ErrPostNotFound
	}
	post, err := s.verify(ctx, postID, token)
	if err != nil {
		return Checkin{}, err
	}
	as, err := s.Store.Assignments(ctx, postID)
	if err != nil {
		return Checkin{}, err
	}
	now := s.Now()
	for _, a := range as {
		if a.VolunteerID != p.VolunteerID || now.Before(a.StartsAt.Add(-Early)) || !now.Before(a.EndsAt) {
			continue
		}
		c := Checkin{VolunteerID: a.VolunteerID, CommunityID: post.CommunityID, Name: a.Name, Category: a.Category, PostID: postID,
			Post: a.Post, ShiftID: a.ShiftID, In: chinatime.In(now), ShiftEnds: a.EndsAt}
		if err := s.Store.StartServing(ctx, c); err != nil {
			return Checkin{}, err
		}
		return c, nil
	}
	return Checkin{}, ErrNotOnShift
}

// CheckOut ends the caller's check-in at a post, with the post's code, and
// books the minutes (up to Late after the shift's end).
func (s *Service) CheckOut(ctx context.Context, p auth.Principal, postID, token string) (Checkin, error) {
	if p.VolunteerID == "" {
		return Checkin{}, apperr.Forbidden
	}
	if !registry.ValidID(postID) {
		return Checkin{}, ErrPostNotFound
	}
	if _, err := s.verify(ctx, postID, token); err != nil {
		return Checkin{}, err
	}
	c, err := s.Store.Serving(ctx, p.VolunteerID)
	if errors.Is(err, ErrNotCheckedIn) || (err == nil && c.PostID != postID) {
		return Checkin{}, ErrNotCheckedIn
	}
	if err != nil {
		return Checkin{}, err
	}
	out := chinatime.In(s.Now())
	end := out
	if limit := c.ShiftEnds.Add(Late); end.After(limit) {
		end = limit
	}
	c.Out, c.Minutes = &out, max(int(end.Sub(c.In).Minutes()), 0)
	if err := s.Store.StopServing(ctx, c); err != nil {
		return Checkin{}, err
	}
	return c, nil
}

// VolunteerHours is one volunteer's month.
type VolunteerHours struct {
	VolunteerID string  `json:"volunteerId"`
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	Shifts      int     `json:"shifts"`
	Minutes     int     `json:"minutes"`
	Hours       float64 `json:"hours"`
}

// CategoryHours is one category's month.
type CategoryHours struct {
	Category   string  `json:"category"`
	Volunteers int     `json:"volunteers"`
	Minutes    int     `json:"minutes"`
	Hours      float64 `json:"hours"`
}

// MonthHours is a community's volunteer hours of a month.
type MonthHours struct {
	Month      string           `json:"month"`
	Volunteers []VolunteerHours `json:"volunteers"`
	Categories []CategoryHours  `json:"categories"`
	Minutes    int              `json:"minutes"`
	Hours      float64          `json:"hours"`
}

var monthRE = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`)

// Hours sums a month of check-outs (by the check-in's Beijing month) per
// volunteer and per category.
func (s *Service) Hours(ctx context.Context, p auth.Principal, cid, month string) (MonthHours, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return MonthHours{}, err
	}
	if !monthRE.MatchString(month) {
		return MonthHours{}, apperr.Validation.WithFields(apperr.FieldError{Field: "month", Reason: "YYYY-MM"})
	}
	rows, err := s.Store.Hours(ctx, cid, month)
	if err != nil {
		return MonthHours{}, err
	}
	out := MonthHours{Month: month, Volunteers: []VolunteerHours{}, Categories: []CategoryHours{}}
	byVol := map[string]*VolunteerHours{}
	byCat := map[string]*CategoryHours{}
	for _, r := range rows {
		v, ok := byVol[r.VolunteerID]
		if !ok {
			v = &VolunteerHours{VolunteerID: r.VolunteerID, Name: r.Name, Category: r.Category}
			byVol[r.VolunteerID] = v
		}
		v.Shifts++
		v.Minutes += r.Minutes
		c, ok := byCat[r.Category]
		if !ok {
			c = &CategoryHours{Category: r.Category}
			byCat[r.Category] = c
		}
		c.Minutes += r.Minutes
		out.Minutes += r.Minutes
	}
	for _, v := range byVol {
		v.Hours = hours(v.Minutes)
		byCat[v.Category].Volunteers++
		out.Volunteers = append(out.Volunteers, *v)
	}
	for _, c := range byCat {
		c.Hours = hours(c.Minutes)
		out.Categories = append(out.Categories, *c)
	}
	sort.Slice(out.Volunteers, func(i, j int) bool {
		if out.Volunteers[i].Minutes != out.Volunteers[j].Minutes {
			return out.Volunteers[i].Minutes > out.Volunteers[j].Minutes
		}
		return out.Volunteers[i].Name < out.Volunteers[j].Name
	})
	sort.Slice(out.Categories, func(i, j int) bool { return out.Categories[i].Category < out.Categories[j].Category })
	out.Hours = hours(out.Minutes)
	return out, nil
}

func hours(minutes int) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.1f", float64(minutes)/60), 64)
	return v
}
