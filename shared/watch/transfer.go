package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Statuses of a person in a transfer (转运): forward only; exempted (with
// a reason) from any but arrived.
const (
	TransferNotified = "notified"
	TransferReady    = "ready"
	TransferBoarded  = "boarded"
	TransferArrived  = "arrived"
	TransferExempted = "exempted"
)

var transferOrder = []string{TransferNotified, TransferReady, TransferBoarded, TransferArrived}

// Legs of a transfer: to central quarantine, and the return trip.
const (
	LegOut  = "out"
	LegBack = "back"
)

// Kinds of dependants left behind.
var DependantKinds = []string{"elderly", "child", "pet", "other"}

var dependantWords = map[string]string{"elderly": "老人", "child": "儿童", "pet": "宠物", "other": "其他"}

// MaxTransferPeople bounds a batch: a bus.
const MaxTransferPeople = 50

// Transfer is one batch of people taken to central quarantine (or back).
type Transfer struct {
	ID          string       `json:"id"`
	CommunityID string       `json:"communityId"`
	Leg         string       `json:"leg"`
	ReturnOf    string       `json:"returnOf,omitempty"`
	Pickup      string       `json:"pickup"`
	At          time.Time    `json:"at"`
	Destination string       `json:"destination"`
	People      []Transferee `json:"people"`
	LeftBehind  []Dependant  `json:"leftBehind"`
	CreatedAt   time.Time    `json:"createdAt"`
	CreatedBy   string       `json:"createdBy"`
}

// Transferee is one person of a batch and where they are in it.
type Transferee struct {
	ResidentID  string     `json:"residentId"`
	Name        string     `json:"name"`
	HouseholdID string     `json:"householdId"`
	Door        string     `json:"door"`
	Phone       string     `json:"phone,omitempty"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	At          *time.Time `json:"at,omitempty"`
	By          string     `json:"by,omitempty"`
}

// Dependant is someone (or a pet) a transfer leaves at home without its
// carer: a help request of the community's, with its deadline.
type Dependant struct {
	Kind        string `json:"kind"`
	ResidentID  string `json:"residentId,omitempty"`
	Name        string `json:"name,omitempty"`
	HouseholdID string `json:"householdId"`
	Door        string `json:"door"`
	Note        string `json:"note,omitempty"`
	// HelpID is the help request raised for it ("" until it is: the
	// minute's job raises what the batch's own call could not).
	HelpID string `json:"helpId,omitempty"`
}

// Open says people of the batch are still on their way.
func (t Transfer) Open() bool {
	return slices.ContainsFunc(t.People, func(p Transferee) bool { return !terminal(p.Status) })
}

func terminal(status string) bool { return status == TransferArrived || status == TransferExempted }

// pendingCare says a dependant has no help request yet.
func (t Transfer) pendingCare() bool {
	return slices.ContainsFunc(t.LeftBehind, func(d Dependant) bool { return d.HelpID == "" })
}

// TransferInput creates a batch.
type TransferInput struct {
	ResidentIDs []string         `json:"residentIds"`
	Pickup      string           `json:"pickup"`
	At          string           `json:"at"`
	Destination string           `json:"destination"`
	LeftBehind  []DependantInput `json:"leftBehind"`
}

// DependantInput names one left behind: a resident of the register, or a
// household (a pet).
type DependantInput struct {
	Kind        string `json:"kind"`
	ResidentID  string `json:"residentId"`
	HouseholdID string `json:"householdId"`
	Note        string `json:"note"`
}

// TransferStore keeps transfers.
type TransferStore interface {
	// CreateTransfer writes a batch with a lock on each person (none in
	// another open batch: ErrInTransfer names them) and its texts.
	CreateTransfer(ctx context.Context, t Transfer, pending *dispatch.Pending) error
	// SetTransferee writes person i of a batch over prev (ErrTransferChanged
	// when it is not prev any more), freeing their lock when free is set.
	SetTransferee(ctx context.Context, cid, id string, i int, prev, next Transferee, free bool) error
	// RecordCare records dependant i's help request where it has none;
	// false when it had one. last says it is the batch's last.
	RecordCare(ctx context.Context, cid, id string, i int, helpID string, last bool) (bool, error)
	Transfer(ctx context.Context, cid, id string) (Transfer, error)
	Transfers(ctx context.Context, cid string) ([]Transfer, error)
	// CareDue are batches created before a time with a dependant still
	// without a help request.
	CareDue(ctx context.Context, before time.Time) ([]Transfer, error)
}

// Carers raise help requests for dependants left behind.
type Carers interface {
	// Raise makes a help request for a resident; its id.
	Raise(ctx context.Context, p auth.Principal, residentID, note string) (string, error)
}

// Errors of transfers.
var (
	ErrInTransfer       = apperr.New(apperr.KindConflict, "ALREADY_IN_TRANSFER", "此人已在另一批转运中", "The person is in another open transfer")
	ErrTransferNotFound = apperr.New(apperr.KindNotFound, "TRANSFER_NOT_FOUND", "没有这批转运", "No such transfer")
	ErrTransferChanged  = apperr.New(apperr.KindConflict, "TRANSFER_CHANGED", "这批转运刚被修改，请刷新后重试", "The transfer changed meanwhile: read it again")
	ErrTransferStep     = apperr.New(apperr.KindConflict, "TRANSFER_STATUS_BACKWARDS", "转运状态只能向前推进", "A transfer status only moves forward")
	ErrNotInTransfer    = apperr.New(apperr.KindNotFound, "NOT_IN_TRANSFER", "此人不在这批转运中", "The person is not in this transfer")
	ErrNoneArrived      = apperr.New(apperr.KindConflict, "NONE_ARRIVED", "这批转运没有已送达的人员，无法安排返程", "Nobody of the transfer arrived: no return trip")
)

// CreateTransfer makes a batch: each person told the time, place and what
// to bring, in the batch's own write; each dependant left behind a help
// request.
func (s *Service) CreateTransfer(ctx context.Context, p auth.Principal, cid string, in TransferInput) (Transfer, error) {
	return s.createTransfer(ctx, p, cid, in, LegOut, "")
}

func (s *Service) createTransfer(ctx context.Context, p auth.Principal, cid string, in TransferInput, leg, returnOf string) (Transfer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Transfer{}, err
	}
	now := s.Now()
	var fields []apperr.FieldError
	pickup, prob := safetext.Line(in.Pickup, 32, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "pickup", Reason: string(prob)})
	}
	dest, prob := safetext.Line(in.Destination, 32, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "destination", Reason: string(prob)})
	}
	at, err := time.Parse(time.RFC3339, in.At)
	if err != nil || at.Before(now.Add(-time.Hour)) || at.After(now.Add(7*24*time.Hour)) {
		fields = append(fields, apperr.FieldError{Field: "at", Reason: "a time from an hour ago to 7 days ahead (RFC 3339)"})
	}
	ids := registry.Distinct(in.ResidentIDs)
	if len(ids) == 0 || len(ids) > MaxTransferPeople || len(ids) != len(in.ResidentIDs) {
		fields = append(fields, apperr.FieldError{Field: "residentIds", Reason: fmt.Sprintf("1 to %d people, each once", MaxTransferPeople)})
	}
	if len(in.LeftBehind) > MaxTransferPeople {
		fields = append(fields, apperr.FieldError{Field: "leftBehind", Reason: fmt.Sprintf("at most %d", MaxTransferPeople)})
	}
	if len(fields) > 0 {
		return Transfer{}, apperr.Validation.WithFields(fields...)
	}
	t := Transfer{ID: registry.NewID("t"), CommunityID: cid, Leg: leg, ReturnOf: returnOf, Pickup: pickup, At: at, Destination: dest,
		CreatedAt: now, CreatedBy: p.UserID, LeftBehind: []Dependant{}}
	homes := map[string][]registry.Resident{}
	doors := map[string]registry.Household{}
	for _, rid := range ids {
		if !registry.ValidID(rid) {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of this community"})
		}
		hid := registry.HouseholdOf(rid)
		if _, ok := homes[hid]; !ok {
			h, members, err := s.Store.Household(ctx, hid)
			if errors.Is(err, registry.ErrNotFound) || (err == nil && h.CommunityID != cid) {
				return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of this community"})
			}
			if err != nil {
				return Transfer{}, err
			}
			homes[hid], doors[hid] = members, h
		}
		i := slices.IndexFunc(homes[hid], func(m registry.Resident) bool { return m.ID == rid })
		if i < 0 {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of this community"})
		}
		m := homes[hid][i]
		phone := m.Phone
		if phone == "" {
			phone = doors[hid].ContactPhone
		}
		t.People = append(t.People, Transferee{ResidentID: rid, Name: m.Name, HouseholdID: hid, Door: doors[hid].Address(), Phone: phone, Status: TransferNotified})
	}
	for i, d := range in.LeftBehind {
		field := fmt.Sprintf("leftBehind[%d]", i)
		note, prob := safetext.Line(d.Note, 64, false)
		if prob != "" {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: field + ".note", Reason: string(prob)})
		}
		if !slices.Contains(DependantKinds, d.Kind) {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: field + ".kind", Reason: "one of elderly, child, pet, other"})
		}
		if (d.ResidentID == "") == (d.HouseholdID == "") {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: field, Reason: "give one of them"})
		}
		hid := d.HouseholdID
		if d.ResidentID != "" {
			hid = registry.HouseholdOf(d.ResidentID)
		}
		members, ok := homes[hid]
		if !ok {
			return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: field, Reason: "a household of a person transferred"})
		}
		dep := Dependant{Kind: d.Kind, HouseholdID: hid, Door: doors[hid].Address(), Note: note}
		if d.ResidentID != "" {
			j := slices.IndexFunc(members, func(m registry.Resident) bool { return m.ID == d.ResidentID })
			if j < 0 || slices.Contains(ids, d.ResidentID) {
				return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: field + ".residentId", Reason: "a member of the household who stays"})
			}
			dep.ResidentID, dep.Name = d.ResidentID, members[j].Name
		}
		t.LeftBehind = append(t.LeftBehind, dep)
	}
	texts, err := transferTexts(t)
	if err != nil {
		return Transfer{}, err
	}
	pending := dispatch.PendingTexts(ctx, now, cid, texts)
	if err := s.Transfers.CreateTransfer(ctx, t, pending); err != nil {
		return Transfer{}, err
	}
	s.Outbox.Flush(ctx, pending)
	audit.Changed(ctx, "transfer", nil, map[string]any{"transfer": t.ID, "people": len(t.People), "leftBehind": len(t.LeftBehind)})
	// Each dependant a help request now; what fails here the minute's
	// job raises.
	if t.pendingCare() {
		t, _, _ = s.raiseCare(ctx, p, t)
	}
	return t.shown(), nil
}

// transferTexts tell each person of a batch (their phone, or their
// household's) the time, place and what to bring, once a phone and leg.
func transferTexts(t Transfer) ([]dispatch.Text, error) {
	var out []dispatch.Text
	var seen []string
	for _, p := range t.People {
		if p.Phone == "" || slices.Contains(seen, p.Phone+p.Name) {
			continue
		}
		seen = append(seen, p.Phone+p.Name)
		msg, err := sms.TransferNotice(p.Name, t.At, t.Pickup, t.Destination)
		if err != nil {
			return nil, err
		}
		out = append(out, dispatch.TextOf("transfer:"+t.ID+":"+p.ResidentID, p.Phone, msg))
	}
	return out, nil
}

// raiseCare raises a help request for each household with dependants
// without one (a household has one request open of a kind: its
// dependants share it) and records it on the batch: a request recorded
// already is not raised again.
func (s *Service) raiseCare(ctx context.Context, p auth.Principal, t Transfer) (Transfer, int, error) {
	next := t
	next.LeftBehind = slices.Clone(t.LeftBehind)
	n := 0
	for i, d := range next.LeftBehind {
		if d.HelpID != "" {
			continue
		}
		var who string
		var needs []string
		for _, o := range next.LeftBehind {
			if o.HouseholdID != d.HouseholdID || o.HelpID != "" {
				continue
			}
			need := dependantWords[o.Kind]
			if o.Name != "" {
				need += o.Name
			}
			if o.Note != "" {
				need += "（" + o.Note + "）"
			}
			needs = append(needs, need)
			if who == "" {
				who = o.ResidentID
			}
		}
		if who == "" {
			// Only a pet: the request is the household's, through its
			// first person taken.
			for _, x := range t.People {
				if x.HouseholdID == d.HouseholdID {
					who = x.ResidentID
					break
				}
			}
		}
		id, err := s.Carers.Raise(ctx, p, who, "转运后留守需照料："+strings.Join(needs, "、"))
		if err != nil {
			return next, n, err
		}
		for j := i; j < len(next.LeftBehind); j++ {
			if next.LeftBehind[j].HouseholdID != d.HouseholdID || next.LeftBehind[j].HelpID != "" {
				continue
			}
			next.LeftBehind[j].HelpID = id
			if _, err := s.Transfers.RecordCare(ctx, t.CommunityID, t.ID, j, id, !next.pendingCare()); err != nil {
				return next, n, err
			}
			n++
		}
	}
	return next, n, nil
}

// RaiseCare raises the help requests batches could not at their creation
// (the minute's job); a run twice raises none twice.
func (s *Service) RaiseCare(ctx context.Context) (int, error) {
	// A minute's grace: a batch being created raises its own.
	due, err := s.Transfers.CareDue(ctx, s.Now().Add(-time.Minute))
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, t := range due {
		staff := auth.Principal{UserID: t.CreatedBy, Role: manifest.RoleStaff, CommunityID: t.CommunityID}.Normalized()
		_, raised, err := s.raiseCare(ctx, staff, t)
		n += raised
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// StatusChange moves one person of a batch on.
type StatusChange struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// SetStatus moves a person of a batch forward (notified → ready →
// boarded → arrived), or exempts them with a reason.
func (s *Service) SetStatus(ctx context.Context, p auth.Principal, cid, id, rid string, in StatusChange) (Transfer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Transfer{}, err
	}
	if !slices.Contains(transferOrder, in.Status) && in.Status != TransferExempted {
		return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of ready, boarded, arrived, exempted"})
	}
	reason, prob := safetext.Line(in.Reason, 64, false)
	if prob != "" {
		return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: string(prob)})
	}
	if in.Status == TransferExempted && reason == "" {
		return Transfer{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: "required with status exempted"})
	}
	t, err := s.Transfers.Transfer(ctx, cid, id)
	if err != nil {
		return Transfer{}, err
	}
	i := slices.IndexFunc(t.People, func(x Transferee) bool { return x.ResidentID == rid })
	if i < 0 {
		return Transfer{}, ErrNotInTransfer
	}
	cur := t.People[i]
	if cur.Status == in.Status && cur.Reason == reason {
		return t.shown(), nil // the same step again changes nothing
	}
	if terminal(cur.Status) || (in.Status != TransferExempted && slices.Index(transferOrder, in.Status) < slices.Index(transferOrder, cur.Status)) {
		return Transfer{}, ErrTransferStep.WithFields(apperr.FieldError{Field: "status", Reason: "now " + cur.Status})
	}
	now := chinatime.In(s.Now())
	next := t
	next.People = slices.Clone(t.People)
	next.People[i].Status, next.People[i].Reason, next.People[i].At, next.People[i].By = in.Status, reason, &now, p.UserID
	if err := s.Transfers.SetTransferee(ctx, cid, id, i, cur, next.People[i], terminal(in.Status)); err != nil {
		return Transfer{}, err
	}
	audit.Changed(ctx, "transfer", map[string]any{"status": cur.Status}, map[string]any{"transfer": t.ID, "resident": rid, "status": in.Status})
	return next.shown(), nil
}

// ReturnInput schedules the return trip of a batch.
type ReturnInput struct {
	At          string `json:"at"`
	Pickup      string `json:"pickup"`
	Destination string `json:"destination"`
}

// Return makes the return trip of a batch: its people who arrived, picked
// up (by default) where they were taken, told again.
func (s *Service) Return(ctx context.Context, p auth.Principal, cid, id string, in ReturnInput) (Transfer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Transfer{}, err
	}
	t, err := s.Transfers.Transfer(ctx, cid, id)
	if err != nil {
		return Transfer{}, err
	}
	var ids []string
	for _, x := range t.People {
		if x.Status == TransferArrived {
			ids = append(ids, x.ResidentID)
		}
	}
	if t.Leg != LegOut || len(ids) == 0 {
		return Transfer{}, ErrNoneArrived
	}
	if in.Pickup == "" {
		in.Pickup = t.Destination
	}
	if in.Destination == "" {
		in.Destination = "原住址"
	}
	return s.createTransfer(ctx, p, cid, TransferInput{ResidentIDs: ids, Pickup: in.Pickup, At: in.At, Destination: in.Destination}, LegBack, t.ID)
}

// Transfers lists a community's batches, newest first.
func (s *Service) TransferList(ctx context.Context, p auth.Principal, cid string) ([]Transfer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	all, err := s.Transfers.Transfers(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := make([]Transfer, 0, len(all))
	for _, t := range all {
		out = append(out, t.shown())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	audit.Counted(ctx, len(out))
	return out, nil
}

// TransferOf is one batch.
func (s *Service) TransferOf(ctx context.Context, p auth.Principal, cid, id string) (Transfer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Transfer{}, err
	}
	t, err := s.Transfers.Transfer(ctx, cid, id)
	if err != nil {
		return Transfer{}, err
	}
	return t.shown(), nil
}

var transferStatusWords = map[string]string{TransferNotified: "已通知", TransferReady: "已准备", TransferBoarded: "已上车", TransferArrived: "已送达", TransferExempted: "免于转运"}

// Sheet is the transfer team's sheet of a batch: one row a person, then
// the dependants left behind.
func (t Transfer) Sheet() (header []string, rows [][]string) {
	header = []string{"序号", "姓名", "住址", "联系电话", "集合地点", "集合时间", "目的地", "状态", "备注"}
	when := chinatime.In(t.At).Format("2006-01-02 15:04")
	for i, p := range t.People {
		rows = append(rows, []string{fmt.Sprint(i + 1), p.Name, p.Door, p.Phone, t.Pickup, when, t.Destination, transferStatusWords[p.Status], p.Reason})
	}
	for _, d := range t.LeftBehind {
		who := d.Name
		if who == "" {
			who = dependantWords[d.Kind]
		}
		rows = append(rows, []string{"留守", who, d.Door, "", "", "", "", "求助单已建", dependantWords[d.Kind] + " " + d.Note})
		if d.HelpID == "" {
			rows[len(rows)-1][7] = "待建求助单"
		}
	}
	return header, rows
}

func (t Transfer) shown() Transfer {
	t.At, t.CreatedAt = chinatime.In(t.At), chinatime.In(t.CreatedAt)
	return t
}
