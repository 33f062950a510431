// Package audit is the log of what staff and admins change (留痕): who, what,
// when, which ids, from which address. An entry is written before the
// action runs — if it cannot be, the action does not run — and its outcome
// is appended after. Entries are never changed; they expire after their own
// retention. The street's admins read their street's log.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
)

// Retention is how long an entry is kept: a year and a month, beyond the
// personal data it describes (which expires sooner).
const Retention = 400 * 24 * time.Hour

// Entry is one action.
type Entry struct {
	At        time.Time `json:"at"`
	RequestID string    `json:"requestId"`
	UserID    string    `json:"userId"`
	// Name is a volunteer's, filled in when the log is read.
	Name        string   `json:"name,omitempty"`
	Roles       []string `json:"roles"`
	StreetID    string   `json:"streetId"`
	CommunityID string   `json:"communityId,omitempty"`
	Op          string   `json:"op"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	// IDs are the ids the path names (communityId, orderId, …).
	IDs map[string]string `json:"ids"`
	IP  string            `json:"ip"`
	// Query is a read's query string (phone numbers masked): what was
	// looked for.
	Query string `json:"query,omitempty"`
	// Status is the answer's HTTP status; 0 while the action had no
	// outcome recorded (it failed to finish, or is running).
	Status int `json:"status"`
	// Changes say what the action changed, before and after.
	Changes []Change `json:"changes,omitempty"`
	// Count is how many people's records a read answered.
	Count *int `json:"count,omitempty"`
}

// Change is one thing an action changed: what, as it was and as it became
// (JSON, each at most MaxNote bytes).
type Change struct {
	What   string `json:"what"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Outcome is what is recorded of an action once it ran.
type Outcome struct {
	Status  int
	Changes []Change
	Count   *int
}

// MaxNote is the most of a before or after kept: enough for a playbook or
// a zone map, and an entry (three bytes a character at most) stays below an item's size.
const MaxNote = 16 << 10

// notes collects what an action says of itself while it runs.
type notes struct {
	mu      sync.Mutex
	changes []Change
	count   *int
}

type notesKey struct{}

// Changed notes in the entry of the request under way (if it is recorded)
// what changed: before and after, as JSON.
func Changed(ctx context.Context, what string, before, after any) {
	n, ok := ctx.Value(notesKey{}).(*notes)
	if !ok {
		return
	}
	// Phones in what changed (who is on duty) are masked, as in every log.
	note := func(v any) string {
		b, _ := json.Marshal(v)
		return clip(phonesRE().ReplaceAllStringFunc(string(b), logging.MaskPhone), MaxNote)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changes = append(n.changes, Change{What: what, Before: note(before), After: note(after)})
}

// Counted notes in the entry of the read under way how many people's
// records it answered.
func Counted(ctx context.Context, people int) {
	if n, ok := ctx.Value(notesKey{}).(*notes); ok {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.count = &people
	}
}

// Store keeps the log.
type Store interface {
	// AppendAudit writes an entry, never over another.
	AppendAudit(ctx context.Context, e Entry, expires time.Time) error
	// AppendOutcome writes an entry's outcome beside it.
	AppendOutcome(ctx context.Context, e Entry, o Outcome, expires time.Time) error
	// AuditPage lists up to limit of a street's entries of a Beijing day,
	// oldest first, with outcomes, from a cursor; the next page's cursor is
	// "" at the end of the day.
	AuditPage(ctx context.Context, streetID, day, cursor string, limit int) ([]Entry, string, error)
}

// Streets finds a community's street.
type Streets interface {
	StreetOf(ctx context.Context, communityID string) (string, error)
}

// Recorder is the httpapi.Auditor of the functions: it records every
// staff or admin request that may change data.
type Recorder struct {
	Store   Store
	Streets Streets
	// Volunteers names the volunteers who acted (nil: entries carry ids
	// only).
	Volunteers VolunteerNames
	Now        func() time.Time

	streets sync.Map // community → street, which never changes
}

var _ httpapi.Auditor = (*Recorder)(nil)

// ErrUnavailable refuses an action whose entry could not be written.
var ErrUnavailable = apperr.New(apperr.KindUnavailable, "AUDIT_UNAVAILABLE", "操作记录暂不可用，操作未执行，请稍后重试",
	"The audit log is unavailable: nothing was done, try again later")

// Audits says whether a request on route by caller is recorded: any that
// may change data, and reads of many people's personal data
// (route.AuditRead), by anyone holding a staff or admin role.
func Audits(route manifest.Route, roles []manifest.Role) bool {
	if route.AuditVolunteer && slices.Contains(roles, manifest.RoleVolunteer) {
		return true
	}
	if (route.Method == http.MethodGet || route.Method == http.MethodHead) && !route.AuditRead {
		return false
	}
	return slices.Contains(roles, manifest.RoleStaff) || slices.Contains(roles, manifest.RoleAdmin)
}

// phonesRE finds mobile numbers in a query, to mask them.
var phonesRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`1[3-9][0-9]{9}`) })

// paramRE is compiled on first use, not at cold start.
var paramRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([A-Za-z]+)\}`) })

// Begin writes the entry of a request about to run and returns how to
// record its outcome; an error refuses the request.
func (rec *Recorder) Begin(r *http.Request, route manifest.Route, caller httpapi.Caller) (*http.Request, func(status int), error) {
	if !Audits(route, caller.Roles) {
		return r, func(int) {}, nil
	}
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	// To the nanosecond: a second holds many actions, and the log keeps
	// their order.
	e := Entry{At: rec.Now().In(chinatime.Zone), RequestID: httpapi.RequestID(ctx), UserID: caller.ID, Op: route.Op, Method: route.Method,
		Path: clip(r.URL.Path, 2048), IDs: map[string]string{}, IP: httpapi.SourceIP(r), StreetID: p.StreetID, CommunityID: p.StaffCommunityID}
	if e.CommunityID == "" {
		e.CommunityID = p.VolunteerCommunityID // a volunteer's field work
	}
	for _, role := range caller.Roles {
		e.Roles = append(e.Roles, string(role))
	}
	for _, m := range paramRE().FindAllStringSubmatch(route.Path, -1) {
		if m[1] == "secret" {
			continue // never log a secret
		}
		e.IDs[m[1]] = clip(r.PathValue(m[1]), 128) // an id is short; what is not, is kept in part
	}
	if q, err := url.QueryUnescape(r.URL.RawQuery); err == nil && q != "" {
		e.Query = clip(phonesRE().ReplaceAllStringFunc(q, logging.MaskPhone), 512)
	}
	n := &notes{}
	done, err := rec.append(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	return r.WithContext(context.WithValue(ctx, notesKey{}, n)), func(status int) {
		n.mu.Lock()
		defer n.mu.Unlock()
		done(Outcome{Status: status, Changes: n.changes, Count: n.count})
	}, nil
}

// append writes e, finding its street from its community when the caller
// has none, and returns how to record its outcome.
func (rec *Recorder) append(ctx context.Context, e Entry) (func(Outcome), error) {
	if e.StreetID == "" && e.CommunityID != "" {
		street, err := rec.streetOf(ctx, e.CommunityID)
		if err != nil {
			return nil, ErrUnavailable.Wrap(err)
		}
		e.StreetID = street
	}
	if e.StreetID == "" {
		return nil, ErrUnavailable.Wrap(errors.New("audit: the caller has no street"))
	}
	expires := e.At.Add(Retention)
	if err := rec.Store.AppendAudit(ctx, e, expires); err != nil {
		return nil, ErrUnavailable.Wrap(err)
	}
	return func(o Outcome) {
		// The action ran: its outcome is kept even if the client went away.
		ctx := context.WithoutCancel(ctx)
		if err := rec.Store.AppendOutcome(ctx, e, o, expires); err != nil {
			logging.From(ctx).Warn("audit outcome not written", "request", e.RequestID, "err", err)
		}
	}, nil
}

// Action writes the entry of an action the system takes for p inside a
// request (a playbook's step): its request id is the request's, suffixed
// with the op and ids, so the request's own entry (with the address it came
// from) and its actions read together. An error refuses the action.
func (rec *Recorder) Action(ctx context.Context, p auth.Principal, communityID, op string, ids map[string]string) (func(status int), error) {
	now := rec.Now()
	e := Entry{At: now.In(chinatime.Zone), UserID: p.UserID, StreetID: p.StreetID, CommunityID: communityID, Op: op,
		Method: "ACTION", IDs: map[string]string{"communityId": communityID}}
	for _, role := range p.Roles {
		e.Roles = append(e.Roles, string(role))
	}
	e.RequestID = httpapi.RequestID(ctx) + "/" + op
	names := make([]string, 0, len(ids))
	for k := range ids {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		e.IDs[k] = clip(ids[k], 128)
		e.RequestID += "/" + e.IDs[k]
		e.Path += "/" + k + "/" + e.IDs[k]
	}
	done, err := rec.append(ctx, e)
	if err != nil {
		return nil, err
	}
	return func(status int) { done(Outcome{Status: status}) }, nil
}

func (rec *Recorder) streetOf(ctx context.Context, cid string) (string, error) {
	if s, ok := rec.streets.Load(cid); ok {
		return s.(string), nil
	}
	s, err := rec.Streets.StreetOf(ctx, cid)
	if err != nil {
		return "", err
	}
	rec.streets.Store(cid, s)
	return s, nil
}

// dayRE is compiled on first use, not at cold start.
var dayRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
})

// MaxPage is the most entries a page of the log holds: about 400 bytes
// each, far inside a Lambda's answer.
const MaxPage = 500

// Day is a page of a street's log of a Beijing day (today by default), for
// its admins, oldest first; the cursor of the next page is "" at the end.
func (rec *Recorder) Day(ctx context.Context, p auth.Principal, streetID, day, cursor string, limit int) ([]Entry, string, error) {
	if err := auth.RequireStreet(p, streetID); err != nil {
		return nil, "", err
	}
	if day == "" {
		day = chinatime.In(rec.Now()).Format(time.DateOnly)
	}
	if !dayRE().MatchString(day) {
		return nil, "", apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
	}
	if limit < 1 || limit > MaxPage {
		return nil, "", apperr.Validation.WithFields(apperr.FieldError{Field: "limit", Reason: fmt.Sprintf("from %d to %d", 1, MaxPage)})
	}
	out, next, err := rec.Store.AuditPage(ctx, streetID, day, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	// Entries written before they kept nanoseconds tie within a second.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, next, rec.name(ctx, out)
}

// VolunteerNames reads volunteers' names by id.
type VolunteerNames interface {
	VolunteerNames(ctx context.Context, ids []string) (map[string]string, error)
}

// name fills in the names of the volunteers who acted: read when the log
// is read, not at each field action (thousands a round, read by few).
func (rec *Recorder) name(ctx context.Context, entries []Entry) error {
	if rec.Volunteers == nil {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range entries {
		if slices.Contains(e.Roles, string(manifest.RoleVolunteer)) && !seen[e.UserID] {
			seen[e.UserID] = true
			ids = append(ids, e.UserID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names, err := rec.Volunteers.VolunteerNames(ctx, ids)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if n, ok := names[e.UserID]; ok && slices.Contains(e.Roles, string(manifest.RoleVolunteer)) {
			entries[i].Name = n
		}
	}
	return nil
}

// Handlers serves the log to the street's admins.
func (rec *Recorder) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"streetAudit": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			p := auth.Caller(r)
			street, err := httpapi.PathID(r, "streetId")
			if err != nil {
				return nil, err
			}
			q := r.URL.Query()
			day, err := httpapi.OptionalQuery(r, "day", "YYYY-MM-DD")
			if err != nil {
				return nil, err
			}
			limit := 200
			if q.Has("limit") {
				n, err := strconv.Atoi(q.Get("limit"))
				if err != nil {
					return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "limit", Reason: fmt.Sprintf("from %d to %d", 1, MaxPage)})
				}
				limit = n
			}
			entries, next, err := rec.Day(r.Context(), p, street, day, q.Get("cursor"), limit)
			return map[string]any{"entries": entries, "cursor": next}, err
		}),
	}
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
