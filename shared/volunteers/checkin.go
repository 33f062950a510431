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
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
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
	PostID string `json:"postId"`
	Token  string `json:"token"`
	// Code is the same check-in as six digits, for a volunteer who texts
	// 到岗 and the code instead of scanning.
	Code      string    `json:"code"`
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
	return QR{PostID: post.ID, Token: sign(key, post.ID, w), Code: shortCode(key, w), RefreshAt: chinatime.In(next),
		ExpiresAt: chinatime.In(next.Add(CodeWindow))}, nil
}

// shortCode is a window's code as six digits: what a volunteer can text.
func shortCode(key []byte, window int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("short:" + strconv.FormatInt(window, 36)))
	sum := m.Sum(nil)
	n := (uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])) % 1_000_000
	return fmt.Sprintf("%06d", n)
}

// CodeTriesPerHour bounds the six-digit codes a volunteer tries: six
// digits are guessable where a signed token is not.
const CodeTriesPerHour = 5

// tryCode counts a try of a six-digit code; a right one is given back.
func (s *Service) tryCode(ctx context.Context, vid string) (func(), error) {
	key, now := "checkin-code#"+vid, s.Now()
	wait, err := s.Limiter.Take(ctx, key, CodeTriesPerHour, time.Hour, now)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, ErrCodeTries.WithRetryAfter(wait)
	}
	return func() {
		if err := s.Limiter.Give(ctx, key, time.Hour, now); err != nil {
			logging.From(ctx).Warn("a right check-in code's try was not given back", "err", err)
		}
	}, nil
}

// CheckInByCode checks the caller in with the six digits the post's device
// shows: at the post of their shift under way (or starting within Early)
// whose code it is. Wrong codes count: CodeTriesPerHour.
func (s *Service) CheckInByCode(ctx context.Context, p auth.Principal, code string) (Checkin, error) {
	if p.VolunteerID == "" {
		return Checkin{}, apperr.Forbidden
	}
	right, err := s.tryCode(ctx, p.VolunteerID)
	if err != nil {
		return Checkin{}, err
	}
	mine, err := s.Store.VolunteerAssignments(ctx, p.VolunteerID)
	if err != nil {
		return Checkin{}, err
	}
	now := s.Now()
	w := now.Unix() / int64(CodeWindow.Seconds())
	onShift := false
	for _, a := range mine {
		if now.Before(a.StartsAt.Add(-Early)) || !now.Before(a.EndsAt) {
			continue
		}
		onShift = true
		post, err := s.Store.Post(ctx, a.PostID)
		if err != nil {
			return Checkin{}, err
		}
		for _, win := range []int64{w, w - 1} {
			if len(post.CodeSecret) > 0 && hmac.Equal([]byte(shortCode(post.CodeSecret, win)), []byte(code)) {
				right()
				return s.CheckIn(ctx, p, post.ID, sign(post.CodeSecret, post.ID, win))
			}
		}
	}
	if !onShift {
		return Checkin{}, ErrNotOnShift
	}
	return Checkin{}, ErrCodeRefused
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

// tokenRE is compiled on first use, not at cold start.
var tokenRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9_-]{1,64}\.[0-9a-z]{1,13}\.[A-Za-z0-9_-]{22}$`)
})

// verify checks a scanned code against its post and the time.
func (s *Service) verify(ctx context.Context, postID, token string) (Post, error) {
	if !tokenRE().MatchString(token) {
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
		err := s.Store.StartServing(ctx, c)
		if errors.Is(err, ErrCheckedIn) && s.closeForgotten(ctx, p.VolunteerID, now) {
			err = s.Store.StartServing(ctx, c)
		}
		if err != nil {
			return Checkin{}, err
		}
		return c, nil
	}
	return Checkin{}, ErrNotOnShift
}

// CheckOutByCode checks the caller out with the six digits the device of
// the post they are checked in at shows.
func (s *Service) CheckOutByCode(ctx context.Context, p auth.Principal, code string) (Checkin, error) {
	if p.VolunteerID == "" {
		return Checkin{}, apperr.Forbidden
	}
	right, err := s.tryCode(ctx, p.VolunteerID)
	if err != nil {
		return Checkin{}, err
	}
	open, err := s.Store.Serving(ctx, p.VolunteerID)
	if err != nil {
		return Checkin{}, err
	}
	post, err := s.Store.Post(ctx, open.PostID)
	if err != nil {
		return Checkin{}, err
	}
	w := s.Now().Unix() / int64(CodeWindow.Seconds())
	for _, win := range []int64{w, w - 1} {
		if len(post.CodeSecret) > 0 && hmac.Equal([]byte(shortCode(post.CodeSecret, win)), []byte(code)) {
			right()
			return s.CheckOut(ctx, p, post.ID, sign(post.CodeSecret, post.ID, win))
		}
	}
	return Checkin{}, ErrCodeRefused
}

// closeForgotten closes a check-in left open past its shift's end and Late:
// it counts to the shift's end, and no longer keeps the volunteer from
// checking in elsewhere. It says whether it closed one.
func (s *Service) closeForgotten(ctx context.Context, vid string, now time.Time) bool {
	open, err := s.Store.Serving(ctx, vid)
	if err != nil || !now.After(open.ShiftEnds.Add(Late)) {
		return false
	}
	out := open.ShiftEnds
	open.Out, open.Minutes = &out, max(int(out.Sub(open.In).Minutes()), 0)
	if err := s.Store.StopServing(ctx, open); err != nil {
		logging.From(ctx).Warn("a forgotten check-in was not closed", "volunteer", vid, "err", err)
		return false
	}
	return true
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
	Shifts     int     `json:"shifts"`
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

// monthRE is compiled on first use, not at cold start.
var monthRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`) })

// Hours sums a month of check-outs (by the check-in's Beijing month) per
// volunteer and per category.
func (s *Service) Hours(ctx context.Context, p auth.Principal, cid, month string) (MonthHours, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return MonthHours{}, err
	}
	if !monthRE().MatchString(month) {
		return MonthHours{}, apperr.Validation.WithFields(apperr.FieldError{Field: "month", Reason: "YYYY-MM"})
	}
	rows, err := s.Store.Hours(ctx, cid, month)
	if err != nil {
		return MonthHours{}, err
	}
	out := MonthHours{Month: month, Volunteers: []VolunteerHours{}, Categories: []CategoryHours{}}
	byVol := map[string]*VolunteerHours{}
	byCat := map[string]*CategoryHours{}
	// A shift is counted once however often its volunteer checked in and
	// out during it (a break, a code scanned twice).
	served := map[[3]string]bool{}
	for _, r := range rows {
		v, ok := byVol[r.VolunteerID]
		if !ok {
			v = &VolunteerHours{VolunteerID: r.VolunteerID, Name: r.Name, Category: r.Category}
			byVol[r.VolunteerID] = v
		}
		c, ok := byCat[r.Category]
		if !ok {
			c = &CategoryHours{Category: r.Category}
			byCat[r.Category] = c
		}
		if shift := [3]string{r.VolunteerID, r.PostID, r.ShiftID}; !served[shift] {
			served[shift] = true
			v.Shifts++
			c.Shifts++
		}
		v.Minutes += r.Minutes
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
