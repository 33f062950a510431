// Package retention is personal data's expiry (PIPL minimisation): when a
// community's emergency ends, the personal data it left — bookings with
// their codes and check-ins, temperature reports, help requests, orders,
// volunteers' check-ins, and who each notice was texted to — gets a
// DynamoDB TTL a number of days later. A job marks the items a few
// thousand at a time until every set is marked; a report says what
// expires when. Staff export or erase one resident's data on request; the
// audit log keeps that they did.
package retention

import (
	"context"
	"errors"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/playbook"
)

// Sets of personal data an emergency leaves, in the order they are marked.
var Sets = []Set{
	{Name: "bookings", Holds: "testing rounds: bookings, booking codes, check-ins (sampled), tubes and their results, reasons for not being sampled"},
	{Name: "temperatures", Holds: "daily temperature reports, from the emergency's first day to its last"},
	{Name: "help", Holds: "help requests with their notes and actions"},
	{Name: "orders", Holds: "supply orders with their lines, door codes and history"},
	{Name: "checkins", Holds: "volunteers' check-ins and served hours, from the emergency's first month to its last"},
	{Name: "noticeSends", Holds: "which phone each notice was texted to, and which household acknowledged it"},
	{Name: "watches", Holds: "people under home isolation or health monitoring: who, their door, days, test days and their results, seal, why"},
	{Name: "transfers", Holds: "batches taken to central quarantine and back: who, their door and phone, each step, who was left behind"},
}

// Set is one kind of personal data.
type Set struct {
	Name  string `json:"name"`
	Holds string `json:"holds"`
}

// Statuses of an expiry.
const (
	StatusMarking = "marking"
	StatusDone    = "done"
)

// Record is a community's expiry after its last emergency.
type Record struct {
	CommunityID string `json:"communityId"`
	// From and EndedAt bound the emergency; ExpiresAt is EndedAt + Days.
	From      time.Time `json:"from"`
	EndedAt   time.Time `json:"endedAt"`
	Days      int       `json:"days"`
	ExpiresAt time.Time `json:"expiresAt"`
	Status    string    `json:"status"`
	// Marked counts the items given the TTL so far, by set; Done lists the
	// sets marked whole.
	Marked    map[string]int `json:"marked"`
	Done      []string       `json:"done"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

// Store keeps expiries and marks items.
type Store interface {
	PutRetention(ctx context.Context, r Record) error
	Retention(ctx context.Context, cid string) (Record, bool, error)
	// PendingRetention lists the expiries still marking.
	PendingRetention(ctx context.Context) ([]Record, error)
	// MarkExpiry gives the items of a set that have no TTL the record's
	// ExpiresAt, until done or until the deadline; it answers how many it
	// marked and whether the set is marked whole.
	MarkExpiry(ctx context.Context, r Record, set string, deadline time.Time) (int, bool, error)
	// LeaseRetention takes a community's marking until until, unless
	// another run holds it: one run marks a community at a time.
	LeaseRetention(ctx context.Context, cid string, until, now time.Time) (bool, error)
	// ReleaseRetention gives the marking back.
	ReleaseRetention(ctx context.Context, cid string) error
}

// Service runs expiries, the retention report and people's requests.
type Service struct {
	Store     Store
	People    People
	Playbooks interface {
		Playbook(ctx context.Context, cid string) (playbook.Playbook, bool, error)
	}
	Directory auth.StreetResolver
	Now       func() time.Time
}

// ScheduleExpiry records that an emergency that began at from ended at
// endedAt: its personal data expires days later. The job marks it.
func (s *Service) ScheduleExpiry(ctx context.Context, cid string, from, endedAt time.Time, days int) error {
	r := Record{CommunityID: cid, From: chinatime.In(from), EndedAt: chinatime.In(endedAt), Days: days,
		ExpiresAt: chinatime.In(endedAt).AddDate(0, 0, days), Status: StatusMarking, Marked: map[string]int{}, Done: []string{},
		UpdatedAt: chinatime.In(s.Now())}
	return s.Store.PutRetention(ctx, r)
}

// Budget is how long one run of the job marks: the job runs every minute
// and stops well inside its function's timeout.
const Budget = 30 * time.Second

// Continue marks what is pending, until done or the budget is spent: run
// twice at once, both mark the same items the same way. It answers the
// items marked.
func (s *Service) Continue(ctx context.Context, budget time.Duration) (int, error) {
	pending, err := s.Store.PendingRetention(ctx)
	if err != nil {
		return 0, err
	}
	deadline := s.Now().Add(budget)
	total := 0
	var errs []error
	for _, r := range pending {
		mine, err := s.Store.LeaseRetention(ctx, r.CommunityID, deadline.Add(10*time.Second), s.Now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !mine {
			continue // another run marks it now
		}
		for _, set := range Sets {
			if contains(r.Done, set.Name) {
				continue
			}
			n, whole, err := s.Store.MarkExpiry(ctx, r, set.Name, deadline)
			total += n
			r.Marked[set.Name] += n
			if err != nil {
				errs = append(errs, err)
				break
			}
			if !whole {
				break
			}
			r.Done = append(r.Done, set.Name)
		}
		if len(r.Done) == len(Sets) {
			r.Status = StatusDone
		}
		r.UpdatedAt = chinatime.In(s.Now())
		if err := s.Store.PutRetention(context.WithoutCancel(ctx), r); err != nil {
			errs = append(errs, err)
		}
		if err := s.Store.ReleaseRetention(context.WithoutCancel(ctx), r.CommunityID); err != nil {
			errs = append(errs, err) // the lease lapses on its own
		}
		if s.Now().After(deadline) {
			break
		}
	}
	if len(errs) > 0 {
		logging.From(ctx).Warn("personal data expiry", "marked", total, "err", errors.Join(errs...))
	}
	return total, errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Report says what a community's personal data is and when it expires.
type Report struct {
	CommunityID string `json:"communityId"`
	// RetentionDays is the playbook's: what the next end of an emergency
	// sets.
	RetentionDays int `json:"retentionDays"`
	// Expiry is the last emergency's, if one ended.
	Expiry *Record     `json:"expiry,omitempty"`
	Sets   []SetReport `json:"sets"`
	// Kept are the records that follow their own rules.
	Kept []Kept `json:"kept"`
}

// SetReport is one set's expiry.
type SetReport struct {
	Set
	// ExpiresAt is when its items go (DynamoDB deletes them within about
	// two days after); empty while no emergency has ended.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Marked    int        `json:"marked"`
	Complete  bool       `json:"complete"`
}

// Kept is data with its own retention.
type Kept struct {
	Data string `json:"data"`
	Rule string `json:"rule"`
}

// kept are the rules outside the sets.
var kept = []Kept{
	{Data: "audit log of staff and admin actions", Rule: "400 days from each entry, then deleted (TTL)"},
	{Data: "sign-in codes and rate-limit windows", Rule: "minutes to an hour (TTL)"},
	{Data: "SMS replies' and menus' working records", Rule: "a day (TTL)"},
	{Data: "drills' data and outbox", Rule: "removed by DELETE /v1/runs/{runId}/drill-data"},
	{Data: "residents, households and buildings (the register)", Rule: "kept while the community uses the service; changed by import, a person's emergency data erased on request"},
}

// Report is a community's retention report.
func (s *Service) Report(ctx context.Context, p auth.Principal, cid string) (Report, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Report{}, err
	}
	pb, found, err := s.Playbooks.Playbook(ctx, cid)
	if err != nil {
		return Report{}, err
	}
	days := playbook.DefaultRetention
	if found && pb.RetentionDays > 0 {
		days = pb.RetentionDays
	}
	r, ok, err := s.Store.Retention(ctx, cid)
	if err != nil {
		return Report{}, err
	}
	out := Report{CommunityID: cid, RetentionDays: days, Kept: kept}
	if ok {
		out.Expiry = &r
	}
	for _, set := range Sets {
		sr := SetReport{Set: set}
		if ok {
			at := r.ExpiresAt
			sr.ExpiresAt, sr.Marked, sr.Complete = &at, r.Marked[set.Name], contains(r.Done, set.Name)
		}
		out.Sets = append(out.Sets, sr)
	}
	return out, nil
}

// ErrEmergency refuses an erasure while the community is in an emergency:
// its bookings and orders are the work under way.
var ErrEmergency = apperr.New(apperr.KindConflict, "EMERGENCY_ONGOING", "社区处于应急状态，结束后再删除个人信息", "The community is in an emergency: erase personal data after it ends")
