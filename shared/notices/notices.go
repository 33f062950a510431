// Package notices runs lockdown zones and the notices that reach residents:
// staff seal, control or release buildings (with history); notices go to
// everyone, to zones or to buildings, by app feed and by SMS; households
// acknowledge; staff see delivery and who has not acknowledged.
package notices

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Notice is a message from the community's staff.
type Notice struct {
	ID          string   `json:"id"`
	CommunityID string   `json:"communityId"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	Urgent      bool     `json:"urgent"`
	Channels    []string `json:"channels"`
	BuildingIDs []string `json:"buildingIds"`
	// HouseholdIDs are households reached beyond whole buildings: those of
	// a zone audience whose building is zoned unit by unit or door by door.
	HouseholdIDs []string  `json:"householdIds,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	CreatedBy    string    `json:"createdBy"`
	// Drill is the drill run that sent it (演练); its SMS went to the
	// drill's outbox, and residents see it only if they opted into drills.
	Drill string `json:"drill,omitempty"`
}

// Reaches says whether the notice is for household hid.
func (n Notice) Reaches(hid string) bool {
	return slices.Contains(n.BuildingIDs, registry.BuildingOf(hid)) || slices.Contains(n.HouseholdIDs, hid)
}

// Delivery counts of a notice's SMS, phone by phone: queued for sending;
// sent (the provider took it); delivered (of those sent, the carrier's
// receipt says it reached the phone); failed (it did not reach the phone:
// refused, out of retries, or reported undelivered, which takes it off
// sent); skipped (the phone opted out). Acknowledged counts households.
type Delivery struct {
	Queued       int `json:"queued"`
	Sent         int `json:"sent"`
	Delivered    int `json:"delivered"`
	Failed       int `json:"failed"`
	Skipped      int `json:"skipped"`
	Acknowledged int `json:"acknowledged"`
}

// Store is what notices need of storage.
type Store interface {
	SetZones(ctx context.Context, communityID string, zones []Zone) error
	Zones(ctx context.Context, communityID string) ([]Zone, error)
	// CreateNotice writes a notice with the messages it leaves pending
	// (its fan-out), in one transaction.
	CreateNotice(ctx context.Context, n Notice, pending *dispatch.Pending) error
	Notice(ctx context.Context, id string) (Notice, Delivery, error) // ErrNotFound
	Feed(ctx context.Context, communityID string, limit int) ([]Notice, error)
	Acknowledged(ctx context.Context, noticeID string, householdIDs []string) (map[string]bool, error)
	Acknowledge(ctx context.Context, noticeID, householdID string, at time.Time) (bool, error)
	AllAcknowledged(ctx context.Context, noticeID string) (map[string]bool, error)
	CountQueued(ctx context.Context, noticeID string, n int) error
	// ClaimSend marks phone as being sent notice, once: false when it was
	// claimed before (a message delivered twice).
	ClaimSend(ctx context.Context, noticeID, phone string) (bool, error)
	// FinishSend records how a claimed send ended ("sent" with the
	// provider's message id, "skipped", "failed", or "retry" to give the
	// claim back) and counts it.
	FinishSend(ctx context.Context, noticeID, phone, outcome, providerID string) error
	OptedOut(ctx context.Context, phone string) (bool, error)
	// OptedOutAmong says which of phones opted out, in one batch.
	OptedOutAmong(ctx context.Context, phones []string) (map[string]bool, error)
}

// Directory is what notices read of the registry.
type Directory interface {
	auth.StreetResolver
	Buildings(ctx context.Context, communityID, cursor string, limit int) ([]registry.Building, string, error)
	BuildingResidents(ctx context.Context, buildingID string) ([]registry.Resident, error)
	BuildingHouseholds(ctx context.Context, buildingID string) ([]registry.Household, error)
	Household(ctx context.Context, householdID string) (registry.Household, []registry.Resident, error)
}

// Errors of notices.
var (
	ErrNoticeNotFound = apperr.New(apperr.KindNotFound, "NOTICE_NOT_FOUND", "通知不存在", "No such notice")
	ErrNotFound       = apperr.New(apperr.KindNotFound, "NOT_FOUND", "资源不存在", "Not found")
)

// Service runs zones and notices.
type Service struct {
	Store     Store
	Readings  TemperatureStore
	Directory Directory
	Queue     dispatch.Queue
	// Outbox sends what a change left pending (a notice's fan-out, a fever
	// alert).
	Outbox *dispatch.Outbox
	Now    func() time.Time
	// Signature is the 【signature】 the SMS go out with, for previews.
	Signature string
	// Drills keeps who opted into drills; nil shows drills to nobody.
	Drills DrillOptIns
	// Rounds adds what testing rounds tell a building (its window, its
	// call-downs) to its residents' feed.
	Rounds RoundFeed
	// Watches takes the readings of people under watch as their checks.
	Watches Watches
	// Doors reads the readings staff took at watched doors: the day's
	// list counts them as reported, and their fevers with the others.
	Doors Doors
}

// Doors reads a day's readings staff took at the doors of people under
// watch (watch checks), as readings.
type Doors interface {
	DoorReadings(ctx context.Context, cid, day string) ([]Reading, error)
}

// RoundFeed is what testing rounds tell a building's households in the app
// (booking.Service, adapted): items never acknowledged, newest first.
type RoundFeed interface {
	FeedFor(ctx context.Context, communityID, householdID string) ([]FeedItem, error)
}

// Kinds of feed item: a notice staff sent, a round's window for the
// building, a call of the building down to a site, a trace's word to the
// household (stay in place for single samples; released).
const (
	KindNotice      = "notice"
	KindRoundWindow = "round_window"
	KindCallDown    = "call_down"
	KindTrace       = "trace"
)

// DrillOptIns keeps the residents who take part in drills: only they see a
// drill's notices in the app.
type DrillOptIns interface {
	DrillOptIn(ctx context.Context, residentID string) (bool, error)
	SetDrillOptIn(ctx context.Context, residentID string, in bool) error
}

// DrillOptInInput is whether a resident takes part in drills (演练): sees
// drills' notices and rounds in the app.
type DrillOptInInput struct {
	OptIn *bool `json:"optIn"`
}

// SetDrillOptIn records whether the caller sees drills' notices.
func (s *Service) SetDrillOptIn(ctx context.Context, p auth.Principal, in bool) error {
	return s.Drills.SetDrillOptIn(ctx, p.UserID, in)
}

// seesDrills says whether a resident opted into drills.
func (s *Service) seesDrills(ctx context.Context, p auth.Principal) (bool, error) {
	return s.Drills.DrillOptIn(ctx, p.UserID)
}

func (s *Service) buildings(ctx context.Context, cid string) (map[string]registry.Building, error) {
	out := map[string]registry.Building{}
	cursor := ""
	for {
		page, next, err := s.Directory.Buildings(ctx, cid, cursor, 200)
		if err != nil {
			return nil, err
		}
		for _, b := range page {
			out[b.ID] = b
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// Audience says who a notice is for: exactly one of the three.
type Audience struct {
	All         bool     `json:"all"`
	BuildingIDs []string `json:"buildingIds"`
	ZoneLevels  []string `json:"zoneLevels"`
}

// NoticeInput is the body that creates a notice.
type NoticeInput struct {
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Audience Audience `json:"audience"`
	Channels []string `json:"channels"`
	Urgent   bool     `json:"urgent"`
}

// plan is a checked notice input: its text, channels and target buildings.
type plan struct {
	in      NoticeInput
	targets []string
	// households are reached one by one, beyond targets' whole buildings.
	households []string
	sms        sms.Message // zero without the SMS channel
}

// check validates a notice input and resolves its audience to buildings.
func (s *Service) check(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (plan, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return plan{}, err
	}
	var fields []apperr.FieldError
	var problem safetext.Problem
	in.Title, problem = safetext.Line(in.Title, 40, true)
	titleOK := problem == ""
	if !titleOK {
		fields = append(fields, apperr.FieldError{Field: "title", Reason: string(problem)})
	}
	if in.Body, problem = safetext.Text(in.Body, 500, true); problem != "" {
		fields = append(fields, apperr.FieldError{Field: "body", Reason: string(problem)})
	}
	if len(in.Channels) == 0 {
		fields = append(fields, apperr.FieldError{Field: "channels", Reason: `at least one of "app", "sms"`})
	}
	for _, c := range in.Channels {
		if c != "app" && c != "sms" {
			fields = append(fields, apperr.FieldError{Field: "channels", Reason: `only "app" and "sms"`})
		}
	}
	var msg sms.Message
	if slices.Contains(in.Channels, "sms") && titleOK {
		// The title is the SMS's one variable: what a carrier would refuse
		// is refused here, not at 3 a.m. in the dispatcher.
		m, err := sms.Notice(in.Title, in.Urgent)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: "title", Reason: "not sendable by SMS: no links, phone numbers, brackets or symbols such as ¥ ★ & ※"})
		}
		msg = m
	}
	a := in.Audience
	chosen := 0
	for _, set := range []bool{a.All, len(a.BuildingIDs) > 0, len(a.ZoneLevels) > 0} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		fields = append(fields, apperr.FieldError{Field: "audience", Reason: `exactly one of {"all":true}, {"buildingIds":[…]}, {"zoneLevels":[…]}`})
	}
	if len(fields) > 0 {
		return plan{}, apperr.Validation.WithFields(fields...)
	}
	known, err := s.buildings(ctx, cid)
	if err != nil {
		return plan{}, err
	}
	var targets, households []string
	switch {
	case a.All:
		for id := range known {
			targets = append(targets, id)
		}
	case len(a.BuildingIDs) > 0:
		for _, id := range registry.Distinct(a.BuildingIDs) {
			if _, ok := known[id]; !ok {
				return plan{}, apperr.Validation.WithFields(apperr.FieldError{Field: "audience.buildingIds", Reason: "no building " + id + " in this community"})
			}
			targets = append(targets, id)
		}
	default:
		for _, l := range a.ZoneLevels {
			if !slices.Contains(levels[:3], l) {
				return plan{}, apperr.Validation.WithFields(apperr.FieldError{Field: "audience.zoneLevels", Reason: "sealed, controlled or precaution"})
			}
		}
		if targets, households, err = s.inLevels(ctx, cid, a.ZoneLevels); err != nil {
			return plan{}, err
		}
	}
	slices.Sort(targets)
	if targets == nil {
		targets = []string{}
	}
	return plan{in: in, targets: targets, households: households, sms: msg}, nil
}

// Create records a notice and, for SMS, queues its fan-out; it answers at
// once, the dispatch function resolves and texts the recipients.
func (s *Service) Create(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (Notice, error) {
	pl, err := s.check(ctx, p, cid, in)
	if err != nil {
		return Notice{}, err
	}
	in = pl.in
	n := Notice{ID: "n" + randomID(12), CommunityID: cid, Title: in.Title, Body: in.Body, Urgent: in.Urgent,
		Channels: registry.Distinct(in.Channels), BuildingIDs: pl.targets, HouseholdIDs: pl.households, CreatedAt: chinatime.In(s.Now()), CreatedBy: p.UserID, Drill: drill.RunOf(ctx)}
	// The fan-out is written with the notice: a queue that fails now
	// delays it to the sweep, it never loses it.
	var fanout *dispatch.Pending
	if !pl.sms.IsZero() && len(pl.targets)+len(pl.households) > 0 {
		fanout = dispatch.NewPending(n.CreatedAt, dispatch.Message{Kind: dispatch.KindFanout, NoticeID: n.ID, Drill: n.Drill})
	}
	if err := s.Store.CreateNotice(ctx, n, fanout); err != nil {
		return Notice{}, err
	}
	s.Outbox.Flush(ctx, fanout)
	metrics.Count(metrics.Notices, 1)
	return n, nil
}

// Preview is what a notice would reach and cost, before staff send it.
type Preview struct {
	Buildings  int `json:"buildings"`
	Households int `json:"households"`
	// Phones are the distinct phones of the audience that take SMS: each
	// gets one; OptedOut are those that replied TD and get none.
	Phones   int         `json:"phones"`
	OptedOut int         `json:"optedOut"`
	SMS      *SMSPreview `json:"sms"`
}

// SMSPreview is the exact SMS and its cost.
type SMSPreview struct {
	Template   string `json:"template"`
	Text       string `json:"text"`
	Characters int    `json:"characters"`
	// Parts is what one phone's message takes (70 Chinese characters fit
	// one part); TotalParts is what the audience costs, as providers bill.
	Parts      int `json:"parts"`
	TotalParts int `json:"totalParts"`
}

// Preview checks a notice as Create would and says whom it reaches and, by
// SMS, the exact text, its parts and the parts for the whole audience.
// Nothing is recorded or sent.
func (s *Service) Preview(ctx context.Context, p auth.Principal, cid string, in NoticeInput) (Preview, error) {
	pl, err := s.check(ctx, p, cid, in)
	if err != nil {
		return Preview{}, err
	}
	phones, households, err := s.audience(ctx, pl.targets, pl.households)
	if err != nil {
		return Preview{}, err
	}
	out := Preview{Buildings: len(pl.targets), Households: households, Phones: len(phones)}
	if !pl.sms.IsZero() && len(phones) > 0 {
		out.OptedOut, err = s.optedOut(ctx, phones)
		if err != nil {
			return Preview{}, err
		}
		out.Phones -= out.OptedOut
	}
	if !pl.sms.IsZero() {
		text := pl.sms.Render(s.Signature)
		parts := pl.sms.Parts(s.Signature)
		out.SMS = &SMSPreview{Template: pl.sms.Template().Name, Text: text, Characters: utf8.RuneCountInString(text),
			Parts: parts, TotalParts: parts * out.Phones}
	}
	return out, nil
}

// optedOut counts the phones that opted out (batch reads).
func (s *Service) optedOut(ctx context.Context, phones []string) (int, error) {
	out, err := s.Store.OptedOutAmong(ctx, phones)
	return len(out), err
}

// audience lists the distinct phones and counts the households of
// buildings and single households, reading a few at a time.
func (s *Service) audience(ctx context.Context, buildingIDs, householdIDs []string) (phones []string, households int, err error) {
	var (
		mu     sync.Mutex
		seen   = map[string]bool{}
		homes  = map[string]bool{}
		wg     sync.WaitGroup
		errs   []error
		tokens = make(chan struct{}, 8)
	)
	for _, id := range slices.Concat(buildingIDs, householdIDs) {
		wg.Add(1)
		tokens <- struct{}{}
		go func() {
			defer func() { <-tokens; wg.Done() }()
			rs, err := s.residentsOf(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, r := range rs {
				homes[r.HouseholdID] = true
				if r.Phone != "" {
					seen[r.Phone] = true
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	for p := range seen {
		phones = append(phones, p)
	}
	slices.Sort(phones)
	return phones, len(homes), nil
}

// List is the community's latest notices, for staff.
func (s *Service) List(ctx context.Context, p auth.Principal, cid string) ([]Notice, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	ns, err := s.Store.Feed(ctx, cid, 50)
	if ns == nil {
		ns = []Notice{}
	}
	return ns, err
}

// FeedItem is a notice as a resident sees it, or what a round tells them.
type FeedItem struct {
	Notice
	// Kind is notice, round_window or call_down: only notices are
	// acknowledged.
	Kind         string `json:"kind"`
	Acknowledged bool   `json:"acknowledged"`
}

// Feed lists the notices for the caller's building, newest first.
func (s *Service) Feed(ctx context.Context, p auth.Principal) ([]FeedItem, error) {
	all, err := s.Store.Feed(ctx, p.ResidentCommunityID, 100)
	if err != nil {
		return nil, err
	}
	var mine []Notice
	drills, asked := false, false
	for _, n := range all {
		if !n.Reaches(p.HouseholdID) || !slices.Contains(n.Channels, "app") {
			continue
		}
		if n.Drill != "" && !asked {
			if drills, err = s.seesDrills(ctx, p); err != nil {
				return nil, err
			}
			asked = true
		}
		if n.Drill == "" || drills {
			mine = append(mine, n)
		}
	}
	out := []FeedItem{}
	for _, n := range mine {
		acked, err := s.Store.Acknowledged(ctx, n.ID, []string{p.HouseholdID})
		if err != nil {
			return nil, err
		}
		out = append(out, FeedItem{Notice: n, Kind: KindNotice, Acknowledged: acked[p.HouseholdID]})
	}
	if s.Rounds == nil {
		return out, nil
	}
	rounds, err := s.Rounds.FeedFor(ctx, p.ResidentCommunityID, p.HouseholdID)
	if err != nil {
		return nil, err
	}
	for _, it := range rounds {
		if it.Drill != "" && !asked {
			if drills, err = s.seesDrills(ctx, p); err != nil {
				return nil, err
			}
			asked = true
		}
		if it.Drill == "" || drills {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// Acknowledge records the caller's household's acknowledgement, once.
func (s *Service) Acknowledge(ctx context.Context, p auth.Principal, noticeID string) (bool, error) {
	n, _, err := s.notice(ctx, noticeID)
	if err != nil {
		return false, err
	}
	// Only what the feed shows is acknowledged: an SMS-only notice is not.
	if n.CommunityID != p.ResidentCommunityID || !n.Reaches(p.HouseholdID) || !slices.Contains(n.Channels, "app") {
		return false, ErrNoticeNotFound
	}
	if n.Drill != "" {
		if sees, err := s.seesDrills(ctx, p); err != nil || !sees {
			return false, errors.Join(err, ErrNoticeNotFound)
		}
	}
	return s.Store.Acknowledge(ctx, noticeID, p.HouseholdID, s.Now().Truncate(time.Second))
}

func (s *Service) notice(ctx context.Context, id string) (Notice, Delivery, error) {
	if !registry.ValidID(id) {
		return Notice{}, Delivery{}, ErrNoticeNotFound
	}
	n, d, err := s.Store.Notice(ctx, id)
	if err == ErrNotFound {
		return Notice{}, Delivery{}, ErrNoticeNotFound
	}
	return n, d, err
}

// Unacknowledged is a household to knock on.
type Unacknowledged struct {
	HouseholdID  string `json:"householdId"`
	Building     string `json:"building"`
	Unit         string `json:"unit"`
	Room         string `json:"room"`
	ContactPhone string `json:"contactPhone,omitempty"`
}

// DeliveryReport is the staff's view of a notice.
type DeliveryReport struct {
	Delivery
	Households     int              `json:"households"`
	Unacknowledged []Unacknowledged `json:"unacknowledged"`
}

// Delivery reports counts and the households that have not acknowledged,
// building by building: the door-knock list.
func (s *Service) Delivery(ctx context.Context, p auth.Principal, noticeID string) (DeliveryReport, error) {
	n, d, err := s.notice(ctx, noticeID)
	if err != nil {
		return DeliveryReport{}, err
	}
	if err := auth.RequireCommunity(ctx, p, n.CommunityID, s.Directory); err != nil {
		return DeliveryReport{}, err
	}
	acked, err := s.Store.AllAcknowledged(ctx, noticeID)
	if err != nil {
		return DeliveryReport{}, err
	}
	rep := DeliveryReport{Delivery: d, Unacknowledged: []Unacknowledged{}}
	add := func(hs ...registry.Household) {
		for _, h := range hs {
			rep.Households++
			if !acked[h.ID] {
				rep.Unacknowledged = append(rep.Unacknowledged, Unacknowledged{HouseholdID: h.ID, Building: h.BuildingName, Unit: h.Unit, Room: h.Room, ContactPhone: h.ContactPhone})
			}
		}
	}
	for _, bid := range n.BuildingIDs {
		hs, err := s.Directory.BuildingHouseholds(ctx, bid)
		if err != nil {
			return DeliveryReport{}, err
		}
		add(hs...)
	}
	for _, hid := range n.HouseholdIDs {
		h, _, err := s.Directory.Household(ctx, hid)
		if errors.Is(err, registry.ErrNotFound) {
			continue // moved out of the register since
		}
		if err != nil {
			return DeliveryReport{}, err
		}
		add(h)
	}
	return rep, nil
}

func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
